"""The client conformance scenario (clients/conformance/SCENARIO.md) with graft_client.Client.

Run by ./conformance against the server at $GRAFT_TARGET (TLS, client certificate and bearer token
from GRAFT_TLS_CA, GRAFT_TLS_CERT, GRAFT_TLS_KEY, GRAFT_TOKEN when set). Prints ``ok <step>`` or
``FAIL <step>: why`` per step, then ``N passed, M failed``; exits 1 when a step failed.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import numpy as np

from graft_client import Client, Dataset, GraftError, Job, JobState

LANG = "python"
NAME = f"conformance-{LANG}"
DATASET = Path(__file__).resolve().parent.parent / "conformance" / "dataset.jsonl"
TEXTS = ["what a wonderful, lovely day", "this is terrible and awful"]
WATCH_TIMEOUT_S = 600.0


class StepFailed(Exception):
    pass


def check(condition: bool, why: str) -> None:
    if not condition:
        raise StepFailed(why)


def expect_error(call: Callable[[], Any], code: grpc.StatusCode, reason: str) -> None:
    try:
        call()
    except GraftError as e:
        check(e.code == code, f"code {e.code.name}, expected {code.name} ({e})")
        check(e.reason == reason, f"reason {e.reason!r}, expected {reason!r} ({e})")
        return
    raise StepFailed(f"succeeded, expected {code.name} {reason}")


class Scenario:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.results: list[tuple[str, str | None]] = []
        self.dataset: Dataset | None = None
        self.job: Job | None = None
        self.trained = False

    def step(self, name: str, body: Callable[[], None], needs: str | None = None) -> None:
        if needs is not None and dict(self.results).get(needs) is not None:
            why: str | None = f"not run: {needs} failed"
        else:
            try:
                body()
                why = None
            except StepFailed as e:
                why = str(e)
            except GraftError as e:
                why = f"unexpected error {e}"
            except Exception as e:  # a bug in the SDK or the scenario: say where
                why = f"{type(e).__name__}: {e} at {traceback.extract_tb(e.__traceback__)[-1].lineno}"
        self.results.append((name, why))
        print(f"ok {name}" if why is None else f"FAIL {name}: {why}", flush=True)

    # 1
    def upload(self) -> None:
        ds = self.client.upload_dataset(DATASET, name=NAME, domain="nlp", format="jsonl")
        check(ds.examples == 16, f"examples {ds.examples}, expected 16")
        check(list(ds.labels) == ["negative", "positive"], f"labels {list(ds.labels)}")
        check(dict(ds.label_counts) == {"negative": 8, "positive": 8}, f"label_counts {dict(ds.label_counts)}")
        check(re.fullmatch(r"[0-9a-f]{64}", ds.sha256.lower()) is not None, f"sha256 {ds.sha256!r}")
        self.dataset = ds

    # 2
    def train(self) -> None:
        assert self.dataset is not None
        job = self.client.train("minilm-l6", "feature-extraction", NAME, dataset=self.dataset.id,
                                validation_split=0.25, epochs=30, seed=7)
        check(bool(job.id), "the job has no id")
        check(job.state in (JobState.QUEUED, JobState.RUNNING), f"state {job.state}")
        self.job = job

    # 3
    def watch(self) -> None:
        assert self.job is not None
        events = list(self.client.watch(self.job, timeout=WATCH_TIMEOUT_S))
        check(len(events) > 0, "no events")
        check(events[0].job.id == self.job.id, f"first event is for job {events[0].job.id!r}")
        check(any(e.job.progress.step > 0 for e in events), "no event with progress.step > 0")
        last = events[-1].job
        check(last.state == JobState.SUCCEEDED,
              f"last state {last.state} {last.error.message if last.error else ''}".rstrip())
        check(any(m.name == "accuracy" and m.split == "validation" for m in last.metrics),
              f"no validation accuracy in {[(m.name, m.split) for m in last.metrics]}")
        self.trained = True

    # 4
    def predict(self) -> None:
        result = self.client.predict(NAME, TEXTS, top_k=2)
        check(len(result) == 2, f"{len(result)} predictions")
        for i, p in enumerate(result):
            scores = [c.score for c in p.classes]
            check(len(scores) == 2, f"prediction {i} has {len(scores)} classes")
            check(scores == sorted(scores, reverse=True), f"prediction {i} not sorted: {scores}")
            check(abs(sum(scores) - 1.0) <= 1e-4, f"prediction {i} scores sum to {sum(scores)}")
        check(result.labels == ["positive", "negative"], f"top labels {result.labels}")
        match = re.fullmatch(re.escape(NAME) + r"@(\d+)", result.model)
        check(match is not None and int(match.group(1)) >= 1, f"model {result.model!r}")

    # 5
    def extract(self) -> None:
        features = self.client.extract("minilm-l6", TEXTS, normalize=True)
        check(isinstance(features, np.ndarray), f"a {type(features).__name__}, not an ndarray")
        check(features.dtype == np.float32, f"dtype {features.dtype}")
        check(features.shape == (2, 384), f"shape {features.shape}")
        norms = np.linalg.norm(features, axis=1)
        check(all(math.isclose(float(n), 1.0, abs_tol=1e-3) for n in norms), f"norms {norms}")

    # 6
    def not_found(self) -> None:
        expect_error(lambda: self.client.get_model(f"no-such-model-{LANG}"),
                     grpc.StatusCode.NOT_FOUND, "MODEL_NOT_FOUND")

    # 7
    def invalid_argument(self) -> None:
        expect_error(lambda: self.client.extract("minilm-l6", []), grpc.StatusCode.INVALID_ARGUMENT, "EMPTY_INPUTS")

    # 8
    def cancel(self) -> None:
        assert self.dataset is not None
        job = self.client.train("minilm-l6", "feature-extraction", f"{NAME}-cancel", dataset=self.dataset.id,
                                epochs=100000, early_stopping_patience=100000, batch_size=1)
        events = self.client.watch(job, timeout=WATCH_TIMEOUT_S)
        try:
            for event in events:
                if event.job.state == JobState.RUNNING or event.job.progress.step > 0:
                    break
                check(event.job.state == JobState.QUEUED, f"job ended {event.job.state} before running")
            else:
                raise StepFailed("the watch ended before the job ran")
        finally:
            events.close()
        cancelled_at = time.monotonic()
        self.client.cancel(job)
        final = self.client.wait(job, timeout=10.0)
        elapsed = time.monotonic() - cancelled_at
        check(final.state == JobState.CANCELLED, f"state {final.state} after the cancel")
        check(elapsed <= 10.0, f"cancelled after {elapsed:.1f}s")

    def run(self) -> int:
        self.step("upload", self.upload)
        self.step("train", self.train, needs="upload")
        self.step("watch", self.watch, needs="train")
        self.step("predict", self.predict, needs="watch")
        self.step("extract", self.extract)
        self.step("not-found", self.not_found)
        self.step("invalid-argument", self.invalid_argument)
        self.step("cancel", self.cancel, needs="upload")
        failed = sum(1 for _, why in self.results if why is not None)
        print(f"{len(self.results) - failed} passed, {failed} failed", flush=True)
        return 1 if failed else 0


def main() -> int:
    # Target: $GRAFT_TARGET. Over TLS when GRAFT_TLS_CA names a CA file (mutual TLS with
    # GRAFT_TLS_CERT + GRAFT_TLS_KEY); GRAFT_TOKEN is sent as the bearer token.
    env = os.environ
    with Client(timeout=60.0, root_certificates=env.get("GRAFT_TLS_CA") or None,
                certificate_chain=env.get("GRAFT_TLS_CERT") or None, private_key=env.get("GRAFT_TLS_KEY") or None,
                token=env.get("GRAFT_TOKEN") or None) as client:
        return Scenario(client).run()


if __name__ == "__main__":
    sys.exit(main())
