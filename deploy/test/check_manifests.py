#!/usr/bin/env python3
"""Structural checks of deploy/kubernetes (no cluster needed): every file parses, the ConfigMap
carries deploy/envoy/envoy-tls.yaml and its SDS files verbatim, envoy-tls.yaml is
deploy/envoy/envoy.yaml plus TLS and nothing else, selectors match pod labels, volumes, config
maps and Secrets exist, the replicas run with TLS and a tokens file from mounted read-only
Secrets (placeholders only: no token, no principal), probes are TLS gRPC health probes as
docs/deploy.md describes, Envoy terminates client TLS and verifies the replicas' certificates
with files it mounts, the store is ReadWriteMany and the Graft Service is headless. Metrics: the
replicas' HTTP port (http-port) is a named container and Service port with Prometheus scrape
annotations, and servicemonitor.yaml (kept out of the kustomization: the CRD may be absent)
scrapes it over HTTPS, verifying the replicas' certificate, with a placeholder reader token.
The shared-store overlay (deploy/kubernetes-shared-store): the base less its volume claim, the
replicas on postgresql:// (no password in the URL; the password file from a Secret) and s3://
with AWS credentials from Secrets (placeholders), --work-dir on an emptyDir whose sizeLimit leaves
room beyond blob-cache-bytes, the base's security flags kept (and, where kubectl is installed,
`kubectl kustomize` renders the same objects). Prints "ok <check>" lines; exits 1 on the first failure."""
import base64
import copy
import os
import posixpath
import re
import sys

import yaml

root = sys.argv[1] if len(sys.argv) > 1 else "."
kdir = os.path.join(root, "deploy/kubernetes")
HEADLESS = "graft-headless.graft.svc.cluster.local"
TLS_SOCKET = "envoy.transport_sockets.tls"
TLS_TYPES = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3."


def fail(why):
    sys.exit("FAIL manifests: " + why)


def read(path):
    with open(os.path.join(root, path)) as f:
        return f.read()


kustomization = yaml.safe_load(read("deploy/kubernetes/kustomization.yaml"))
objects = {}
for name in kustomization["resources"]:
    for doc in yaml.safe_load_all(read(os.path.join("deploy/kubernetes", name))):
        if doc:
            key = (doc["kind"], doc["metadata"]["name"])
            if key in objects:
                fail("%s %s defined twice" % key)
            objects[key] = doc
print("ok manifests parse: %d objects" % len(objects))


def secret_keys(name):
    secret = objects.get(("Secret", name))
    if secret is None:
        return None
    return set(secret.get("data", {})) | set(secret.get("stringData", {}))


def secret_text(name, key):
    secret = objects[("Secret", name)]
    if key in secret.get("stringData", {}):
        return secret["stringData"][key]
    return base64.b64decode(secret["data"][key]).decode("utf-8")


# --- the Envoy configuration: ConfigMap = files, envoy-tls.yaml = envoy.yaml + TLS -------------
configmap = objects.get(("ConfigMap", "graft-envoy"))
if not configmap:
    fail("no ConfigMap graft-envoy")
carried = {"envoy.yaml": "deploy/envoy/envoy-tls.yaml",
           "sds-envoy-cert.yaml": "deploy/envoy/sds-envoy-cert.yaml",
           "sds-upstream-ca.yaml": "deploy/envoy/sds-upstream-ca.yaml"}
for key, path in carried.items():
    if configmap["data"].get(key) != read(path):
        fail("ConfigMap graft-envoy key %s differs from %s: run deploy/kubernetes/sync-envoy-config" % (key, path))
if set(configmap["data"]) != set(carried):
    fail("ConfigMap graft-envoy has keys %s, expected %s" % (sorted(configmap["data"]), sorted(carried)))
print("ok configmap graft-envoy carries deploy/envoy/envoy-tls.yaml and its SDS files")

plain = yaml.safe_load(read("deploy/envoy/envoy.yaml"))
tls = yaml.safe_load(configmap["data"]["envoy.yaml"])
stripped = copy.deepcopy(tls)
stripped.pop("node", None)
for listener in stripped["static_resources"]["listeners"]:
    for chain in listener["filter_chains"]:
        chain.pop("transport_socket", None)
for cluster in stripped["static_resources"]["clusters"]:
    cluster.pop("transport_socket", None)
if stripped != plain:
    fail("deploy/envoy/envoy-tls.yaml differs from deploy/envoy/envoy.yaml in more than TLS (transport sockets, "
         "node): edit both alike")
if any("transport_socket" in c for c in plain["static_resources"]["clusters"]):
    fail("deploy/envoy/envoy.yaml must stay plaintext (deploy/test/scaleout_test.py runs it against local replicas)")
print("ok envoy-tls.yaml is envoy.yaml plus TLS")

# --- objects hang together ---------------------------------------------------------------------
for (kind, name), doc in objects.items():
    if doc["metadata"].get("namespace", "graft") != "graft" and kind != "Namespace":
        fail("%s %s is not in namespace graft" % (kind, name))
    if kind == "Deployment":
        labels = doc["spec"]["template"]["metadata"]["labels"]
        if any(labels.get(k) != v for k, v in doc["spec"]["selector"]["matchLabels"].items()):
            fail("Deployment %s: selector does not match its pod labels" % name)
        for volume in doc["spec"]["template"]["spec"].get("volumes", []):
            if "configMap" in volume and ("ConfigMap", volume["configMap"]["name"]) not in objects:
                fail("Deployment %s: no ConfigMap %s" % (name, volume["configMap"]["name"]))
            if "persistentVolumeClaim" in volume and (
                    "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) not in objects:
                fail("Deployment %s: no PVC %s" % (name, volume["persistentVolumeClaim"]["claimName"]))
            if "secret" in volume:
                keys = secret_keys(volume["secret"]["secretName"])
                if keys is None:
                    fail("Deployment %s: no Secret %s" % (name, volume["secret"]["secretName"]))
                missing = {item["key"] for item in volume["secret"].get("items", [])} - keys
                if missing:
                    fail("Deployment %s: Secret %s has no key %s" % (name, volume["secret"]["secretName"], missing))
    if kind == "Service":
        pods = [d["spec"]["template"]["metadata"]["labels"] for (k, _), d in objects.items() if k == "Deployment"]
        if not any(all(p.get(k) == v for k, v in doc["spec"]["selector"].items()) for p in pods):
            fail("Service %s selects no pods" % name)


def mounted(deployment, path):
    """(volume, key) that serves file `path` in the Deployment's first container, or a failure.
    Secret and ConfigMap volumes must be mounted whole (no subPath) and, for Secrets, read-only."""
    spec = objects[("Deployment", deployment)]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for mount in spec["containers"][0].get("volumeMounts", []):
        prefix = mount["mountPath"].rstrip("/") + "/"
        if path.startswith(prefix):
            volume = volumes[mount["name"]]
            key = path[len(prefix):]
            if "secret" in volume or "configMap" in volume:
                if mount.get("subPath"):
                    fail("Deployment %s: %s is mounted with subPath: updates would never reach it" % (deployment, path))
            if "secret" in volume:
                if not mount.get("readOnly"):
                    fail("Deployment %s: Secret volume %s is not mounted readOnly" % (deployment, mount["name"]))
                items = volume["secret"].get("items")
                if items is not None:
                    paths = {i["path"]: i["key"] for i in items}
                    if key not in paths:
                        fail("Deployment %s: %s is not among the items of Secret %s" % (
                            deployment, path, volume["secret"]["secretName"]))
                    key = paths[key]
                if key not in secret_keys(volume["secret"]["secretName"]):
                    fail("Deployment %s: %s: Secret %s has no key %s" % (
                        deployment, path, volume["secret"]["secretName"], key))
            elif "configMap" in volume:
                if key not in objects[("ConfigMap", volume["configMap"]["name"])]["data"]:
                    fail("Deployment %s: %s: ConfigMap %s has no key %s" % (
                        deployment, path, volume["configMap"]["name"], key))
            return volume, key, mount["mountPath"]
    fail("Deployment %s: nothing is mounted at %s" % (deployment, path))


# --- the replicas: TLS, tokens, address ----------------------------------------------------------
graft = objects[("Deployment", "graft")]["spec"]["template"]["spec"]["containers"][0]
args = graft.get("args", [])


def flag(name):
    if "--" + name not in args:
        fail("graft args lack --%s" % name)
    return args[args.index("--" + name) + 1]


if flag("address") != "0.0.0.0":
    fail("graft must listen on --address 0.0.0.0 (Envoy connects from other pods)")
config_volume, _, _ = mounted("graft", flag("config"))
if "configMap" not in config_volume:
    fail("graft --config is not from a ConfigMap")
properties = objects[("ConfigMap", config_volume["configMap"]["name"])]["data"][posixpath.basename(flag("config"))]
if re.search(r"^\s*insecure-no-auth\s*=\s*true", properties, re.M) or "--insecure-no-auth" in args \
        or any(e.get("name") in ("GRAFT_INSECURE_NO_AUTH", "GRAFT_AUTH_TOKEN") for e in graft.get("env", [])):
    fail("graft must not run with insecure-no-auth or a token in its environment")
tokens_volume, tokens_key, _ = mounted("graft", flag("auth-tokens-file"))
if "secret" not in tokens_volume:
    fail("graft --auth-tokens-file is not from a Secret")
tokens_secret = tokens_volume["secret"]["secretName"]
tls_secrets = set()
for name in ("tls-cert", "tls-key"):
    volume, _, _ = mounted("graft", flag(name))
    if "secret" not in volume:
        fail("graft --%s is not from a Secret" % name)
    tls_secrets.add(volume["secret"]["secretName"])
if len(tls_secrets) != 1:
    fail("graft --tls-cert and --tls-key come from different Secrets: %s" % tls_secrets)
tls_secret = tls_secrets.pop()
if objects[("Secret", tls_secret)].get("type") != "kubernetes.io/tls":
    fail("Secret %s must be of type kubernetes.io/tls" % tls_secret)
if not {"tls.crt", "tls.key", "ca.crt"} <= secret_keys(tls_secret):
    fail("Secret %s needs tls.crt, tls.key and ca.crt" % tls_secret)
print("ok graft runs on 0.0.0.0 with TLS (Secret %s) and a tokens file (Secret %s), mounted read-only"
      % (tls_secret, tokens_secret))

# Placeholders only: the shipped tokens file names nobody, and no token appears anywhere.
for number, line in enumerate(secret_text(tokens_secret, tokens_key).splitlines(), start=1):
    if line.split("#", 1)[0].strip():
        fail("Secret %s: line %d of the shipped tokens file is a principal, not a comment: ship placeholders only"
             % (tokens_secret, number))
SERVICEMONITOR = "servicemonitor.yaml"
for name in kustomization["resources"] + [SERVICEMONITOR]:
    if re.search(r"graft_[A-Za-z0-9_-]{43}", read(os.path.join("deploy/kubernetes", name))):
        fail("%s contains what looks like a real token (graft_...)" % name)
print("ok Secret %s is a placeholder tokens file (comments only, no token)" % tokens_secret)

# Probes: gRPC health over TLS through grpc_health_probe (the kubelet's grpc probe has no TLS).
for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
    spec = graft[probe]
    if "grpc" in spec:
        fail("graft %s: the kubelet's gRPC probe cannot speak TLS" % probe)
    command = spec.get("exec", {}).get("command", [])
    if not command or posixpath.basename(command[0]) != "grpc_health_probe" or "-tls" not in command:
        fail("graft %s must run grpc_health_probe -tls" % probe)
    options = dict(a.split("=", 1) for a in command[1:] if "=" in a)
    if options.get("-addr") != "127.0.0.1:50051":
        fail("graft %s must probe 127.0.0.1:50051" % probe)
    service = options.get("-service", "")
    if probe == "readinessProbe":
        if service != "":
            fail("graft readiness must be the overall status (no -service)")
        if options.get("-tls-server-name") != HEADLESS:
            fail("graft readiness must verify the name Envoy checks: -tls-server-name=%s" % HEADLESS)
        ca_volume, _, _ = mounted("graft", options.get("-tls-ca-cert", "(none)"))
        if ca_volume.get("secret", {}).get("secretName") != tls_secret:
            fail("graft readiness must verify with ca.crt of Secret %s" % tls_secret)
    elif service != "graft.v1.ServerService":
        fail("graft %s must probe graft.v1.ServerService" % probe)
print("ok graft probes: grpc_health_probe over TLS (readiness verifies the certificate)")

if objects[("Service", "graft-headless")]["spec"].get("clusterIP") != "None":
    fail("graft-headless must be headless")
if "ReadWriteMany" not in objects[("PersistentVolumeClaim", "graft-store")]["spec"]["accessModes"]:
    fail("the store must be ReadWriteMany")

# --- Envoy: TLS both ways, with files it mounts -----------------------------------------------
envoy = objects[("Deployment", "graft-envoy")]["spec"]["template"]["spec"]["containers"][0]
envoy_args = envoy.get("args", [])
config_volume, config_key, _ = mounted("graft-envoy", envoy_args[envoy_args.index("-c") + 1])
if config_volume.get("configMap", {}).get("name") != "graft-envoy" or config_key != "envoy.yaml":
    fail("Envoy must run envoy.yaml of ConfigMap graft-envoy")


def sds_secret(config, expected_type):
    """The Secret resource an SDS reference names, read from the ConfigMap's SDS file; checks that
    the SDS file is mounted from the ConfigMap and that it watches the folder it reads."""
    source = config["sds_config"]["path_config_source"]
    volume, key, mount_path = mounted("graft-envoy", source["path"])
    if volume.get("configMap", {}).get("name") != "graft-envoy":
        fail("SDS file %s is not from ConfigMap graft-envoy" % source["path"])
    if source.get("watched_directory", {}).get("path") != mount_path:
        fail("SDS file %s: watched_directory must be %s" % (source["path"], mount_path))
    resources = [r for r in yaml.safe_load(configmap["data"][key])["resources"] if r["name"] == config["name"]]
    if len(resources) != 1 or resources[0]["@type"] != TLS_TYPES + "Secret":
        fail("SDS file %s has no Secret %s" % (key, config["name"]))
    secret = resources[0]
    if expected_type not in secret:
        fail("SDS Secret %s is not a %s" % (config["name"], expected_type))
    body = secret[expected_type]
    files = [v["filename"] for v in body.values() if isinstance(v, dict) and "filename" in v]
    if not files:
        fail("SDS Secret %s names no file" % config["name"])
    secrets = set()
    for path in files:
        volume, _, mount_path = mounted("graft-envoy", path)
        if "secret" not in volume:
            fail("SDS Secret %s: %s is not from a Secret" % (config["name"], path))
        if body.get("watched_directory", {}).get("path") != mount_path:
            fail("SDS Secret %s: watched_directory must be %s (rotation)" % (config["name"], mount_path))
        secrets.add(volume["secret"]["secretName"])
    return body, secrets


listener = tls["static_resources"]["listeners"][0]
for chain in listener["filter_chains"]:
    socket = chain.get("transport_socket", {})
    if socket.get("name") != TLS_SOCKET or socket["typed_config"]["@type"] != TLS_TYPES + "DownstreamTlsContext":
        fail("Envoy's listener must terminate TLS (DownstreamTlsContext)")
    common = socket["typed_config"]["common_tls_context"]
    if common.get("alpn_protocols") != ["h2", "http/1.1"]:
        fail("Envoy's listener must offer ALPN h2 and http/1.1 (gRPC-Web)")
    certs = common.get("tls_certificate_sds_secret_configs", [])
    if len(certs) != 1:
        fail("Envoy's listener needs one certificate")
    _, cert_secrets = sds_secret(certs[0], "tls_certificate")
    for name in cert_secrets:
        if objects[("Secret", name)].get("type") != "kubernetes.io/tls":
            fail("Secret %s (Envoy's certificate) must be of type kubernetes.io/tls" % name)

cluster = tls["static_resources"]["clusters"][0]
socket = cluster.get("transport_socket", {})
if socket.get("name") != TLS_SOCKET or socket["typed_config"]["@type"] != TLS_TYPES + "UpstreamTlsContext":
    fail("Envoy must talk TLS to the replicas (UpstreamTlsContext on cluster graft)")
upstream = socket["typed_config"]
if upstream.get("sni") != HEADLESS:
    fail("Envoy's upstream SNI must be %s" % HEADLESS)
combined = upstream["common_tls_context"].get("combined_validation_context")
if not combined:
    fail("Envoy must verify the replicas' certificates (combined_validation_context)")
sans = combined["default_validation_context"].get("match_typed_subject_alt_names", [])
if sans != [{"san_type": "DNS", "matcher": {"exact": HEADLESS}}]:
    fail("Envoy must require the DNS name %s in replica certificates, not %s" % (HEADLESS, sans))
validation, ca_secrets = sds_secret(combined["validation_context_sds_secret_config"], "validation_context")
if "trusted_ca" not in validation or ca_secrets != {tls_secret}:
    fail("Envoy must trust ca.crt of Secret %s for the replicas" % tls_secret)
for volume in objects[("Deployment", "graft-envoy")]["spec"]["template"]["spec"]["volumes"]:
    if volume.get("secret", {}).get("secretName") == tls_secret and \
            [i["key"] for i in volume["secret"].get("items", [])] != ["ca.crt"]:
        fail("Envoy must mount only ca.crt of Secret %s (not the replicas' key)" % tls_secret)
address = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
if address["address"] != HEADLESS or address["port_value"] != 50051:
    fail("Envoy's upstream is not the headless Service: %s" % address)
print("ok Envoy: client TLS terminated (Secret %s), TLS to the replicas verified with ca.crt of Secret %s "
      "and name %s" % (", ".join(sorted(cert_secrets)), tls_secret, HEADLESS))
print("ok manifests: probes, headless Service, ReadWriteMany store, Envoy upstream")

# --- metrics: the HTTP port, scrape annotations, the ServiceMonitor --------------------------------


def setting(name, default):
    """A setting as the server resolves it here: the flag, else GRAFT_<NAME>, else graft.properties,
    else the default."""
    if "--" + name in args:
        return args[args.index("--" + name) + 1]
    env = [e for e in graft.get("env", []) if e.get("name") == "GRAFT_" + name.upper().replace("-", "_")]
    if env:
        return env[-1].get("value", "")
    found = re.findall(r"^\s*%s\s*=\s*(\S*)\s*$" % re.escape(name), properties, re.M)
    return found[-1] if found else default


http_port = int(setting("http-port", "8080"))
if setting("metrics", "true").lower() not in ("true", "yes", "1"):
    fail("graft-config turns metrics off: nothing for Prometheus to scrape")
if setting("http-address", "") not in ("", "0.0.0.0"):
    fail("http-address must be empty (the gRPC address, 0.0.0.0) or 0.0.0.0: Prometheus scrapes from other pods")
if http_port <= 0:
    fail("graft-config turns the HTTP listener off (http-port=%d): Prometheus could not scrape" % http_port)
http_ports = [p for p in graft.get("ports", []) if p.get("name") == "http"]
if len(http_ports) != 1 or http_ports[0].get("containerPort") != http_port:
    fail("graft container needs one port named http, containerPort %d (http-port)" % http_port)
pod_metadata = objects[("Deployment", "graft")]["spec"]["template"]["metadata"]
expected = {"prometheus.io/scrape": "true", "prometheus.io/port": str(http_port),
            "prometheus.io/path": "/metrics", "prometheus.io/scheme": "https"}
annotations = pod_metadata.get("annotations", {})
for key, value in expected.items():
    if annotations.get(key) != value:  # quoted strings: an annotation value must be a string
        fail("graft pod annotation %s must be %r, not %r" % (key, value, annotations.get(key)))
headless = objects[("Service", "graft-headless")]
service_http = [p for p in headless["spec"]["ports"] if p.get("name") == "http"]
if len(service_http) != 1 or service_http[0].get("targetPort") not in ("http", http_port):
    fail("Service graft-headless needs a port named http targeting the container's http port")
print("ok graft HTTP port %d: container and Service port http, prometheus.io annotations (https)" % http_port)

if SERVICEMONITOR in kustomization["resources"]:
    fail("%s must not be in kustomization.yaml: apply -k fails where the Prometheus Operator's CRDs are absent"
         % SERVICEMONITOR)
monitors = [d for d in yaml.safe_load_all(read(os.path.join("deploy/kubernetes", SERVICEMONITOR))) if d]
if len(monitors) != 1 or monitors[0].get("kind") != "ServiceMonitor" \
        or monitors[0].get("apiVersion") != "monitoring.coreos.com/v1":
    fail("%s must hold one ServiceMonitor (monitoring.coreos.com/v1)" % SERVICEMONITOR)
monitor = monitors[0]
if monitor["metadata"].get("namespace") != "graft":
    fail("ServiceMonitor must be in namespace graft (it reads its Secrets from there)")
if monitor["spec"].get("namespaceSelector", {}).get("matchNames") != ["graft"]:
    fail("ServiceMonitor namespaceSelector must be matchNames [graft]")
selector = monitor["spec"]["selector"].get("matchLabels", {})
selected = sorted(name for (kind, name), doc in objects.items() if kind == "Service"
                  and all(doc["metadata"].get("labels", {}).get(k) == v for k, v in selector.items()))
if selected != ["graft-headless"]:
    fail("ServiceMonitor must select Service graft-headless alone, selects %s" % selected)
endpoints = monitor["spec"].get("endpoints", [])
if len(endpoints) != 1:
    fail("ServiceMonitor needs one endpoint")
endpoint = endpoints[0]
if endpoint.get("port") != "http" or endpoint.get("path", "/metrics") != "/metrics":
    fail("ServiceMonitor must scrape port http, path /metrics")
if endpoint.get("scheme") != "https":
    fail("ServiceMonitor must scrape with scheme https: the HTTP listener shares the replicas' TLS")
tls_config = endpoint.get("tlsConfig", {})
if tls_config.get("insecureSkipVerify"):
    fail("ServiceMonitor must verify the replicas' certificate, not skip it")
if tls_config.get("ca", {}).get("secret") != {"name": tls_secret, "key": "ca.crt"}:
    fail("ServiceMonitor must trust ca.crt of Secret %s" % tls_secret)
if tls_config.get("serverName") != HEADLESS:
    fail("ServiceMonitor serverName must be %s (the name in the replicas' certificate)" % HEADLESS)
authorization = endpoint.get("authorization", {})
if authorization.get("type", "Bearer") != "Bearer" or "credentials" not in authorization:
    fail("ServiceMonitor must send a bearer token (authorization.credentials): /metrics needs role reader")
token_ref = authorization["credentials"]
keys = secret_keys(token_ref["name"])
if keys is None or token_ref["key"] not in keys:
    fail("ServiceMonitor's token: no Secret %s with key %s in the manifests" % (token_ref["name"], token_ref["key"]))
if "PLACEHOLDER" not in secret_text(token_ref["name"], token_ref["key"]):
    fail("Secret %s must ship a PLACEHOLDER, not a token" % token_ref["name"])
print("ok %s: ServiceMonitor (not in the kustomization) scrapes graft-headless:http/metrics over HTTPS "
      "(ca.crt of Secret %s, name %s) with the token of Secret %s (placeholder)"
      % (SERVICEMONITOR, tls_secret, HEADLESS, token_ref["name"]))

# --- the shared-store overlay (deploy/kubernetes-shared-store): no shared volume ----------------
# Rendered here with the subset of a strategic merge patch the overlay uses (maps merged, lists of
# objects merged by name, volumeMounts by mountPath, `$patch: delete`, other lists replaced whole);
# where kubectl is installed, its own `kubectl kustomize` must render the same.
OVERLAY = "deploy/kubernetes-shared-store"


def merge(base, patch, key="name"):
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v, "mountPath" if k == "volumeMounts" else "name")
            else:
                out[k] = v
        return out
    if isinstance(base, list) and isinstance(patch, list) and all(isinstance(i, dict) and key in i for i in patch):
        # as kustomize orders them: the patch's new items first, then the base's, merged or deleted
        by_key = {item[key]: item for item in patch}
        added = [item for item in patch if item.get("$patch") != "delete" and
                 all(b.get(key) != item[key] for b in base)]
        kept = [b for b in base if by_key.get(b.get(key), {}).get("$patch") != "delete"]
        return added + [merge(b, by_key[b[key]]) if b.get(key) in by_key else b for b in kept]
    return patch


overlay_kustomization = yaml.safe_load(read(OVERLAY + "/kustomization.yaml"))
if overlay_kustomization["resources"][0] != "../kubernetes":
    fail("%s must build on ../kubernetes (the base) first" % OVERLAY)
shared = dict(objects)
for name in overlay_kustomization["resources"][1:]:
    for doc in yaml.safe_load_all(read(os.path.join(OVERLAY, name))):
        if doc:
            key = (doc["kind"], doc["metadata"]["name"])
            if key in shared:
                fail("%s: %s %s defined twice" % (OVERLAY, key[0], key[1]))
            shared[key] = doc
for entry in overlay_kustomization.get("patches", []):
    patch = yaml.safe_load(read(os.path.join(OVERLAY, entry["path"])))
    key = (patch["kind"], patch["metadata"]["name"])
    if key not in shared:
        fail("%s/%s patches %s %s, which the base lacks" % (OVERLAY, entry["path"], key[0], key[1]))
    if patch.get("$patch") == "delete":
        del shared[key]
    else:
        shared[key] = merge(shared[key], patch)


def strip_directives(value):
    if isinstance(value, dict):
        return {k: strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [strip_directives(v) for v in value]
    return value


shared = {k: strip_directives(v) for k, v in shared.items()}
try:
    import subprocess
    rendered = subprocess.run(["kubectl", "kustomize", os.path.join(root, OVERLAY)], capture_output=True,
                              text=True, timeout=60)
except (OSError, subprocess.TimeoutExpired):
    rendered = None
if rendered is not None:
    if rendered.returncode != 0:
        fail("kubectl kustomize %s: %s" % (OVERLAY, rendered.stderr.strip()))
    def canonical(value):  # the order of named items is kustomize's own business
        if isinstance(value, dict):
            return {k: canonical(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [canonical(v) for v in value]
            if all(isinstance(i, dict) and ("name" in i or "mountPath" in i) for i in items):
                items.sort(key=lambda i: str(i.get("name", i.get("mountPath"))) + str(i.get("mountPath", "")))
            return items
        return value

    by_kubectl = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(rendered.stdout) if d}
    if canonical(by_kubectl) != canonical(shared):
        differ = sorted(k for k in set(by_kubectl) | set(shared)
                        if canonical(by_kubectl.get(k)) != canonical(shared.get(k)))
        fail("kubectl kustomize %s renders %s differently from this check's merge" % (OVERLAY, differ))
    print("ok kubectl kustomize %s renders what this check merges" % OVERLAY)

if any(kind == "PersistentVolumeClaim" for kind, _ in shared):
    fail("%s must hold no PersistentVolumeClaim (no shared folder)" % OVERLAY)
pod = shared[("Deployment", "graft")]["spec"]["template"]["spec"]
container = pod["containers"][0]
overlay_args = container.get("args", [])
if overlay_args[:len(args)] != args:
    fail("%s: the replicas' args must start with the base's (TLS, tokens, address): %s" % (OVERLAY, args))
extra = dict(zip(overlay_args[len(args)::2], overlay_args[len(args) + 1::2]))
store = extra.get("--store", "")
if not re.match(r"postgresql://([^:@/]+@)?[^:@/]+(:\d+)?/[^/?]+(\?.*)?$", store):
    fail("%s: --store must be postgresql://[user@]host[:port]/database without a password, not %r" % (OVERLAY, store))
if not extra.get("--blob-store", "").startswith("s3://"):
    fail("%s: --blob-store must be s3://bucket/prefix" % OVERLAY)
volumes = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
work = mounts.get(extra.get("--work-dir", "(none)").rstrip("/"))
if work is None or "emptyDir" not in volumes[work["name"]]:
    fail("%s: --work-dir must be an emptyDir mount" % OVERLAY)
size_limit = volumes[work["name"]]["emptyDir"].get("sizeLimit", "")
units = {"Gi": 1 << 30, "Mi": 1 << 20}
limit_match = re.match(r"(\d+)(Gi|Mi)$", size_limit)
if not limit_match:
    fail("%s: the work-dir emptyDir needs a sizeLimit in Gi or Mi" % OVERLAY)
if int(extra.get("--blob-cache-bytes", 10 << 30)) * 5 > int(limit_match.group(1)) * units[limit_match.group(2)] * 4:
    fail("%s: blob-cache-bytes must stay within 80%% of the work-dir's sizeLimit %s (staging and checkpoints "
         "share it)" % (OVERLAY, size_limit))
objects_before = objects
objects = shared  # mounted() reads the global objects
password_volume, password_key, _ = mounted("graft", extra.get("--store-password-file", "(none)"))
objects = objects_before
if "secret" not in password_volume:
    fail("%s: --store-password-file must be mounted from a Secret" % OVERLAY)
password_secret = password_volume["secret"]["secretName"]
env = {e["name"]: e for e in container.get("env", [])}
if "GRAFT_STORE_PASSWORD" in env and "value" in env["GRAFT_STORE_PASSWORD"]:
    fail("%s: GRAFT_STORE_PASSWORD must come from a Secret, not a literal value" % OVERLAY)
for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    ref = env.get(name, {}).get("valueFrom", {}).get("secretKeyRef")
    if ref is None:
        fail("%s: %s must come from a Secret (secretKeyRef)" % (OVERLAY, name))
    if ("Secret", ref["name"]) not in shared or ref["key"] not in (
            set(shared[("Secret", ref["name"])].get("data", {})) | set(shared[("Secret", ref["name"])].get("stringData", {}))):
        fail("%s: %s names Secret %s key %s, which the overlay lacks" % (OVERLAY, name, ref["name"], ref["key"]))
for name in (password_secret, env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"]):
    values = shared[("Secret", name)].get("stringData", {})
    if not values or any("PLACEHOLDER" not in v for v in values.values()):
        fail("%s: Secret %s must ship PLACEHOLDERs only" % (OVERLAY, name))
print("ok %s: no PersistentVolumeClaim; --store %s (no password; password file from Secret %s), --blob-store %s, "
      "--work-dir on an emptyDir (sizeLimit %s, blob-cache-bytes %s), AWS credentials from Secret %s (placeholders)"
      % (OVERLAY, store, password_secret, extra["--blob-store"], size_limit, extra.get("--blob-cache-bytes", "default"),
         env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"]))
