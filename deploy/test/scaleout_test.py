#!/usr/bin/env python3
"""Scale-out test: three Graft replicas sharing one store behind a real Envoy, all on loopback.

Run through deploy/test/run, which installs Envoy and grpcio into a virtual environment,
generates the stubs and passes their folder. The Envoy configuration is deploy/envoy/envoy.yaml
with only the listener, admin and upstream addresses rewritten, so every filter and policy
tested here is the one deployed.

Two modes. By default the replicas share one store folder (the local store). With --shared they
share a real PostgreSQL and a real MinIO (started here, see shared_backends.py) and each has its
own --work-dir: no shared folder at all; jobs go through the cluster's queue (any replica with a
free training slot runs them) and cancel and WatchJob cross replicas through LISTEN/NOTIFY.

Steps (one line each, "ok <step>" or "FAIL <step>: why", then "N passed, M failed"):
  readiness  each replica says NOT_SERVING while it warms up, then SERVING
  store      GetServerInfo's store: "local" (1 replica), or "shared" with 3 replicas, the
             database without its password and the bucket
  affinity   calls with one x-graft-model header all land on one replica (x-graft-replica)
  train      a model trained through Envoy; WatchJob through Envoy reaches the replica that took
             the Train call, WatchJob on another replica follows the job through the store until
             SUCCEEDED (shared: the job may run on any replica; which one is reported)
  serve      the model predicts correctly through Envoy and from every replica directly
  kill       a replica is killed (SIGKILL) during a burst of Predict calls: no call fails.
             Shared: the killed replica is the one running a long knowledge-transfer job, killed
             once a checkpoint of it was copied to object storage
  resume     (shared) the killed replica leaves the store's count (3 -> 2) once its lease
             lapses; its job is queued again, runs on another replica, restores the checkpoint
             copy ("resuming after epoch N") and goes on at epoch N+1: the job's history keeps
             epochs 1..k from before the kill and continues at N+1, epoch 1 is never redone;
             WatchJob streams see RUNNING, QUEUED, RUNNING and keep going
  watch      a WatchJob stream through Envoy outlives 60 s (connections age out meanwhile)
  cancel     CancelJob on a replica that does not run the job stops it on the one that does
  drain      SIGTERM: the replica drains and exits while calls through Envoy keep succeeding
             (shared: it deregisters at once, the last replica counts 1)
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import yaml

import shared_backends

SENTENCES = ["what a wonderful, lovely day", "this is terrible and awful"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    def __init__(self, name, jar, store_args, work, env=None):
        self.name = name
        self.log_path = os.path.join(work, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["java", "-Xmx1g", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
             "-jar", jar, "--port", "0"] + store_args + ["--replica-id", name,
             "--shutdown-grace-seconds", "10",
             # short connection age: Envoy's upstream connections are replaced during the test
             "--max-connection-age-seconds", "10", "--max-connection-age-grace-seconds", "600"],
            stdout=self.log, stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})))
        self.port = None
        self.listening = None

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def poll_start(self):
        text = self.text()
        m = re.search(r"listening on port (\d+)", text)
        if m:
            self.listening = int(m.group(1))
        m = re.search(r"serving on port (\d+)", text)
        if m:
            self.port = int(m.group(1))
        return self.port

    def alive(self):
        return self.proc.poll() is None

    def instance(self):
        """Shared store: the instance id this replica registered under (the owner of the jobs it saves)."""
        m = re.search(r"registered as instance (\S+) on", self.text())
        return m.group(1) if m else None


class Suite:
    def __init__(self, args):
        self.args = args
        self.shared = args.shared
        self.backends = None
        self.results = []
        self.replicas = []
        self.envoy = None
        self.measured = {}
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        from graft.v1 import (datasets_pb2, datasets_pb2_grpc, inference_pb2, inference_pb2_grpc,
                              models_pb2, models_pb2_grpc, server_pb2, server_pb2_grpc,
                              training_pb2, training_pb2_grpc, common_pb2)
        self.grpc = grpc
        self.pb = dict(health=health_pb2, datasets=datasets_pb2, inference=inference_pb2, models=models_pb2,
                       server=server_pb2, training=training_pb2, common=common_pb2)
        self.grpc_mods = dict(health=health_pb2_grpc, datasets=datasets_pb2_grpc, inference=inference_pb2_grpc,
                              models=models_pb2_grpc, server=server_pb2_grpc, training=training_pb2_grpc)

    # ---------------------------------------------------------------- plumbing

    def stubs(self, port):
        channel = self.grpc.insecure_channel("127.0.0.1:%d" % port)
        g = self.grpc_mods
        return dict(channel=channel, health=g["health"].HealthStub(channel),
                    datasets=g["datasets"].DatasetServiceStub(channel),
                    inference=g["inference"].InferenceServiceStub(channel),
                    models=g["models"].ModelServiceStub(channel), server=g["server"].ServerServiceStub(channel),
                    training=g["training"].TrainingServiceStub(channel))

    @staticmethod
    def replica_of(call, finished=True):
        """The x-graft-replica response header (or trailer, for a finished trailers-only call)."""
        metadata = list(call.initial_metadata() or ())
        if finished:  # trailing_metadata() blocks until the call ends
            metadata += list(call.trailing_metadata() or ())
        for k, v in metadata:
            if k == "x-graft-replica":
                return v
        return None

    @staticmethod
    def md(model):
        return (("x-graft-model", model),) if model else ()

    def unary(self, method, request, model=None, timeout=30):
        response, call = method.with_call(request, metadata=self.md(model), timeout=timeout)
        return response, self.replica_of(call)

    def step(self, name, fn):
        started = time.time()
        try:
            fn()
            self.results.append(True)
            print("ok %s (%.1f s)" % (name, time.time() - started), flush=True)
        except Exception as e:  # a failed step is reported, the next ones still run
            self.results.append(False)
            print("FAIL %s: %s" % (name, e), flush=True)

    def check(self, cond, why):
        if not cond:
            raise AssertionError(why)

    # ---------------------------------------------------------------- set-up

    def start(self):
        if self.shared:
            started = time.time()
            self.backends = shared_backends.Backends(self.args.postgres_bin, self.args.minio,
                                                     os.path.join(self.args.work, "backends"))
            self.backends.start()
            print("   PostgreSQL (%s) on %d and MinIO on %d up in %.1f s" % (
                self.args.postgres_bin, self.backends.postgres.port, self.backends.minio.port,
                time.time() - started), flush=True)
        else:
            self.store_dir = os.path.join(self.args.work, "store")
            os.makedirs(self.store_dir)
        if self.shared:
            # All three at once: the database's advisory lock lets one of them install the built-in
            # models, once (checked by the store step).
            self.replicas = [self.new_replica(n) for n in ("r1", "r2", "r3")]
            self.warm_statuses = {r.name: set() for r in self.replicas}
            self.wait_started(self.replicas, 240, watch_health=True)
        else:
            # The first replica creates the store and registers the built-in models; the others share it.
            first = self.new_replica("r1")
            self.replicas.append(first)
            self.wait_started([first], 120)
            self.replicas += [self.new_replica(n) for n in ("r2", "r3")]
            self.warm_statuses = {r.name: set() for r in self.replicas}
            self.wait_started(self.replicas[1:], 120, watch_health=True)
        self.by_name = {r.name: r for r in self.replicas}
        self.direct = {r.name: self.stubs(r.port) for r in self.replicas}
        self.start_envoy()

    def new_replica(self, name):
        if not self.shared:
            return Replica(name, self.args.jar, ["--store", self.store_dir], self.args.work)
        # Each replica has a folder of its own (blob cache, staging, checkpoints); nothing is shared
        # but the database and the bucket.
        work_dir = os.path.join(self.args.work, name + "-work")
        os.makedirs(work_dir)
        return Replica(name, self.args.jar, self.backends.store_args("scaleout") + ["--work-dir", work_dir],
                       self.args.work, self.backends.environment())

    def wait_started(self, replicas, seconds, watch_health=False):
        deadline = time.time() + seconds
        health = {}
        while time.time() < deadline:
            for r in replicas:
                if not r.alive():
                    raise RuntimeError("replica %s died at start:\n%s" % (r.name, r.text()[-3000:]))
                r.poll_start()
                if watch_health and r.listening and r.port is None:
                    stub = health.setdefault(r.name, self.stubs(r.listening)["health"])
                    try:
                        status = stub.Check(self.pb["health"].HealthCheckRequest(), timeout=2).status
                        self.warm_statuses[r.name].add(self.pb["health"].HealthCheckResponse.ServingStatus.Name(status))
                    except self.grpc.RpcError:
                        pass
            if all(r.port for r in replicas):
                return
            time.sleep(0.05)
        raise RuntimeError("replicas did not start within %d s" % seconds)

    def start_envoy(self):
        with open(os.path.join(self.args.repo, "deploy/envoy/envoy.yaml")) as f:
            config = yaml.safe_load(f)
        self.envoy_port, self.admin_port = free_port(), free_port()
        config["admin"]["address"]["socket_address"] = {"address": "127.0.0.1", "port_value": self.admin_port}
        listener = config["static_resources"]["listeners"][0]
        listener["address"]["socket_address"] = {"address": "127.0.0.1", "port_value": self.envoy_port}
        cluster = config["static_resources"]["clusters"][0]
        # Fixed loopback addresses instead of the headless Service's DNS name; every policy stays.
        cluster["type"] = "STATIC"
        for key in ("dns_lookup_family", "dns_refresh_rate"):
            cluster.pop(key, None)
        cluster["load_assignment"]["endpoints"][0]["lb_endpoints"] = [
            {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": r.port}}}}
            for r in self.replicas]
        path = os.path.join(self.args.work, "envoy.json")
        with open(path, "w") as f:
            json.dump(config, f, indent=1)
        self.envoy_log = os.path.join(self.args.work, "envoy.log")
        self.envoy = subprocess.Popen(
            [self.args.envoy, "-c", path, "--disable-hot-restart", "--log-level", "warn"],
            stdout=open(self.envoy_log, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.envoy.poll() is not None:
                raise RuntimeError("envoy exited:\n" + open(self.envoy_log).read()[-3000:])
            if self.healthy_upstreams() == len(self.replicas):
                self.via = self.stubs(self.envoy_port)
                return
            time.sleep(0.2)
        raise RuntimeError("envoy did not see 3 healthy replicas within 60 s")

    def healthy_upstreams(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/clusters" % self.admin_port, timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return 0
        return len(re.findall(r"^graft::[0-9.]+:\d+::health_flags::healthy$", text, re.M))

    def stop(self):
        for r in self.replicas:
            if r.alive():
                r.proc.kill()
            r.proc.wait(10)
        if self.backends:
            self.backends.stop()
        if self.envoy and self.envoy.poll() is None:
            self.envoy.terminate()
            try:
                self.envoy.wait(10)
            except subprocess.TimeoutExpired:
                self.envoy.kill()
                self.envoy.wait(10)
            with open(self.envoy_log) as f:
                self.measured["envoy_retried_calls"] = len(re.findall(r" attempts=[2-9] ", f.read()))

    # ---------------------------------------------------------------- steps

    def readiness(self):
        seen = self.warm_statuses
        print("   health while warming up: %s" % {k: sorted(v) for k, v in seen.items()}, flush=True)
        self.check(any("NOT_SERVING" in v for v in seen.values()),
                   "no replica was seen NOT_SERVING while warming up: %s" % seen)
        for name, stubs in self.direct.items():
            status = stubs["health"].Check(self.pb["health"].HealthCheckRequest(), timeout=5).status
            self.check(status == self.pb["health"].HealthCheckResponse.SERVING, "%s is not SERVING" % name)

    def server_info(self, name):
        info, _ = self.unary(self.direct[name]["server"].GetServerInfo, self.pb["server"].GetServerInfoRequest())
        return info

    def check_store(self):
        for name in self.direct:
            store = self.server_info(name).store
            if not self.shared:
                self.check(store.kind == "local" and store.replicas == 1 and store.location == self.store_dir,
                           "%s: %s" % (name, store))
                continue
            self.check(store.kind == "shared", "%s: store kind %r" % (name, store.kind))
            self.check(store.replicas == 3, "%s counts %d replicas" % (name, store.replicas))
            self.check(store.location == self.backends.postgres.url(), "%s: location %r" % (name, store.location))
            self.check(self.backends.postgres.password not in str(store), "%s shows the database password" % name)
            self.check(store.blob_store == "s3://%s/scaleout" % shared_backends.BUCKET,
                       "%s: blob store %r" % (name, store.blob_store))
        if self.shared:
            # Started together, the replicas installed each built-in model once.
            listed, _ = self.unary(self.direct["r3"]["models"].ListModels, self.pb["models"].ListModelsRequest())
            versions = {}
            for m in listed.models:
                versions.setdefault(m.name, []).append(m.version)
            self.check(len(versions) >= 8 and all(v == [1] for v in versions.values()),
                       "built-in models and their versions: %s" % versions)
            print("   shared on every replica: %s, %s, 3 replicas, each with its own work-dir; %d built-in models "
                  "installed once" % (store.location, store.blob_store, len(versions)))

    def names_by_instance(self):
        """Shared store: replica name per instance id (from the replicas' logs)."""
        return {r.instance(): r.name for r in self.replicas if r.instance()}

    def sql(self, query):
        return self.backends.postgres.psql(query)

    def job_owner(self, job_id):
        """Shared store: the replica that saved the job last (its runner once it runs), or None."""
        rows = self.sql("SELECT owner FROM jobs WHERE id = '%s'" % job_id)
        return self.names_by_instance().get(rows[0][0]) if rows else None

    def claim_of(self, job_id):
        """Shared store: (replica that claimed the job from the cluster's queue, attempts), or (None, 0)."""
        rows = self.sql("SELECT coalesce(claimed_by, ''), attempts FROM job_queue WHERE id = '%s'" % job_id)
        if not rows:
            return None, 0
        return self.names_by_instance().get(rows[0][0]), int(rows[0][1])

    def copied_epoch(self, job_id):
        """Shared store: the epoch of the job's checkpoint copied to object storage, or 0."""
        rows = self.sql("SELECT epoch FROM job_checkpoints WHERE job_id = '%s'" % job_id)
        return int(rows[0][0]) if rows else 0

    def affinity(self):
        info = self.pb["server"].GetServerInfoRequest()
        self.home = {}
        for i in range(12):
            model = "affinity-%d" % i
            seen = set()
            for _ in range(5):
                response, header = self.unary(self.via["server"].GetServerInfo, info, model)
                self.check(header == response.replica, "header %s but ServerInfo.replica %s" % (header, response.replica))
                seen.add(header)
            self.check(len(seen) == 1, "calls about %s went to %s" % (model, sorted(seen)))
            self.home[model] = seen.pop()
        spread = set(self.home.values())
        print("   12 models over replicas: %s" % {r: list(self.home.values()).count(r) for r in sorted(spread)})
        self.check(len(spread) >= 2, "every model hashed to one replica: %s" % spread)

    def replica_for(self, model):
        _, header = self.unary(self.via["server"].GetServerInfo, self.pb["server"].GetServerInfoRequest(), model)
        return header

    def upload_dataset(self):
        pb = self.pb["datasets"]
        with open(os.path.join(self.args.repo, "clients/conformance/dataset.jsonl"), "rb") as f:
            data = f.read()
        requests = [pb.UploadDatasetRequest(spec=pb.DatasetSpec(name="scale-out", domain="nlp",
                                                                 format=pb.DATASET_FORMAT_JSONL)),
                    pb.UploadDatasetRequest(chunk=self.pb["common"].DataChunk(data=data))]
        dataset, _ = self.unary(self.via["datasets"].UploadDataset, iter(requests), "scale-sentiment")
        self.check(dataset.examples == 16, "dataset has %d examples" % dataset.examples)
        return dataset.id

    def train_request(self, model, **hyper):
        t = self.pb["training"]
        return t.TrainRequest(base_model="minilm-l6", strategy="feature-extraction", output_model=model,
                              train=self.pb["common"].DataSource(dataset=self.dataset), validation_split=0.25,
                              hyperparameters=t.Hyperparameters(**hyper))

    def watch(self, stubs, job_id, model, out, timeout=600):
        """Collects a WatchJob stream into out: events, replica, start, end, error."""
        out.update(events=[], start=time.time(), error=None, replica=None)
        try:
            call = stubs["training"].WatchJob(self.pb["training"].WatchJobRequest(id=job_id),
                                              metadata=self.md(model), timeout=timeout)
            for event in call:
                if out["replica"] is None:
                    out["replica"] = self.replica_of(call, finished=False)
                out["events"].append((time.time(), event))
        except self.grpc.RpcError as e:
            out["error"] = "%s %s" % (e.code(), e.details())
        out["end"] = time.time()

    def state(self, event):
        return self.pb["training"].JobState.Name(event.job.state)

    def train(self):
        self.model = "scale-sentiment"
        self.dataset = self.upload_dataset()
        job, train_replica = self.unary(self.via["training"].Train,
                                        self.train_request(self.model, epochs=30, seed=7), self.model)
        self.owner = train_replica
        other = next(n for n in self.direct if n != train_replica)
        remote = {}
        remote_thread = threading.Thread(target=self.watch, args=(self.direct[other], job.id, None, remote, 120))
        remote_thread.start()
        via = {}
        self.watch(self.via, job.id, self.model, via, 120)
        remote_thread.join(60)
        self.check(via["error"] is None, "watch through Envoy failed: %s" % via["error"])
        self.check(via["replica"] == train_replica,
                   "Train went to %s but WatchJob to %s" % (train_replica, via["replica"]))
        self.check(self.state(via["events"][-1][1]) == "JOB_STATE_SUCCEEDED",
                   "job ended %s: %s" % (self.state(via["events"][-1][1]), via["events"][-1][1].job.error.message))
        self.check(remote.get("error") is None and remote.get("events"), "remote watch failed: %s" % remote.get("error"))
        self.check(self.state(remote["events"][-1][1]) == "JOB_STATE_SUCCEEDED",
                   "the watch on %s ended %s" % (other, self.state(remote["events"][-1][1])))
        # Shared store: the job ran on whichever replica claimed it from the cluster's queue; a watch
        # on a replica that did not run it goes through the database.
        runner = self.job_owner(job.id) if self.shared else train_replica
        if runner != other:
            self.check("another replica" in remote["events"][0][1].message, remote["events"][0][1].message)
        for name, stubs in self.direct.items():
            got, _ = self.unary(stubs["training"].GetJob, self.pb["training"].GetJobRequest(id=job.id))
            self.check(got.state == self.pb["training"].JOB_STATE_SUCCEEDED, "%s sees the job %s" % (name, got.state))
        if self.shared:
            print("   Train taken by %s, run by %s (cluster queue); watched on %s: %d events" % (
                train_replica, runner, other, len(remote["events"])))
        else:
            print("   trained on %s; watched on %s through the store: %d events" % (
                train_replica, other, len(remote["events"])))

    def predict_request(self, model):
        inf = self.pb["inference"]
        return inf.PredictRequest(model=model, top_k=2, inputs=[
            self.pb["common"].Input(text=self.pb["common"].Text(text=s)) for s in SENTENCES])

    def serve(self):
        reference, replica = self.unary(self.via["inference"].Predict, self.predict_request(self.model), self.model)
        self.check(replica == self.owner, "Predict went to %s, Train to %s" % (replica, self.owner))
        tops = [p.classes[0].label for p in reference.predictions]
        self.check(tops == ["positive", "negative"], "through Envoy: %s" % tops)
        # The Open Inference Protocol through Envoy: same affinity (the x-graft-model header), same answer.
        from inference import open_inference_v2_pb2 as oip, open_inference_v2_pb2_grpc as oip_grpc
        texts = oip.InferTensorContents(bytes_contents=[s.encode() for s in SENTENCES])
        name, version = self.model.split("@") if "@" in self.model else (self.model, "")
        answer, replica = self.unary(oip_grpc.GRPCInferenceServiceStub(self.via["channel"]).ModelInfer,
                                     oip.ModelInferRequest(model_name=name, model_version=version, inputs=[
                                         oip.ModelInferRequest.InferInputTensor(name="text", datatype="BYTES",
                                                                                shape=[len(SENTENCES)],
                                                                                contents=texts)]), self.model)
        self.check(replica == self.owner, "OIP ModelInfer went to %s, Train to %s" % (replica, self.owner))
        labels = [o for o in answer.outputs if o.name == "labels"][0].contents.bytes_contents
        self.check([labels[0].decode(), labels[2].decode()] == tops,
                   "OIP labels through Envoy %s, Predict's %s" % (list(labels), tops))
        inf = self.pb["inference"]
        for name, stubs in self.direct.items():
            model, _ = self.unary(stubs["models"].GetModel, self.pb["models"].GetModelRequest(name=self.model))
            self.check(model.version >= 1 and model.strategy == "feature-extraction", "%s: %s" % (name, model))
            got, header = self.unary(stubs["inference"].Predict, self.predict_request(self.model))
            self.check(header == name, "direct call to %s answered by %s" % (name, header))
            for a, b in zip(reference.predictions, got.predictions):
                self.check([c.label for c in a.classes] == [c.label for c in b.classes], "%s ranks differently" % name)
                for x, y in zip(a.classes, b.classes):
                    self.check(abs(x.score - y.score) < 1e-4, "%s: %s %f vs %f" % (name, x.label, x.score, y.score))
            features, _ = self.unary(stubs["inference"].Extract, inf.ExtractRequest(
                model=self.model, normalize=True,
                inputs=[self.pb["common"].Input(text=self.pb["common"].Text(text=s)) for s in SENTENCES]))
            self.check(len(features.features) == 2 and features.dimension == 384, "%s: extract %d" % (name, features.dimension))
            norm = math.sqrt(sum(v * v for v in features.features[0].values))
            self.check(abs(norm - 1) < 1e-3, "%s: norm %f" % (name, norm))

    def long_job_and_kill(self):
        # The long job's model must live on another replica than the one that will be killed.
        self.victim = self.owner
        self.long_model = next(m for m in ("long-%d" % i for i in range(60)) if self.replica_for(m) != self.victim)
        job, self.long_owner = self.unary(self.via["training"].Train, self.train_request(
            self.long_model, epochs=100000, early_stopping_patience=100000, batch_size=1, seed=7), self.long_model)
        self.long_job = job.id
        self.check(self.long_owner != self.victim, "long job landed on the victim %s" % self.victim)
        self.third = next(n for n in self.direct if n not in (self.victim, self.long_owner))
        self.start_long_watches(self.long_model, self.third)
        deadline = time.time() + 60
        while time.time() < deadline and not any(
                self.state(e) == "JOB_STATE_RUNNING" for _, e in list(self.long_watch.get("events", []))):
            time.sleep(0.2)
        self.check(any(self.state(e) == "JOB_STATE_RUNNING" for _, e in self.long_watch["events"]), "long job never ran")
        # The burst: Predict on the trained model (affinity: the victim) while the victim is killed.
        self.burst_and_kill(self.model)

    def start_long_watches(self, header, remote):
        """WatchJob on the long job through Envoy (affinity: header) and directly on replica remote."""
        self.long_watch, self.remote_long_watch = {}, {}
        self.long_watch_thread = threading.Thread(
            target=self.watch, args=(self.via, self.long_job, header, self.long_watch, 300))
        self.remote_long_thread = threading.Thread(
            target=self.watch, args=(self.direct[remote], self.long_job, None, self.remote_long_watch, 300))
        self.long_watch_thread.start()
        self.remote_long_thread.start()

    def shared_long_job_and_kill(self):
        """Shared store: the victim is the replica running a long job, killed once a checkpoint was copied."""
        t = self.pb["training"]
        # knowledge-transfer keeps a checkpoint per epoch (feature extraction keeps none), which the
        # runner copies to object storage after each epoch.
        self.long_model = "long-shared"
        request = t.TrainRequest(base_model="minilm-l6", strategy="knowledge-transfer", output_model=self.long_model,
                                 train=self.pb["common"].DataSource(dataset=self.dataset), validation_split=0.25,
                                 hyperparameters=t.Hyperparameters(epochs=100000, early_stopping_patience=100000,
                                                                   seed=7))
        job, accepted = self.unary(self.via["training"].Train, request, self.long_model)
        self.long_job = job.id
        submitted = time.time()
        deadline = submitted + 120
        while self.copied_epoch(job.id) < 1:
            got, _ = self.unary(self.direct[accepted]["training"].GetJob, t.GetJobRequest(id=job.id))
            self.check(got.state in (t.JOB_STATE_QUEUED, t.JOB_STATE_RUNNING),
                       "long job ended %s: %s" % (t.JobState.Name(got.state), got.error.message))
            self.check(time.time() < deadline, "no checkpoint of the long job copied to object storage in 120 s "
                                               "(epoch %d)" % got.progress.epoch)
            time.sleep(0.5)
        self.measured["first_checkpoint_copy_seconds"] = round(time.time() - submitted, 1)
        self.victim, attempts = self.claim_of(job.id)
        self.check(self.victim in self.direct and attempts == 1, "claimed by %s, attempt %d" % (self.victim, attempts))
        self.check(self.job_owner(job.id) == self.victim, "claimed by %s, saved by %s" % (
            self.victim, self.job_owner(job.id)))
        # Watch through Envoy with a header whose replica will survive, and directly on the third one.
        header = next(m for m in ("long-%d" % i for i in range(60)) if self.replica_for(m) != self.victim)
        self.long_owner = self.replica_for(header)
        self.long_header = header
        self.remote_watcher = next(n for n in self.direct if n not in (self.victim, self.long_owner))
        self.third = self.remote_watcher  # until the resume step knows which survivor runs the job
        self.resumed_on = None
        self.start_long_watches(header, self.remote_watcher)
        # GetServerInfo on a replica that does not run it counts the job in the pool's cluster totals.
        deadline = time.time() + 30
        while not self.long_watch.get("events") and time.time() < deadline:
            time.sleep(0.1)
        pool = self.server_info(self.remote_watcher).pools[0]
        self.check(pool.cluster_running_jobs == 1 and sum(d.running_jobs for d in pool.devices) == 0,
                   "%s: pool %s cluster_running_jobs %d, running here %d" % (
                       self.remote_watcher, pool.name, pool.cluster_running_jobs,
                       sum(d.running_jobs for d in pool.devices)))
        print("   long job %s: Train taken by %s, run by %s (the victim), epoch %d copied; watched through Envoy "
              "on %s and directly on %s" % (job.id, accepted, self.victim, self.copied_epoch(job.id),
                                            self.long_owner, self.remote_watcher))
        # The burst: Predict on the trained model with a header that hashes to the victim (every
        # replica serves every model of the shared store) while the victim is killed.
        burst_header = next(m for m in ("burst-%d" % i for i in range(60)) if self.replica_for(m) == self.victim)
        self.burst_and_kill(burst_header)
        # What the victim left: its last copied checkpoint, and the job's history as it last saved it.
        self.copied_at_kill = self.copied_epoch(job.id)
        left, _ = self.unary(self.direct[self.long_owner]["training"].GetJob, t.GetJobRequest(id=job.id))
        self.history_at_kill = self.epochs(left)
        self.measured["killed_at_epoch"] = left.progress.epoch
        self.measured["copied_epoch_at_kill"] = self.copied_at_kill

    @staticmethod
    def epochs(job):
        """The epochs of the job's history, in order, for its first metric (split and name)."""
        if not job.history:
            return []
        first = job.history[0]
        return [m.epoch for m in job.history if (m.split, m.name, m.phase) == (first.split, first.name, first.phase)]

    def resume(self):
        """Shared store: the killed replica's job is queued again and resumes on a survivor."""
        t = self.pb["training"]
        survivors = [n for n in self.direct if n != self.victim]
        # The store's count of live replicas drops once the victim's heartbeat lease (15 s) lapses.
        deadline = self.killed_at + 40
        while self.server_info(survivors[0]).store.replicas != 2:
            self.check(time.time() < deadline, "%s still counts %d replicas %.0f s after the kill" % (
                survivors[0], self.server_info(survivors[0]).store.replicas, time.time() - self.killed_at))
            time.sleep(0.5)
        self.measured["replicas_2_after_seconds"] = round(time.time() - self.killed_at, 1)
        self.check(self.server_info(survivors[1]).store.replicas == 2, "%s disagrees" % survivors[1])
        # A survivor's sweep (every 5 s) queues the job again; a survivor with a free slot claims it.
        deadline = self.killed_at + 60
        while True:
            runner, attempts = self.claim_of(self.long_job)
            got, _ = self.unary(self.direct[survivors[0]]["training"].GetJob, t.GetJobRequest(id=self.long_job))
            self.check(got.state in (t.JOB_STATE_QUEUED, t.JOB_STATE_RUNNING), "the job ended %s (%s %s)" % (
                t.JobState.Name(got.state), got.error.reason if got.HasField("error") else "", got.error.message))
            if attempts >= 2 and runner in survivors and got.state == t.JOB_STATE_RUNNING:
                break
            self.check(time.time() < deadline, "not running again %.0f s after the kill: %s, claimed by %s, "
                                               "attempt %d" % (time.time() - self.killed_at,
                                                               t.JobState.Name(got.state), runner, attempts))
            time.sleep(0.5)
        self.measured["running_again_after_seconds"] = round(time.time() - self.killed_at, 1)
        self.resumed_on = runner
        self.third = next(n for n in survivors if n != runner)  # cancels through a survivor that does not run it
        self.check(attempts == 2, "attempt %d" % attempts)
        # The runner logs the epoch of the copy it restored: the one read at the kill (or, if the
        # victim's last copy committed just as it died, a later one).
        pattern = re.compile(r"job %s: resuming after epoch (\d+) from its checkpoint in object storage"
                             % self.long_job)
        deadline = time.time() + 10
        while not pattern.search(self.by_name[runner].text()):
            self.check(time.time() < deadline, "%s's log does not say it resumed the job; it says: %s" % (runner, [
                l for l in self.by_name[runner].text().splitlines() if self.long_job in l][-5:]))
            time.sleep(0.2)
        resumed = int(pattern.search(self.by_name[runner].text()).group(1))
        self.measured["resumed_after_epoch"] = resumed
        # The history: epochs 1..k as the victim saved them, then N+1 onwards (N: the restored epoch).
        pre = self.history_at_kill
        self.check(pre == list(range(1, len(pre) + 1)) and len(pre) >= resumed >= self.copied_at_kill >= 1,
                   "history at the kill %s, copied epoch %d, resumed after %d" % (pre, self.copied_at_kill, resumed))
        deadline = time.time() + 60
        while True:
            got, _ = self.unary(self.direct[runner]["training"].GetJob, t.GetJobRequest(id=self.long_job))
            history = self.epochs(got)
            if len(history) > len(pre):
                break
            self.check(time.time() < deadline, "no epoch ended after the resume: history %s" % history)
            time.sleep(0.5)
        self.check(history[:len(pre)] == pre, "history before the kill %s, now %s" % (pre, history))
        self.check(history[len(pre)] == resumed + 1, "went on at epoch %d after restoring epoch %d: %s" % (
            history[len(pre)], resumed, history))
        self.check(history.count(1) == 1, "epoch 1 trained again: %s" % history)
        # The watches (through Envoy on a survivor, and directly) saw it queued again and running again.
        for name, watch in (("through Envoy", self.long_watch), ("on " + self.remote_watcher, self.remote_long_watch)):
            after = [self.state(e) for at, e in list(watch["events"]) if at >= self.killed_at]
            self.check("JOB_STATE_QUEUED" in after and "JOB_STATE_RUNNING" in after[after.index("JOB_STATE_QUEUED"):],
                       "the watch %s saw after the kill: %s" % (name, sorted(set(after))))
            self.check(watch["error"] is None and "end" not in watch, "the watch %s ended: %s" % (name, watch["error"]))
        print("   %s killed with epochs 1-%d saved (copied: %d); 2 replicas counted after %.1f s; queued again and "
              "running on %s after %.1f s, resumed after epoch %d; history %s" % (
                  self.victim, self.measured["killed_at_epoch"], self.copied_at_kill,
                  self.measured["replicas_2_after_seconds"], runner, self.measured["running_again_after_seconds"],
                  resumed, self.compact(history)))

    @staticmethod
    def compact(epochs):
        """1,2,3,4,3,4,5 -> '1-4, 3-5'."""
        runs, start = [], None
        for i, e in enumerate(epochs):
            if start is None:
                start = e
            if i + 1 == len(epochs) or epochs[i + 1] != e + 1:
                runs.append("%d-%d" % (start, e) if e != start else str(e))
                start = None
        return ", ".join(runs)

    def burst_and_kill(self, header):
        """Predict calls through Envoy with affinity header (its replica: the victim) while the victim is killed."""
        request = self.predict_request(self.model)
        stop_at = time.time() + 15
        kill_at = time.time() + 4
        lock = threading.Lock()
        # before_kill: answered before the kill; after_kill: sent after it (calls in flight at the kill
        # are in neither: Envoy retries them elsewhere).
        tally = dict(ok=0, failed=0, errors=[], after_kill=set(), before_kill=set())
        killed = threading.Event()

        def worker():
            while time.time() < stop_at:
                sent_after_kill = killed.is_set()
                try:
                    response, replica = self.unary(self.via["inference"].Predict, request, header, timeout=30)
                    answered_before_kill = not killed.is_set()
                    ok = [p.classes[0].label for p in response.predictions] == ["positive", "negative"]
                    with lock:
                        tally["ok" if ok else "failed"] += 1
                        if answered_before_kill:
                            tally["before_kill"].add(replica)
                        if sent_after_kill:
                            tally["after_kill"].add(replica)
                        if not ok:
                            tally["errors"].append("wrong labels from %s" % replica)
                except self.grpc.RpcError as e:
                    with lock:
                        tally["failed"] += 1
                        tally["errors"].append("%s %s" % (e.code(), e.details()))

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(worker) for _ in range(6)]
            time.sleep(max(0, kill_at - time.time()))
            self.by_name[self.victim].proc.send_signal(signal.SIGKILL)
            self.killed_at = time.time()
            killed.set()
            for f in futures:
                f.result(60)
        self.measured["burst_calls"] = tally["ok"] + tally["failed"]
        self.measured["burst_failures"] = tally["failed"]
        print("   burst: %d calls, %d failed; before the kill on %s, after it on %s" % (
            tally["ok"] + tally["failed"], tally["failed"], sorted(tally["before_kill"]), sorted(tally["after_kill"])))
        self.check(tally["failed"] == 0, "%d calls failed: %s" % (tally["failed"], tally["errors"][:5]))
        self.check(tally["before_kill"] == {self.victim}, "before the kill: %s" % tally["before_kill"])
        self.check(tally["after_kill"] and self.victim not in tally["after_kill"],
                   "after the kill: %s" % tally["after_kill"])

    def long_watch_outlives_a_minute(self):
        start = self.long_watch["start"]
        time.sleep(max(0, start + 62 - time.time()))
        self.check(self.long_watch_thread.is_alive(), "the stream ended early: %s after %.1f s" % (
            self.long_watch.get("error"), self.long_watch.get("end", time.time()) - start))
        self.check(self.long_watch["replica"] == self.long_owner, "watched on %s, owner %s" % (
            self.long_watch["replica"], self.long_owner))
        self.check(len(self.long_watch["events"]) > 10, "only %d events" % len(self.long_watch["events"]))

    def cancel_elsewhere(self):
        t = self.pb["training"]
        answer, replica = self.unary(self.direct[self.third]["training"].CancelJob, t.CancelJobRequest(id=self.long_job))
        self.check(replica == self.third, "cancel answered by %s" % replica)
        asked = time.time()
        self.long_watch_thread.join(30)
        self.remote_long_thread.join(30)
        duration = self.long_watch["end"] - self.long_watch["start"]
        self.measured["watch_seconds"] = round(duration, 1)
        self.check(self.long_watch["error"] is None, "stream through Envoy failed: %s" % self.long_watch["error"])
        last = self.long_watch["events"][-1]
        self.check(self.state(last[1]) == "JOB_STATE_CANCELLED", "ended %s" % self.state(last[1]))
        self.measured["cancel_seconds"] = round(last[0] - asked, 1)
        self.check(last[0] - asked < 10, "cancelled %.1f s after the request" % (last[0] - asked))
        self.check(duration >= 60, "stream lasted only %.1f s" % duration)
        remote_last = self.remote_long_watch["events"][-1][1]
        self.check(self.state(remote_last) == "JOB_STATE_CANCELLED", "remote watch ended %s" % self.state(remote_last))
        runner = self.resumed_on if self.shared else self.long_owner
        print("   WatchJob through Envoy lasted %.1f s (%d events); cancelled via %s, %s running it stopped it in "
              "%.1f s" % (duration, len(self.long_watch["events"]), self.third, runner, last[0] - asked))

    def drain(self):
        target = self.by_name[self.third]
        info = self.pb["server"].GetServerInfoRequest()
        failures, calls, answered = [], [0], set()
        stop_at = time.time() + 10
        lock = threading.Lock()

        def worker(i):
            n = 0
            while time.time() < stop_at:
                n += 1
                try:
                    # No shared header: spread over every healthy replica, the draining one included.
                    response, replica = self.unary(self.via["server"].GetServerInfo, info, "drain-%d-%d" % (i, n), 10)
                    with lock:
                        calls[0] += 1
                        answered.add(replica)
                except self.grpc.RpcError as e:
                    with lock:
                        failures.append("%s %s" % (e.code(), e.details()))
                time.sleep(0.01)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(worker, i) for i in range(4)]
            time.sleep(2)
            sent = time.time()
            target.proc.send_signal(signal.SIGTERM)
            rc = target.proc.wait(30)
            exited = time.time() - sent
            for f in futures:
                f.result(60)
        self.measured["drain_exit_seconds"] = round(exited, 1)
        self.measured["drain_failures"] = len(failures)
        print("   %s exited %.1f s after SIGTERM (rc %s); %d calls, %d failed, answered by %s" % (
            self.third, exited, rc, calls[0], len(failures), sorted(answered)))
        self.check(not failures, "%d calls failed: %s" % (len(failures), failures[:5]))
        self.check(exited < 15, "took %.1f s to exit" % exited)
        if self.shared:
            # A drained replica deregisters from the store as it stops: the last one counts itself only.
            last = next(r.name for r in self.replicas if r.alive())
            replicas = self.server_info(last).store.replicas
            self.check(replicas == 1, "%s still counts %d replicas after %s drained" % (last, replicas, self.third))

    def run(self):
        t0 = time.time()
        try:
            self.start()
            print("   3 replicas and Envoy up in %.1f s (envoy on %d)" % (time.time() - t0, self.envoy_port), flush=True)
            self.step("readiness", self.readiness)
            self.step("store", self.check_store)
            self.step("affinity", self.affinity)
            self.step("train", self.train)
            self.step("serve", self.serve)
            if self.shared:
                self.step("kill", self.shared_long_job_and_kill)
                self.step("resume", self.resume)
            else:
                self.step("kill", self.long_job_and_kill)
            self.step("watch", self.long_watch_outlives_a_minute)
            self.step("cancel", self.cancel_elsewhere)
            self.step("drain", self.drain)
        except Exception as e:
            self.results.append(False)
            print("FAIL setup: %s" % e, flush=True)
        finally:
            self.stop()
        passed = sum(self.results)
        failed = len(self.results) - passed
        self.measured["total_seconds"] = round(time.time() - t0, 1)
        print("   measured: %s" % json.dumps(self.measured), flush=True)
        if failed:
            for r in self.replicas:
                print("---- %s log (tail)\n%s" % (r.name, r.text()[-2500:]))
            if self.envoy:
                print("---- envoy log (tail)\n%s" % open(self.envoy_log).read()[-2500:])
        print("scale-out%s: %d passed, %d failed" % (" (shared store)" if self.shared else "", passed, failed),
              flush=True)
        return 0 if failed == 0 else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    parser.add_argument("--jar", required=True)
    parser.add_argument("--envoy", required=True)
    parser.add_argument("--stubs", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--shared", action="store_true",
                        help="PostgreSQL + MinIO (started here) instead of a shared folder")
    parser.add_argument("--postgres-bin", help="with --shared: PostgreSQL's bin folder (initdb, postgres, psql)")
    parser.add_argument("--minio", help="with --shared: the minio binary")
    args = parser.parse_args()
    if args.shared and not (args.postgres_bin and args.minio):
        parser.error("--shared needs --postgres-bin and --minio")
    sys.path.insert(0, args.stubs)
    # `timeout` stops the test with SIGTERM: clean up (replicas, Envoy, PostgreSQL, MinIO) as on any exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("scale-out: terminated"))
    return Suite(args).run()


if __name__ == "__main__":
    sys.exit(main())
