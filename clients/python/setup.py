"""Build hook for graft-client: generates the graft.v1 stubs with grpcio-tools at build time.

The stubs are never committed. ``build_py`` runs ``grpc_tools.protoc`` over the protos (from the
repository checkout, ``../../proto/src/main/proto``, or from ``proto/`` inside an sdist) into
``src/graft_client/_proto`` (git-ignored), rewrites their ``graft.v1`` imports to live under
``graft_client._proto`` (so the package claims no top-level ``graft`` name), and adds them to the
build. ``google/rpc/status.proto`` comes from googleapis-common-protos, which ships the .proto
files next to its Python modules (a minimal copy is written to a temporary include dir if not).
Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
PROTO_ROOTS = (HERE / "proto", HERE.parent.parent / "proto" / "src" / "main" / "proto")
OUT = HERE / "src" / "graft_client" / "_proto"
GENERATED_PACKAGES = ("graft_client._proto", "graft_client._proto.graft", "graft_client._proto.graft.v1")

MINIMAL_STATUS_PROTO = """syntax = "proto3";
package google.rpc;
import "google/protobuf/any.proto";
option go_package = "google.golang.org/genproto/googleapis/rpc/status;status";
message Status {
  int32 code = 1;
  string message = 2;
  repeated google.protobuf.Any details = 3;
}
"""


def proto_root() -> Path:
    for root in PROTO_ROOTS:
        if any((root / "graft" / "v1").glob("*.proto")):
            return root
    raise RuntimeError(f"graft protos not found in any of: {', '.join(map(str, PROTO_ROOTS))}")


def google_rpc_include(scratch: Path) -> Path:
    """The include dir that holds google/rpc/status.proto (googleapis-common-protos ships it)."""
    spec = importlib.util.find_spec("google.rpc")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "status.proto").is_file():
            return Path(location).parent.parent
    (scratch / "google" / "rpc").mkdir(parents=True)
    (scratch / "google" / "rpc" / "status.proto").write_text(MINIMAL_STATUS_PROTO)
    return scratch


def generate() -> None:
    import grpc_tools
    from grpc_tools import protoc

    root = proto_root()
    files = sorted(str(p) for p in (root / "graft" / "v1").glob("*.proto"))
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        args = [
            "grpc_tools.protoc",
            f"-I{root}",
            f"-I{google_rpc_include(Path(scratch))}",
            f"-I{Path(grpc_tools.__file__).parent / '_proto'}",
            f"--python_out={OUT}",
            f"--pyi_out={OUT}",
            f"--grpc_python_out={OUT}",
            *files,
        ]
        if protoc.main(args) != 0:
            raise RuntimeError("grpc_tools.protoc failed on " + " ".join(files))
    for path in (OUT / "graft" / "v1").iterdir():
        if path.suffix in (".py", ".pyi"):
            text = re.sub(r"^from graft\.v1 import", "from graft_client._proto.graft.v1 import",
                          path.read_text(), flags=re.MULTILINE)
            text = text.replace("(DESCRIPTOR, 'graft.v1.", "(DESCRIPTOR, 'graft_client._proto.graft.v1.")
            path.write_text(text)
    for package in (OUT, OUT / "graft", OUT / "graft" / "v1"):
        (package / "__init__.py").write_text('"""Generated at build time from proto/ (not committed)."""\n')


def runtime_requirements() -> list[str]:
    """Pins the runtime to what the generated code needs: the generating grpcio-tools' protobuf
    range (the gencode checks it at import) and grpcio at least that grpcio-tools version."""
    tools = importlib.metadata.version("grpcio-tools")
    protobuf = next((r.split(";")[0].replace(" ", "") for r in importlib.metadata.requires("grpcio-tools") or []
                     if re.match(r"protobuf\b", r)), "protobuf")
    return [
        f"grpcio>={tools}",
        f"grpcio-status>={tools.rsplit('.', 1)[0]}",
        protobuf,
        "googleapis-common-protos>=1.63",
        "numpy>=1.24",
        "rich>=13",
    ]


class BuildPyWithStubs(build_py):
    def run(self) -> None:
        generate()
        for package in GENERATED_PACKAGES:
            if package not in self.packages:
                self.packages.append(package)
        super().run()


class SdistWithProtos(sdist):
    """An sdist carries the protos (proto/graft/v1) so that it builds away from the checkout."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        shutil.copytree(proto_root() / "graft", Path(base_dir) / "proto" / "graft", dirs_exist_ok=True)


setup(install_requires=runtime_requirements(), cmdclass={"build_py": BuildPyWithStubs, "sdist": SdistWithProtos})
