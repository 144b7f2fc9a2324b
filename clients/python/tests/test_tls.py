"""TLS with root certificates and a bearer token, against an in-process gRPC server (not Graft)."""

from __future__ import annotations

import shutil
import subprocess
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest

from graft_client import Client, GraftError, pb

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=graft.test",
                    "-addext", "subjectAltName=DNS:graft.test"], check=True, capture_output=True)
    return key, cert


def test_tls_with_root_certificates_and_token(certificate: tuple[Path, Path]) -> None:
    key, cert = certificate
    seen: dict[str, str] = {}

    def info(request: Any, context: grpc.ServicerContext) -> pb.ServerInfo:
        seen.update(context.invocation_metadata())
        return pb.ServerInfo(version="tls")

    handler = grpc.method_handlers_generic_handler("graft.v1.ServerService", {
        "GetServerInfo": grpc.unary_unary_rpc_method_handler(
            info, request_deserializer=pb.GetServerInfoRequest.FromString,
            response_serializer=pb.ServerInfo.SerializeToString)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    server.add_generic_rpc_handlers([handler])
    port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key.read_bytes(), cert.read_bytes())]))
    server.start()
    try:
        with Client(f"127.0.0.1:{port}", root_certificates=cert, tls_server_name="graft.test", token="t0k",
                    timeout=10) as client:
            assert client.server_info().version == "tls"
        assert seen["authorization"] == "Bearer t0k"
        with Client(f"127.0.0.1:{port}", tls=True, tls_server_name="graft.test", timeout=5, retry=None) as untrusted:
            with pytest.raises(GraftError) as caught:
                untrusted.server_info()
            assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop(None)
