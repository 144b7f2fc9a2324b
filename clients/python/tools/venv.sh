# Sourced by ./conformance and ./test: creates or reuses clients/python/.venv and installs this
# package into it (quietly) only when its sources or the protos changed since the last install.
# Sets PY to the venv's python. Needs python3.11+ (env PYTHON to pick one).
set -euo pipefail
PY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$PY_DIR/.venv"
PY="$VENV/bin/python"

if [[ ! -x $PY ]]; then
  "${PYTHON:-python3}" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || { echo "graft-client needs Python 3.11+ (set PYTHON)" >&2; exit 2; }
  "${PYTHON:-python3}" -m venv "$VENV"
fi

_stamp="$(cd "$PY_DIR" && cat pyproject.toml setup.py $(find src -name '*.py' -not -path '*/_proto/*' | sort) \
  ../../proto/src/main/proto/graft/v1/*.proto 2>/dev/null | sha256sum | cut -c1-16)"
if [[ ! -f $VENV/.graft-stamp || $(cat "$VENV/.graft-stamp") != "$_stamp" ]]; then
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip install -q "$PY_DIR"
  echo "$_stamp" > "$VENV/.graft-stamp"
fi
