#!/usr/bin/env bash
# Generates the Go stubs (package graftv1, clients/go/graft/v1) from proto/src/main/proto.
#
#   ./generate.sh           regenerate graft/v1/*.pb.go in place
#   ./generate.sh --check   regenerate into a temporary folder and fail if the committed stubs differ
#
# Tools, all pinned, installed once into a cache folder outside the repository
# ($GRAFT_CODEGEN_DIR, default ~/.cache/graft/go-codegen-<versions>), so fresh clones reuse them:
#   protoc                from PyPI grpcio-tools (python3 -m grpc_tools.protoc), in a venv
#   google/rpc/status.proto  from PyPI googleapis-common-protos (import only; its Go code is
#                         google.golang.org/genproto/googleapis/rpc/status, mapped with M options)
#   protoc-gen-go, protoc-gen-go-grpc  from the Go module proxy (go install)
# Wired as `go generate ./...` (see generate.go).
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
root=$(cd ../.. && pwd)
protos=$root/proto/src/main/proto

GRPCIO_TOOLS_VERSION=1.85.1
COMMON_PROTOS_VERSION=1.76.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

want="$GRPCIO_TOOLS_VERSION $COMMON_PROTOS_VERSION $PROTOC_GEN_GO_VERSION $PROTOC_GEN_GO_GRPC_VERSION"
tools=${GRAFT_CODEGEN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/graft/go-codegen-${want// /-}}
stamp=$tools/versions
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "generate.sh: installing code generators into $tools" >&2
  rm -rf "$tools"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install -q --disable-pip-version-check \
    "grpcio-tools==$GRPCIO_TOOLS_VERSION" "googleapis-common-protos==$COMMON_PROTOS_VERSION"
  GOBIN=$tools/bin go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
  GOBIN=$tools/bin go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
  echo "$want" > "$stamp"
fi

py=$tools/venv/bin/python
site=$("$py" -c 'import os, google.rpc.status_pb2 as m; print(os.path.dirname(os.path.dirname(os.path.dirname(m.__file__))))')
wkt=$("$py" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')

check=false
[[ ${1:-} == --check ]] && check=true
out=$here
if $check; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

module=github.com/graft-dev/graft/clients/go
status_map=Mgoogle/rpc/status.proto=google.golang.org/genproto/googleapis/rpc/status
mapfile -t files < <(cd "$protos" && find graft/v1 -name '*.proto' | sort)

"$py" -m grpc_tools.protoc \
  -I "$protos" -I "$site" -I "$wkt" \
  --plugin=protoc-gen-go="$tools/bin/protoc-gen-go" \
  --plugin=protoc-gen-go-grpc="$tools/bin/protoc-gen-go-grpc" \
  --go_out="$out" --go_opt=module=$module --go_opt=$status_map \
  --go-grpc_out="$out" --go-grpc_opt=module=$module --go-grpc_opt=$status_map \
  "${files[@]}"

if $check; then
  if ! diff -r "$out/graft/v1" "$here/graft/v1" > /dev/null; then
    diff -r "$out/graft/v1" "$here/graft/v1" | head -40 >&2
    echo "generate.sh: graft/v1 is stale; run clients/go/generate.sh and commit the result" >&2
    exit 1
  fi
  echo "generate.sh: graft/v1 matches proto/"
fi
