"""Calls the Triton ``minilm`` model once over gRPC (tritonclient) and checks the embedding against a
direct ONNX Runtime + numpy mean-pool + L2 of the same sentence. Exits 1 on a mismatch.

Usage: check_embedding.py --model PATH --tokenizer PATH [--grpc-port N] [--text "..."] [--tol 1e-4]
"""

import argparse
import sys

import numpy as np
import onnxruntime as ort
import tritonclient.grpc as grpcclient
from tokenizers import Tokenizer


def reference(model_path, tokenizer_path, text):
    tok = Tokenizer.from_file(tokenizer_path)
    tok.no_padding()
    tok.enable_truncation(max_length=256)
    enc = tok.encode(text)
    ids = np.asarray([enc.ids], dtype=np.int64)
    mask = np.asarray([enc.attention_mask], dtype=np.int64)
    sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    hidden = sess.run(["last_hidden_state"],
                      {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / m.sum(axis=1)
    return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True))[0].astype(np.float32)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--grpc-port", type=int, default=8001)
    p.add_argument("--text", default="The food was great and the staff were friendly.")
    p.add_argument("--tol", type=float, default=1e-4)
    a = p.parse_args()

    client = grpcclient.InferenceServerClient(url=f"127.0.0.1:{a.grpc_port}")
    inp = grpcclient.InferInput("text", [1, 1], "BYTES")
    inp.set_data_from_numpy(np.array([[a.text.encode("utf-8")]], dtype=object))
    res = client.infer("minilm", [inp], outputs=[grpcclient.InferRequestedOutput("embedding")])
    got = res.as_numpy("embedding")
    assert got.shape == (1, 384) and got.dtype == np.float32, (got.shape, got.dtype)
    want = reference(a.model, a.tokenizer, a.text)
    diff = float(np.max(np.abs(got[0] - want)))
    ok = diff <= a.tol
    print(f"{'OK' if ok else 'MISMATCH'} max_abs_diff={diff:.3g} tol={a.tol} "
          f"norm={np.linalg.norm(got[0]):.6f} first3={got[0][:3].tolist()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
