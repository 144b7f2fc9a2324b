"""Writes a ghz data file: a JSON array of Triton ``inference.ModelInferRequest`` messages, one per
sentence, for model ``minilm`` (input ``text``: BYTES [1, 1]; output ``embedding``). ghz cycles
through the array, so each call carries one sentence.

The sentence goes in ``raw_input_contents`` as Triton's BYTES wire format: a 4-byte little-endian
length followed by the UTF-8 bytes (base64 in proto JSON).

Usage: ghz_data.py OUT.json JSONL [JSONL...]   (JSONL: one {"text": ..., "label": ...} per line)
"""

import base64
import json
import struct
import sys


def request(text, model="minilm"):
    raw = text.encode("utf-8")
    return {
        "model_name": model,
        "inputs": [{"name": "text", "datatype": "BYTES", "shape": [1, 1]}],
        "outputs": [{"name": "embedding"}],
        "raw_input_contents": [base64.b64encode(struct.pack("<I", len(raw)) + raw).decode("ascii")],
    }


def main(out, sources):
    messages = []
    for path in sources:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    messages.append(request(json.loads(line)["text"]))
    if not messages:
        sys.exit("ghz_data.py: no sentences in " + " ".join(sources))
    with open(out, "w", encoding="utf-8") as f:
        json.dump(messages, f)
    print(f"{len(messages)} requests -> {out}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
