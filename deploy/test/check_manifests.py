#!/usr/bin/env python3
"""Structural checks of deploy/kubernetes (no cluster needed): every file parses, the ConfigMap
carries deploy/envoy/envoy.yaml verbatim, selectors match pod labels, volumes and config maps
exist, probes are gRPC probes as docs/deploy.md describes, the store is ReadWriteMany and the
Graft Service is headless. Prints "ok <check>" lines; exits 1 on the first failure."""
import os
import sys

import yaml

root = sys.argv[1] if len(sys.argv) > 1 else "."
kdir = os.path.join(root, "deploy/kubernetes")


def fail(why):
    sys.exit("FAIL manifests: " + why)


kustomization = yaml.safe_load(open(os.path.join(kdir, "kustomization.yaml")))
objects = {}
for name in kustomization["resources"]:
    for doc in yaml.safe_load_all(open(os.path.join(kdir, name))):
        if doc:
            key = (doc["kind"], doc["metadata"]["name"])
            if key in objects:
                fail("%s %s defined twice" % key)
            objects[key] = doc
print("ok manifests parse: %d objects" % len(objects))

configmap = objects.get(("ConfigMap", "graft-envoy"))
with open(os.path.join(root, "deploy/envoy/envoy.yaml")) as f:
    if not configmap or configmap["data"]["envoy.yaml"] != f.read():
        fail("ConfigMap graft-envoy differs from deploy/envoy/envoy.yaml: run deploy/kubernetes/sync-envoy-config")
print("ok configmap graft-envoy carries deploy/envoy/envoy.yaml")

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
    if kind == "Service":
        pods = [d["spec"]["template"]["metadata"]["labels"] for (k, _), d in objects.items() if k == "Deployment"]
        if not any(all(p.get(k) == v for k, v in doc["spec"]["selector"].items()) for p in pods):
            fail("Service %s selects no pods" % name)

graft = objects[("Deployment", "graft")]["spec"]["template"]["spec"]["containers"][0]
if graft["readinessProbe"].get("grpc", {}).get("service", "") != "":
    fail("graft readiness must be the gRPC probe of the overall status")
for probe in ("livenessProbe", "startupProbe"):
    if graft[probe].get("grpc", {}).get("service") != "graft.v1.ServerService":
        fail("graft %s must be the gRPC probe of graft.v1.ServerService" % probe)
if objects[("Service", "graft-headless")]["spec"].get("clusterIP") != "None":
    fail("graft-headless must be headless")
if "ReadWriteMany" not in objects[("PersistentVolumeClaim", "graft-store")]["spec"]["accessModes"]:
    fail("the store must be ReadWriteMany")
envoy_cluster = yaml.safe_load(configmap["data"]["envoy.yaml"])["static_resources"]["clusters"][0]
address = envoy_cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
if address["address"] != "graft-headless.graft.svc.cluster.local" or address["port_value"] != 50051:
    fail("Envoy's upstream is not the headless Service: %s" % address)
print("ok manifests: probes, headless Service, ReadWriteMany store, Envoy upstream")
