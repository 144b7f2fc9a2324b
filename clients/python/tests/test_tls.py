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


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, a server certificate for graft.test and a client certificate (CN=client-1), all signed by
    the CA; keys are PKCS#8 PEM (what the Graft server reads)."""
    d = tmp_path_factory.mktemp("pki")
    ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    _openssl("genpkey", *ec, "-out", str(d / "ca.key"))
    _openssl("req", "-x509", "-new", "-key", str(d / "ca.key"), "-out", str(d / "ca.pem"), "-days", "1",
             "-subj", "/CN=graft-test-ca")
    for name, subject, ext in (("server", "/CN=graft.test", "subjectAltName=DNS:graft.test"),
                               ("client", "/CN=client-1", "extendedKeyUsage=clientAuth")):
        _openssl("genpkey", *ec, "-out", str(d / f"{name}.key"))
        _openssl("req", "-new", "-key", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"), "-subj", subject)
        (d / f"{name}.ext").write_text(ext + "\n")
        _openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.pem"), "-CAkey", str(d / "ca.key"),
                 "-CAcreateserial", "-out", str(d / f"{name}.pem"), "-days", "1", "-extfile", str(d / f"{name}.ext"))
    return {n: d / n for n in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


def test_mutual_tls_presents_the_client_certificate(pki: dict[str, Path]) -> None:
    seen: dict[str, Any] = {}

    def info(request: Any, context: grpc.ServicerContext) -> pb.ServerInfo:
        seen["cn"] = context.auth_context().get("x509_common_name")
        seen.update(context.invocation_metadata())
        return pb.ServerInfo(version="mtls")

    handler = grpc.method_handlers_generic_handler("graft.v1.ServerService", {
        "GetServerInfo": grpc.unary_unary_rpc_method_handler(
            info, request_deserializer=pb.GetServerInfoRequest.FromString,
            response_serializer=pb.ServerInfo.SerializeToString)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    server.add_generic_rpc_handlers([handler])
    credentials = grpc.ssl_server_credentials(
        [(pki["server.key"].read_bytes(), pki["server.pem"].read_bytes())],
        root_certificates=pki["ca.pem"].read_bytes(), require_client_auth=True)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    try:
        # Paths for the roots and the chain, PEM text for the key: all three forms are accepted.
        with Client(f"127.0.0.1:{port}", root_certificates=pki["ca.pem"], tls_server_name="graft.test",
                    certificate_chain=str(pki["client.pem"]), private_key=pki["client.key"].read_text(),
                    token="t0k", timeout=10) as client:
            assert client.server_info().version == "mtls"
        assert seen["cn"] == [b"client-1"]
        assert seen["authorization"] == "Bearer t0k"
        # The same server refuses a client that trusts it but presents no certificate.
        with Client(f"127.0.0.1:{port}", root_certificates=pki["ca.pem"], tls_server_name="graft.test",
                    timeout=5, retry=None) as anonymous:
            with pytest.raises(GraftError) as caught:
                anonymous.server_info()
            assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop(None)


def test_client_certificate_needs_both_halves_and_pem(pki: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both certificate_chain and private_key"):
        Client("localhost:1", certificate_chain=pki["client.pem"])
    with pytest.raises(ValueError, match="both certificate_chain and private_key"):
        Client("localhost:1", private_key=pki["client.key"])
    not_pem = tmp_path / "key.der"
    not_pem.write_bytes(b"\x30\x82\x01\x00")
    with pytest.raises(ValueError, match=r"private_key: no PEM block .*key\.der"):
        Client("localhost:1", certificate_chain=pki["client.pem"], private_key=not_pem)
    with pytest.raises(FileNotFoundError):
        Client("localhost:1", root_certificates=tmp_path / "missing.pem")
