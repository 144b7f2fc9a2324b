"""The Open Inference Protocol v2 with KServe's own Python clients (PyPI kserve:
InferenceGRPCClient, InferenceRESTClient), against a real Graft server: readiness, infer on a base
model (features equal Extract's within 1e-6) and on a trained classifier (labels equal Predict's).
A separate process from scenario.py: kserve's and tritonclient's generated protobuf code both
register package `inference` and cannot be loaded together.

Usage: kserve_scenario.py GRPC_TARGET HTTP_TARGET EXPECTED.json
"""
import asyncio
import json
import sys

import numpy as np

failures = []


def check(condition, why):
    print(("ok    " if condition else "FAIL  ") + why)
    if not condition:
        failures.append(why)


async def scenario(grpc_target, http_target, want):
    """KServe's clients (async): health, infer on the base model and on the classifier."""
    from kserve import InferenceGRPCClient, InferenceRESTClient, InferInput, InferRequest
    from kserve.inference_client import RESTConfig

    def request(model, version=None):
        text = InferInput("text", [len(want["texts"])], "BYTES", data=want["texts"])
        return InferRequest(model_name=model, infer_inputs=[text], model_version=version)

    expected = np.array(want["features"], dtype=np.float32)
    model_name, version = want["classifier"].split("@")
    grpc_client = InferenceGRPCClient(grpc_target)
    rest = InferenceRESTClient(RESTConfig(protocol="v2"))
    base_url = f"http://{http_target}"
    for name, infer in (("kserve grpc", lambda r: grpc_client.infer(r)),
                        ("kserve rest", lambda r: rest.infer(base_url, r, model_name=r.model_name))):
        print(f"== {name}")
        if name == "kserve grpc":
            check(await grpc_client.is_server_ready(), f"{name}: server ready")
        else:
            check(await rest.is_model_ready(base_url, "minilm-l6"), f"{name}: minilm-l6 ready")
        features = (await infer(request("minilm-l6"))).get_output_by_name("features").as_numpy()
        diff = float(np.max(np.abs(features.reshape(expected.shape) - expected)))
        check(diff <= 1e-6, f"{name}: features equal Extract's (max difference {diff:.2e})")
        labels = (await infer(request(model_name, version))).get_output_by_name("labels").as_numpy()
        got = [[x.decode() if isinstance(x, bytes) else str(x) for x in row]
               for row in np.array(labels, dtype=object).reshape(len(want["texts"]), -1)]
        check(got == want["labels"], f"{name}: labels equal Predict's")
    await rest.close()
    await grpc_client.close()


def main():
    with open(sys.argv[3]) as f:
        want = json.load(f)
    asyncio.run(scenario(sys.argv[1], sys.argv[2], want))
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("all KServe client checks passed")


if __name__ == "__main__":
    main()
