"""Triton Inference Server (via PyTriton) peer for the Graft benchmark: serves all-MiniLM-L6-v2 as
model ``minilm``.

Input ``text`` (BYTES, shape [1], batched up to 64 by Triton's dynamic batcher), output ``embedding``
(FP32 [384]). Each batch is tokenized with ``tokenizers`` (truncate to 256 tokens, pad to the
longest text in the batch), run through ONNX Runtime and mean-pooled over the attention mask, then
L2-normalised -- the same pipeline as Graft's built-in minilm-l6 Extract.

PyTriton runs the real ``tritonserver`` binary as a child process; Triton's python backend stub
forwards each batch to the infer function below, which runs in this process. So this process is the
root of the whole serving tree (this process -> tritonserver -> triton_python_backend_stub).

SIGTERM and SIGINT stop Triton and its stubs and exit 0.
"""

import argparse
import logging
import os
import signal
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from pytriton.decorators import batch
from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
from pytriton.triton import Triton, TritonConfig

MAX_TOKENS = 256
MAX_BATCH = 64
DIM = 384

LOG = logging.getLogger("serve_minilm")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="path to all-minilm-l6-v2.onnx")
    p.add_argument("--tokenizer", required=True, help="path to all-minilm-l6-v2-tokenizer.json")
    p.add_argument("--grpc-port", type=int, default=8001)
    p.add_argument("--http-port", type=int, default=8000)
    p.add_argument("--metrics-port", type=int, default=None, help="default: http-port + 2")
    p.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads (default 2)")
    p.add_argument("--max-queue-delay-us", type=int, default=200,
                   help="dynamic batcher max queue delay in microseconds (default 200)")
    p.add_argument("--log-batches", action="store_true", help="log each batch's size and compute time")
    p.add_argument("--log-verbose", type=int, default=0, help="tritonserver verbose log level")
    return p.parse_args(argv)


class MiniLm:
    """Tokenizer + ONNX Runtime session + mean pooling + L2 normalisation."""

    def __init__(self, model_path, tokenizer_path, threads):
        self.tokenizer = Tokenizer.from_file(tokenizer_path)
        # tokenizer.json ships fixed 128 padding/truncation; override like Graft does.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to longest in the batch
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(model_path, sess_options=so, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}

    def embed(self, texts):
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(["last_hidden_state"], feeds)[0]  # [b, s, 384]
        m = mask[:, :, None].astype(np.float32)
        summed = (hidden * m).sum(axis=1)
        counts = np.clip(m.sum(axis=1), 1e-9, None)
        pooled = summed / counts
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return (pooled / norms).astype(np.float32)


def make_infer(model, log_batches=False):
    @batch
    def infer(text):
        # text: object array [b, 1] of bytes
        t0 = time.perf_counter()
        texts = [t[0].decode("utf-8") if isinstance(t[0], (bytes, bytearray)) else str(t[0]) for t in text]
        out = model.embed(texts)
        if log_batches:
            LOG.info("batch=%d embed_ms=%.1f", len(texts), (time.perf_counter() - t0) * 1e3)
        return {"embedding": out}

    return infer


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    logging.getLogger("pytriton").setLevel(logging.WARNING)

    model = MiniLm(args.model, args.tokenizer, args.threads)
    model.embed(["warm up"])  # first ORT run allocates; keep it out of the benchmark

    # Turn SIGTERM into the KeyboardInterrupt that Triton.serve() already handles by stopping
    # tritonserver (SIGINT, wait) and cleaning its workspace.
    def _on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _on_term)

    config = TritonConfig(
        grpc_port=args.grpc_port,
        http_port=args.http_port,
        metrics_port=args.metrics_port if args.metrics_port is not None else args.http_port + 2,
        log_verbose=args.log_verbose,
    )
    started = time.monotonic()
    try:
        with Triton(config=config) as triton:
            triton.bind(
                model_name="minilm",
                infer_func=make_infer(model, args.log_batches),
                inputs=[Tensor(name="text", dtype=bytes, shape=(1,))],
                outputs=[Tensor(name="embedding", dtype=np.float32, shape=(DIM,))],
                config=ModelConfig(
                    max_batch_size=MAX_BATCH,
                    batcher=DynamicBatcher(max_queue_delay_microseconds=args.max_queue_delay_us),
                ),
                strict=True,
            )
            triton.run()  # starts tritonserver, loads the model, waits until it is ready
            LOG.info("READY model=minilm grpc=127.0.0.1:%d http=127.0.0.1:%d pid=%d threads=%d "
                     "max_queue_delay_us=%d startup=%.1fs", args.grpc_port, args.http_port, os.getpid(),
                     args.threads, args.max_queue_delay_us, time.monotonic() - started)
            sys.stdout.flush()
            while triton.is_alive():  # leaving the with-block stops tritonserver and its stubs
                time.sleep(1.0)
            LOG.error("tritonserver or the model proxy died")
            return 1
    except KeyboardInterrupt:
        pass
    LOG.info("STOPPED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
