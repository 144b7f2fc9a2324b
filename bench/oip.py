"""Graft Extract against the Open Inference Protocol's ModelInfer (gRPC) and infer (HTTP/JSON) on
minilm-l6, one server, one run: what the standard protocol costs over Graft's own API. Both gRPC
calls are driven by the same ghz; HTTP/JSON by a Python client with one keep-alive connection.
Prints a Markdown table for docs/benchmarks.md. Usage: bench/run-oip [SECONDS_PER_ROW]
"""
import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serving as S  # noqa: E402


def oip_data(texts, per_call, path):
    calls = [texts[i:i + per_call] for i in range(0, len(texts) - per_call + 1, per_call)]
    with open(path, "w", encoding="utf-8") as f:
        json.dump([{"model_name": "minilm-l6", "parameters": {"normalize": {"bool_param": True}},
                    "inputs": [{"name": "text", "datatype": "BYTES", "shape": [len(c)],
                                "contents": {"bytes_contents": [base64.b64encode(t.encode()).decode() for t in c]}}]}
                   for c in calls], f)


def http_row(port, texts, seconds):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies, i, end = [], 0, time.monotonic() + seconds
    while time.monotonic() < end:
        body = json.dumps({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": [texts[i % len(texts)]]}],
                           "parameters": {"normalize": True}})
        t = time.perf_counter()
        conn.request("POST", "/v2/models/minilm-l6/infer", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            sys.exit(f"HTTP infer answered {r.status}")
        latencies.append((time.perf_counter() - t) * 1000)
        i += 1
    latencies.sort()
    return {"system": "OIP infer (HTTP/JSON, Python http.client)", "clients": 1, "batch": 1,
            "per_second": len(latencies) / seconds, "p50_ms": latencies[len(latencies) // 2],
            "p99_ms": latencies[int(len(latencies) * 0.99)], "cpu_per_1000": float("nan"), "errors": 0}


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    texts = S.sentences()
    with tempfile.TemporaryDirectory() as work:
        port, http_port, store = S.free_port(), S.free_port(), os.path.join(work, "store")
        log = open(os.path.join(work, "graft.log"), "w")
        proc = subprocess.Popen(["java", "-Dai.djl.offline=true", "-jar", os.path.join(S.ROOT, "server/target/graft-server.jar"),
                                 "--port", str(port), "--http-port", str(http_port), "--store", store],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            S.wait_port(port, proc)
            S.wait_port(http_port, proc)
            target = f"127.0.0.1:{port}"
            extract, infer = "graft.v1.InferenceService/Extract", "inference.GRPCInferenceService/ModelInfer"
            one_g, one_o = os.path.join(work, "g1.json"), os.path.join(work, "o1.json")
            S.graft_data(texts, 1, one_g)
            oip_data(texts, 1, one_o)
            for clients in (8, 1):  # warm up both paths
                S.ghz(target, extract, one_g, clients, max(5, seconds // 3), os.path.join(work, "w.json"), [])
                S.ghz(target, infer, one_o, clients, max(5, seconds // 3), os.path.join(work, "w.json"), [])
            rows = []
            for clients in (1, 32):
                rows.append(S.measure("Graft Extract (gRPC)", proc.pid, target, extract, one_g, clients, 1, seconds, work, []))
                rows.append(S.measure("OIP ModelInfer (gRPC)", proc.pid, target, infer, one_o, clients, 1, seconds, work, []))
            rows.append(http_row(http_port, texts, seconds))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    print(f"Run of {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores; {seconds} s per row.\n")
    print(S.table(rows))


if __name__ == "__main__":
    main()
