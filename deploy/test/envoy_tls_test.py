#!/usr/bin/env python3
"""TLS test of deploy/envoy/envoy-tls.yaml, the Envoy configuration that deploy/kubernetes ships,
on loopback and without the Graft jar (two small TLS gRPC servers stand in for replicas).

Run through deploy/test/run (it needs the virtual environment's Envoy, grpcio and
grpcio-health-checking, and the openssl command). The configuration and both file-based SDS
files (deploy/envoy/sds-*.yaml) are used as they are, with only the listener, admin and upstream
addresses rewritten and /etc/envoy/ moved under a scratch folder. The Secrets are laid out the
way the kubelet mounts them (files reached through a `..data` symlink that is swapped on update).

Steps (one line each, "ok <step>" or "FAIL <step>: why"):
  validate   envoy --mode validate accepts the configuration
  upstream   health checks reach a replica over TLS; a replica whose certificate does not name
             graft-headless.graft.svc.cluster.local is never healthy
  downstream a TLS client calls through Envoy (ALPN h2; http/1.1 for gRPC-Web), the bearer token
             reaches the replica; a plaintext client gets nowhere
  rotation   a new certificate in the mounted Secret is served without restarting Envoy
"""
import argparse
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from concurrent import futures

os.environ.setdefault("GRPC_VERBOSITY", "NONE")   # the impostor's refused handshakes are expected
import grpc  # noqa: E402
import yaml  # noqa: E402
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # noqa: E402

UPSTREAM_NAME = "graft-headless.graft.svc.cluster.local"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    """A throwaway CA and leaf certificates with PKCS#8 keys (what Graft's tls-key needs)."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder)
        self.ca_key, self.ca_crt = self.path("ca.key"), self.path("ca.crt")
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", self.ca_key)
        openssl("req", "-x509", "-new", "-key", self.ca_key, "-out", self.ca_crt, "-days", "2",
                "-subj", "/CN=graft test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def path(self, name):
        return os.path.join(self.folder, name)

    def leaf(self, name, san):
        key, csr, crt, ext = (self.path(name + s) for s in (".key", ".csr", ".crt", ".ext"))
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
        openssl("req", "-new", "-key", key, "-out", csr, "-subj", "/CN=" + name)
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n" % san)
        openssl("x509", "-req", "-in", csr, "-CA", self.ca_crt, "-CAkey", self.ca_key, "-days", "2",
                "-set_serial", "0x" + secrets.token_hex(8), "-extfile", ext, "-out", crt)
        return crt, key


def publish(folder, files):
    """Writes files into a mounted-Secret-like folder: a fresh timestamped folder, `..data`
    pointing at it (swapped by one rename), and each name a symlink through `..data`."""
    os.makedirs(folder, exist_ok=True)
    version = "..%d_%s" % (time.time_ns(), secrets.token_hex(2))
    os.mkdir(os.path.join(folder, version))
    for name, source in files.items():
        shutil.copyfile(source, os.path.join(folder, version, name))
    tmp = os.path.join(folder, "..data_tmp")
    os.symlink(version, tmp)
    os.replace(tmp, os.path.join(folder, "..data"))
    for name in files:
        link = os.path.join(folder, name)
        if not os.path.islink(link):
            os.symlink(os.path.join("..data", name), link)


def relocate(value, etc):
    """Every /etc/envoy/ path in a parsed configuration, moved under etc."""
    if isinstance(value, dict):
        return {k: relocate(v, etc) for k, v in value.items()}
    if isinstance(value, list):
        return [relocate(v, etc) for v in value]
    if isinstance(value, str) and value.startswith("/etc/envoy/"):
        return os.path.join(etc, value[len("/etc/envoy/"):])
    return value


class Replica:
    """A TLS gRPC server with health SERVING and graft.v1.ServerService/GetServerInfo, which
    answers an empty ServerInfo and echoes the authorization header it received."""

    def __init__(self, crt, key):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        servicer = health.HealthServicer()
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(servicer, self.server)

        def info(request, context):
            auth = dict(context.invocation_metadata()).get("authorization", "")
            context.send_initial_metadata((("x-seen-authorization", auth),))
            return b""

        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
            "graft.v1.ServerService", {"GetServerInfo": grpc.unary_unary_rpc_method_handler(info)}),))
        with open(crt, "rb") as c, open(key, "rb") as k:
            credentials = grpc.ssl_server_credentials([(k.read(), c.read())])
        self.port = self.server.add_secure_port("127.0.0.1:0", credentials)
        self.server.start()


class Suite:
    def __init__(self, args):
        self.args = args
        self.failed = 0
        self.procs = []

    def check(self, step, fn):
        try:
            fn()
            print("ok " + step, flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported the same way
            self.failed += 1
            print("FAIL %s: %s" % (step, e), flush=True)

    def run(self):
        work = self.args.work
        self.pki = Pki(os.path.join(work, "pki"))
        self.etc = os.path.join(work, "etc-envoy")
        # Secret graft-envoy-tls at /etc/envoy/tls; ca.crt of Secret graft-tls at /etc/envoy/upstream.
        self.envoy_crt, self.envoy_key = self.pki.leaf("envoy", "DNS:localhost,IP:127.0.0.1")
        publish(os.path.join(self.etc, "tls"), {"tls.crt": self.envoy_crt, "tls.key": self.envoy_key})
        publish(os.path.join(self.etc, "upstream"), {"ca.crt": self.pki.ca_crt})
        good = Replica(*self.pki.leaf("replica", "DNS:" + UPSTREAM_NAME))
        bad = Replica(*self.pki.leaf("impostor", "DNS:graft-headless.other.svc.cluster.local"))
        self.good_port, self.bad_port = good.port, bad.port
        try:
            self.write_config()
            self.check("validate", self.validate)
            self.start_envoy()
            self.check("upstream", self.upstream)
            self.check("downstream", self.downstream)
            self.check("rotation", self.rotation)
        finally:
            for p in self.procs:
                p.terminate()
                p.wait(10)
            good.server.stop(0)
            bad.server.stop(0)
        print("envoy-tls: %s" % ("all passed" if not self.failed else "%d failed" % self.failed))
        return 1 if self.failed else 0

    def write_config(self):
        repo = self.args.repo
        with open(os.path.join(repo, "deploy/envoy/envoy-tls.yaml")) as f:
            config = relocate(yaml.safe_load(f), self.etc)
        os.makedirs(os.path.join(self.etc, "config"), exist_ok=True)
        sds_paths = re.findall(r'"path": "([^"]*/config/sds-[^"]*)"', json.dumps(config))
        if len(set(sds_paths)) != 2:
            raise RuntimeError("expected two SDS files in envoy-tls.yaml, found %s" % sds_paths)
        for path in set(sds_paths):
            with open(os.path.join(repo, "deploy/envoy", os.path.basename(path))) as f:
                sds = relocate(yaml.safe_load(f), self.etc)
            with open(path, "w") as f:
                json.dump(sds, f)
        self.envoy_port, self.admin_port = free_port(), free_port()
        config["admin"]["address"]["socket_address"] = {"address": "127.0.0.1", "port_value": self.admin_port}
        listener = config["static_resources"]["listeners"][0]
        listener["address"]["socket_address"] = {"address": "127.0.0.1", "port_value": self.envoy_port}
        cluster = config["static_resources"]["clusters"][0]
        cluster["type"] = "STATIC"
        for key in ("dns_lookup_family", "dns_refresh_rate"):
            cluster.pop(key, None)
        cluster["load_assignment"]["endpoints"][0]["lb_endpoints"] = [
            {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}
            for port in (self.good_port, self.bad_port)]
        self.config_path = os.path.join(self.etc, "config", "envoy.json")
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=1)

    def validate(self):
        out = subprocess.run([self.args.envoy, "--mode", "validate", "-c", self.config_path, "--log-level", "error"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(out.stdout + out.stderr)

    def start_envoy(self):
        self.envoy_log = os.path.join(self.args.work, "envoy-tls.log")
        self.procs.append(subprocess.Popen(
            [self.args.envoy, "-c", self.config_path, "--disable-hot-restart", "--log-level", "warn",
             "--base-id", str(os.getpid() % 1000 + 1000)],
            stdout=open(self.envoy_log, "w"), stderr=subprocess.STDOUT))

    def host_flags(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/clusters" % self.admin_port, timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return {}
        return {int(port): flags for port, flags in
                re.findall(r"^graft::127\.0\.0\.1:(\d+)::health_flags::(.*)$", text, re.M)}

    def upstream(self):
        deadline = time.time() + 30
        flags = {}
        while time.time() < deadline:
            if self.procs[0].poll() is not None:
                raise AssertionError("envoy exited:\n" + open(self.envoy_log).read()[-3000:])
            flags = self.host_flags()
            if flags.get(self.good_port) == "healthy" and "failed_active_hc" in flags.get(self.bad_port, ""):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("health flags %s (want %d healthy, %d failed_active_hc)"
                                 % (flags, self.good_port, self.bad_port))
        time.sleep(4)   # two more health check rounds: the impostor never turns healthy
        flags = self.host_flags()
        if "failed_active_hc" not in flags.get(self.bad_port, ""):
            raise AssertionError("a replica with a certificate for another name became %s" % flags)

    def tls_channel(self):
        with open(self.pki.ca_crt, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        return grpc.secure_channel("127.0.0.1:%d" % self.envoy_port, credentials,
                                   options=[("grpc.ssl_target_name_override", "localhost")])

    def handshake(self, alpn):
        context = ssl.create_default_context(cafile=self.pki.ca_crt)
        context.set_alpn_protocols(alpn)
        with socket.create_connection(("127.0.0.1", self.envoy_port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as s:
                return s.selected_alpn_protocol(), s.getpeercert(binary_form=True)

    def downstream(self):
        with self.tls_channel() as channel:
            status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10).status
            if status != health_pb2.HealthCheckResponse.SERVING:
                raise AssertionError("health through Envoy: %s" % status)
            info = channel.unary_unary("/graft.v1.ServerService/GetServerInfo")
            _, call = info.with_call(b"", timeout=10, metadata=(("authorization", "Bearer graft_test"),))
            seen = dict(call.initial_metadata()).get("x-seen-authorization")
            if seen != "Bearer graft_test":
                raise AssertionError("the replica saw authorization %r" % seen)
        for offered, wanted in ((["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1")):
            chosen, _ = self.handshake(offered)
            if chosen != wanted:
                raise AssertionError("ALPN %s chose %r, not %r" % (offered, chosen, wanted))
        with grpc.insecure_channel("127.0.0.1:%d" % self.envoy_port) as channel:
            try:
                health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=3)
            except grpc.RpcError:
                pass
            else:
                raise AssertionError("a plaintext call through Envoy succeeded")

    def rotation(self):
        with open(self.envoy_crt) as f:
            old = ssl.PEM_cert_to_DER_cert(f.read())
        if self.handshake(["h2"])[1] != old:
            raise AssertionError("Envoy does not serve the mounted certificate")
        crt, key = self.pki.leaf("envoy-rotated", "DNS:localhost,IP:127.0.0.1")
        with open(crt) as f:
            new = ssl.PEM_cert_to_DER_cert(f.read())
        publish(os.path.join(self.etc, "tls"), {"tls.crt": crt, "tls.key": key})
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.handshake(["h2"])[1] == new:
                with self.tls_channel() as channel:   # and calls still work with it
                    health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
                return
            time.sleep(0.2)
        raise AssertionError("Envoy still serves the old certificate 15 s after the Secret changed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--envoy", required=True)
    parser.add_argument("--work", required=True, help="an empty scratch folder")
    args = parser.parse_args()
    if shutil.which("openssl") is None:
        sys.exit("deploy/test: envoy_tls_test needs the openssl command")
    sys.exit(Suite(args).run())


if __name__ == "__main__":
    main()
