#!/usr/bin/env python3
"""One run, three systems, the same sentences and the same model.onnx (all-MiniLM-L6-v2):

- raw ONNX Runtime through its Java API (RawOrtBenchmark: one caller, batch 1 and a sweep of
  batch sizes; the best is the engine's ceiling here);
- Graft Extract (the server jar with default settings, a separate process) driven by ghz;
- NVIDIA Triton Inference Server (PyTriton 0.7.0, ONNX Runtime + tokenizers inside, dynamic
  batching; bench/triton/serve_minilm.py) driven by the same ghz.

Every row: sentences/s, p50 and p99 per call, and the serving process tree's CPU seconds per
1,000 sentences (ghz's own CPU is not counted; it is the same client for both servers). Prints a
Markdown table and the issue's targets. Called by bench/run-serving, which builds and installs.

Usage: serving.py --seconds S [--graft-only]
Environment: GRAFT_ARGS, extra server options (e.g. "--inference-slots 1") to try a setting.
"""

import argparse
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GHZ = os.path.join(ROOT, "bench/target/bin/ghz")
VENV_PY = os.path.join(ROOT, "bench/target/triton-venv/bin/python")
CPU = os.path.join(ROOT, "bench/triton/cpu-seconds")
CLIENTS = [1, 8, 32, 64]
BATCHES = [1, 8, 16, 32, 64]


def sentences():
    out = []
    for name in ("yelp", "amazon"):
        with open(os.path.join(ROOT, "assets/sentiment", name + ".jsonl"), encoding="utf-8") as f:
            out.extend(json.loads(line)["text"] for line in f if line.strip())
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=180):
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"nothing listened on {port} within {seconds} s")


def cpu_seconds(pid):
    return float(subprocess.check_output([sys.executable, CPU, str(pid)], text=True))


def graft_data(texts, per_call, path):
    calls = [texts[i:i + per_call] for i in range(0, len(texts) - per_call + 1, per_call)]
    with open(path, "w", encoding="utf-8") as f:
        json.dump([{"model": "minilm-l6", "inputs": [{"text": {"text": t}} for t in c], "normalize": True}
                   for c in calls], f)


def triton_data(texts, per_call, path):
    def request(batch):
        raw = b"".join(struct.pack("<I", len(t.encode())) + t.encode() for t in batch)
        return {"model_name": "minilm", "inputs": [{"name": "text", "datatype": "BYTES", "shape": [len(batch), 1]}],
                "outputs": [{"name": "embedding"}], "raw_input_contents": [base64.b64encode(raw).decode("ascii")]}
    calls = [texts[i:i + per_call] for i in range(0, len(texts) - per_call + 1, per_call)]
    with open(path, "w", encoding="utf-8") as f:
        json.dump([request(c) for c in calls], f)


def ghz(target, call, data, clients, seconds, out, extra):
    subprocess.run([GHZ, "--insecure", "--call", call, "--concurrency", str(clients), "--duration", f"{seconds}s",
                    "--duration-stop", "wait", "--data-file", data, "--format", "json", "--output", out, *extra,
                    target], check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


def measure(system, pid, target, call, data, clients, per_call, seconds, work, extra):
    out = os.path.join(work, f"{system.split()[0].lower()}-c{clients}-b{per_call}.json")
    before = cpu_seconds(pid)
    r = ghz(target, call, data, clients, seconds, out, extra)
    cpu = cpu_seconds(pid) - before
    lat = {d["percentage"]: d["latency"] / 1e6 for d in (r.get("latencyDistribution") or [])}
    ok = (r.get("statusCodeDistribution") or {}).get("OK", 0)
    errors = r["count"] - ok
    n = ok * per_call
    row = {"system": system, "clients": clients, "batch": per_call, "per_second": r["rps"] * per_call * ok / max(1, r["count"]),
           "p50_ms": lat.get(50, float("nan")), "p99_ms": lat.get(99, float("nan")),
           "cpu_per_1000": cpu * 1000 / max(1, n), "errors": errors}
    print(json.dumps(row), file=sys.stderr)
    return row


def raw_rows(model_dir, seconds):
    cp = os.path.join(ROOT, "bench/target/classes") + ":" + os.path.join(ROOT, "bench/target/lib/*")
    out = subprocess.run(["java", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp,
                          "dev.graft.bench.RawOrtBenchmark", model_dir, os.path.join(ROOT, "assets"), str(seconds),
                          *map(str, BATCHES)], check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for r in rows:
        print(json.dumps(r), file=sys.stderr)
    return rows


def run_graft(work, texts, seconds):
    port, store = free_port(), os.path.join(work, "store")
    log = open(os.path.join(work, "graft.log"), "w")
    proc = subprocess.Popen(["java", "-Dai.djl.offline=true", "-jar", os.path.join(ROOT, "server/target/graft-server.jar"),
                             "--port", str(port), "--http-port", "-1", "--store", store,
                             *os.environ.get("GRAFT_ARGS", "").split()],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, proc)
        target, call = f"127.0.0.1:{port}", "graft.v1.InferenceService/Extract"
        one, many = os.path.join(work, "graft-1.json"), os.path.join(work, "graft-32.json")
        graft_data(texts, 1, one)
        graft_data(texts, 32, many)
        for clients in (8, 1):  # warm up (the JIT compiles the server's path for a while)
            ghz(target, call, one, clients, max(5, seconds // 2), os.path.join(work, "warm.json"), [])
        rows = [measure("Graft Extract", proc.pid, target, call, one, c, 1, seconds, work, []) for c in CLIENTS]
        rows.append(measure("Graft Extract", proc.pid, target, call, many, 1, 32, seconds, work, []))
        return rows, os.path.join(store, "models/minilm-l6/1")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def run_triton(work, texts, seconds, model_dir):
    grpc, http = free_port(), free_port()
    log = open(os.path.join(work, "triton.log"), "w")
    env = dict(os.environ, LD_LIBRARY_PATH=python_lib() + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
    proc = subprocess.Popen([VENV_PY, os.path.join(ROOT, "bench/triton/serve_minilm.py"),
                             "--model", os.path.join(model_dir, "model.onnx"),
                             "--tokenizer", os.path.join(model_dir, "tokenizer.json"),
                             "--grpc-port", str(grpc), "--http-port", str(http)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_port(grpc, proc, 300)
        protoset = os.path.join(ROOT, "bench/target/triton.protoset")
        if not os.path.exists(protoset):
            subprocess.run([VENV_PY, os.path.join(ROOT, "bench/triton/protoset.py"), protoset], check=True)
        target, call, extra = f"127.0.0.1:{grpc}", "inference.GRPCInferenceService/ModelInfer", ["--protoset", protoset]
        one, many = os.path.join(work, "triton-1.json"), os.path.join(work, "triton-32.json")
        triton_data(texts, 1, one)
        triton_data(texts, 32, many)
        for _ in range(60):  # the port opens before the model is ready
            try:
                ghz(target, call, one, 1, 1, os.path.join(work, "probe.json"), extra + ["-n", "1"])
                with open(os.path.join(work, "probe.json")) as f:
                    if (json.load(f).get("statusCodeDistribution") or {}).get("OK"):
                        break
            except subprocess.CalledProcessError:
                pass
            time.sleep(2)
        for clients in (8, 1):
            ghz(target, call, one, clients, max(5, seconds // 2), os.path.join(work, "warm.json"), extra)
        rows = [measure("Triton (PyTriton 0.7.0)", proc.pid, target, call, one, c, 1, seconds, work, extra)
                for c in CLIENTS]
        rows.append(measure("Triton (PyTriton 0.7.0)", proc.pid, target, call, many, 1, 32, seconds, work, extra))
        return rows
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()


def python_lib():
    """The lib/ of the Python the venv was made from: Triton's Python backend stub needs its libpython."""
    return subprocess.check_output([VENV_PY, "-c", "import sysconfig; print(sysconfig.get_config_var('LIBDIR'))"],
                                   text=True).strip()


def table(rows):
    lines = ["| system | clients | sentences per call | sentences/s | p50 ms | p99 ms | CPU s per 1,000 | errors |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['system']} | {r['clients']} | {r['batch']} | {r['per_second']:.0f} | {r['p50_ms']:.2f} "
                     f"| {r['p99_ms']:.2f} | {r['cpu_per_1000']:.2f} | {r['errors']} |")
    return "\n".join(lines)


def targets(raw, graft, triton):
    best = max(raw, key=lambda r: r["per_second"])
    raw1 = next(r for r in raw if r["batch"] == 1)
    g32 = next(r for r in graft if r["clients"] == 32 and r["batch"] == 1)
    g1 = next(r for r in graft if r["clients"] == 1 and r["batch"] == 1)
    out = [f"- Graft at 32 clients / raw ORT best batch ({best['batch']}): "
           f"{g32['per_second']:.0f} / {best['per_second']:.0f} = **{g32['per_second'] / best['per_second']:.2f}** (target ≥ 0.90)",
           f"- One client, one sentence: Graft p50 {g1['p50_ms']:.2f} ms vs raw ORT batch 1 {raw1['p50_ms']:.2f} ms: "
           f"**{g1['p50_ms'] - raw1['p50_ms']:+.2f} ms** (target ≤ +0.5 ms)"]
    if triton:
        t32 = next(r for r in triton if r["clients"] == 32 and r["batch"] == 1)
        out.append(f"- Graft / Triton at 32 clients: {g32['per_second']:.0f} / {t32['per_second']:.0f} = "
                   f"**{g32['per_second'] / t32['per_second']:.2f}** (target ≥ 1.2), p99 {g32['p99_ms']:.1f} vs "
                   f"{t32['p99_ms']:.1f} ms")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--graft-only", action="store_true")
    a = p.parse_args()
    texts = sentences()
    with tempfile.TemporaryDirectory() as work:
        graft, model_dir = run_graft(work, texts, a.seconds)
        raw = raw_rows(model_dir, a.seconds)
        triton = [] if a.graft_only else run_triton(work, texts, a.seconds, model_dir)
        print(f"Run of {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average before "
              f"{os.getloadavg()[0]:.1f}; {a.seconds} s per row.\n")
        print(table(raw + graft + triton))
        print()
        print(targets(raw, graft, triton))


if __name__ == "__main__":
    main()
