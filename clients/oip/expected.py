"""What the Open Inference Protocol answers must equal, from Graft's own API (graft_client): trains
a small classifier, then writes Extract's features and Predict's labels and scores for the
scenario's sentences to a JSON file. Runs in the Python client's venv.

Usage: expected.py GRPC_TARGET OUT.json
"""
import json
import sys
from pathlib import Path

import graft_client

TEXTS = ["The food was wonderful and the staff were kind.", "Cold soup, rude waiter, never again.",
         "An ordinary afternoon."]
DATASET = Path(__file__).resolve().parents[1] / "conformance" / "dataset.jsonl"


def main():
    target, out = sys.argv[1], sys.argv[2]
    graft = graft_client.Client(target)
    dataset = graft.upload_dataset(DATASET, name="oip-reviews", domain="nlp", format="jsonl")
    job = graft.train("minilm-l6", "feature-extraction", "oip-reviews", dataset=dataset.id, epochs=10, seed=3)
    final = list(graft.watch(job, timeout=300))[-1].job
    if final.state != "SUCCEEDED":
        sys.exit(f"training the scenario's classifier ended {final.state}: {final.error}")
    predicted = graft.predict(final.result_model, TEXTS)
    Path(out).write_text(json.dumps({
        "texts": TEXTS,
        "features": graft.extract("minilm-l6", TEXTS).tolist(),
        "classifier": final.result_model,
        "labels": [[c.label for c in p.classes] for p in predicted],
        "scores": [[c.score for c in p.classes] for p in predicted],
    }))


if __name__ == "__main__":
    main()
