"""Open Inference Protocol v2 against a real Graft server, with clients nobody here wrote:
tritonclient.grpc and tritonclient.http (PyPI); kserve_scenario.py does the same with KServe's
clients (their generated code cannot share a process with tritonclient's). expected.py (Graft's own client) wrote what the
answers must equal: Extract's features within 1e-6, Predict's labels and scores.

Usage: scenario.py GRPC_TARGET HTTP_TARGET EXPECTED.json
"""
import json
import sys

import numpy as np
import tritonclient.grpc as tgrpc
import tritonclient.http as thttp
from tritonclient.utils import InferenceServerException

failures = []


def check(condition, why):
    print(("ok    " if condition else "FAIL  ") + why)
    if not condition:
        failures.append(why)


def texts_input(module, texts, name="text"):
    tensor = module.InferInput(name, [len(texts)], "BYTES")
    tensor.set_data_from_numpy(np.array([t.encode() for t in texts], dtype=np.object_))
    return tensor


def scenario(name, client, module, want):
    print(f"== {name}")
    check(client.is_server_live(), f"{name}: server live")
    check(client.is_server_ready(), f"{name}: server ready")
    meta = client.get_server_metadata()
    server_name = meta["name"] if isinstance(meta, dict) else meta.name
    check(server_name == "graft", f"{name}: server metadata names graft ({server_name})")
    check(client.is_model_ready("minilm-l6"), f"{name}: minilm-l6 ready")
    model = client.get_model_metadata("minilm-l6")
    inputs = model["inputs"] if isinstance(model, dict) else [{"name": i.name} for i in model.inputs]
    check([i["name"] for i in inputs] == ["text", "pair"], f"{name}: metadata inputs text, pair")

    expected = np.array(want["features"], dtype=np.float32)
    result = client.infer("minilm-l6", [texts_input(module, want["texts"])])
    features = result.as_numpy("features")
    check(features is not None and features.shape == (3, 384), f"{name}: features [3, 384]")
    diff = float(np.max(np.abs(features - expected))) if features is not None else float("inf")
    check(diff <= 1e-6, f"{name}: features equal Extract's (max difference {diff:.2e})")

    model_name, version = want["classifier"].split("@")
    result = client.infer(model_name, [texts_input(module, want["texts"])], model_version=version)
    labels = result.as_numpy("labels")
    scores = result.as_numpy("scores")
    got = [[x.decode() if isinstance(x, bytes) else str(x) for x in row] for row in labels]
    check(got == want["labels"], f"{name}: labels equal Predict's {want['labels']}")
    want_scores = np.array(want["scores"], dtype=np.float32)
    check(float(np.max(np.abs(scores - want_scores))) <= 1e-6, f"{name}: scores equal Predict's")

    try:
        wrong = module.InferInput("text", [1], "FP32")
        wrong.set_data_from_numpy(np.array([1.5], dtype=np.float32))
        client.infer("minilm-l6", [wrong])
        check(False, f"{name}: an FP32 text tensor is refused")
    except InferenceServerException as e:
        check("FP32" in str(e) and ("INVALID_ARGUMENT" in str(e.status()) or str(e.status()) == "400"),
              f"{name}: an FP32 text tensor is refused: {e.status()} {e.message()}")
    try:
        client.infer("no-such-model", [texts_input(module, want["texts"])])
        check(False, f"{name}: an unknown model is refused")
    except InferenceServerException as e:
        check("not found" in str(e), f"{name}: an unknown model is refused: {e.status()}")


def main():
    grpc_target, http_target = sys.argv[1], sys.argv[2]
    with open(sys.argv[3]) as f:
        want = json.load(f)
    scenario("tritonclient.grpc", tgrpc.InferenceServerClient(grpc_target), tgrpc, want)
    scenario("tritonclient.http", thttp.InferenceServerClient(http_target), thttp, want)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("all Open Inference Protocol checks passed")


if __name__ == "__main__":
    main()
