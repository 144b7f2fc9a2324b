"""CLI parsing, exit codes and output, with a fake client (no server)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from rich.console import Console

from graft_client import GraftError, pb
from graft_client.cli import ExitCode, build_parser, exit_code_for, job_exit_code, main, serve_command
from graft_client.cli import _commands
from graft_client.cli._phases import PhaseTracker
from graft_client.cli._progress import event_fields
from graft_client.resources import Job, JobEvent, Model
from graft_client.results import Features, Predictions


def job(**fields: Any) -> Job:
    return Job.from_proto(pb.Job(**fields))


def event(message: pb.Job, text: str = "") -> JobEvent:
    return JobEvent.from_proto(pb.JobEvent(job=message, message=text))


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_train_arguments() -> None:
    args = parse("train", "--base", "minilm-l6", "--strategy", "feature-extraction", "--output", "sentiment",
                 "--dataset", "reviews", "--epochs", "30", "--seed", "7", "--validation-split", "0.25",
                 "--extra", "lr_schedule=cosine", "--watch", "-o", "json")
    assert (args.base, args.strategy, args.output_model, args.dataset) == (
        "minilm-l6", "feature-extraction", "sentiment", "reviews")
    assert (args.epochs, args.seed, args.validation_split, args.watch) == (30, 7, 0.25, True)
    assert args.extra == [("lr_schedule", "cosine")]
    assert args.output_format == "json"
    assert args.handler == "train"


def test_global_options_before_or_after_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAFT_TARGET", "env-host:1")
    assert build_parser().parse_args(["models", "ls"]).target == "env-host:1"
    args = build_parser().parse_args(["--target", "before:2", "--tls", "models", "ls"])
    assert (args.target, args.tls, args.output_format) == ("before:2", True, "table")
    args = build_parser().parse_args(["models", "ls", "--target", "after:3", "-o", "json", "--token", "t"])
    assert (args.target, args.output_format, args.token, args.tls) == ("after:3", "json", "t", False)


def test_predict_extract_and_jobs_arguments() -> None:
    args = parse("predict", "sentiment", "good day", "bad day", "--top-k", "2")
    assert (args.model, args.texts, args.top_k) == ("sentiment", ["good day", "bad day"], 2)
    args = parse("extract", "minilm-l6", "x", "--normalize")
    assert (args.model, args.texts, args.normalize) == ("minilm-l6", ["x"], True)
    assert parse("jobs", "cancel", "job-1").handler == "jobs_cancel"
    assert parse("jobs", "watch", "job-1").id == "job-1"
    assert parse("datasets", "upload", "f.jsonl", "--domain", "nlp", "--option", "a=b").option == [("a", "b")]


@pytest.mark.parametrize("argv", [
    [], ["train", "--base", "b"], ["predict", "m"], ["jobs"], ["nope"], ["--timeout", "-1", "info"],
    ["datasets", "upload", "f", "--domain", "nlp", "--option", "novalue"],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2 == int(ExitCode.USAGE)


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "Exit codes" in capsys.readouterr().out


@pytest.mark.parametrize("code,exit_code", [
    (grpc.StatusCode.NOT_FOUND, 3), (grpc.StatusCode.INVALID_ARGUMENT, 4), (grpc.StatusCode.OUT_OF_RANGE, 4),
    (grpc.StatusCode.UNAVAILABLE, 5), (grpc.StatusCode.DEADLINE_EXCEEDED, 6),
    (grpc.StatusCode.UNAUTHENTICATED, 7), (grpc.StatusCode.PERMISSION_DENIED, 7),
    (grpc.StatusCode.ALREADY_EXISTS, 8), (grpc.StatusCode.FAILED_PRECONDITION, 8),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, 9), (grpc.StatusCode.INTERNAL, 10), (grpc.StatusCode.UNIMPLEMENTED, 10),
])
def test_status_codes_map_to_exit_codes(code: grpc.StatusCode, exit_code: int) -> None:
    assert exit_code_for(code) == exit_code


def test_job_exit_codes() -> None:
    assert job_exit_code(job(state=pb.JOB_STATE_SUCCEEDED)) == 0
    assert job_exit_code(job(state=pb.JOB_STATE_RUNNING)) == 0
    assert job_exit_code(job(state=pb.JOB_STATE_FAILED)) == 1
    assert job_exit_code(job(state=pb.JOB_STATE_CANCELLED)) == 1


def test_serve_command_passes_port_store_and_extra_args() -> None:
    args = parse("serve", "--port", "0", "--store", "/tmp/s", "--jvm-arg=-Xmx2g", "--", "--config", "c.yaml")
    assert serve_command(args, {"GRAFT_SERVER_JAR": "/opt/graft.jar"}) == [
        "java", "-Xmx2g", "-jar", "/opt/graft.jar", "--port", "0", "--store", "/tmp/s", "--config", "c.yaml"]
    args = parse("serve", "--jar", "x.jar")
    assert serve_command(args, {"JAVA_HOME": "/jdk"}) == ["/jdk/bin/java", "-jar", "x.jar"]


def test_serve_without_a_jar_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRAFT_SERVER_JAR", raising=False)
    assert main(["serve"]) == ExitCode.USAGE


class FakeClient:
    """Stands in for graft_client.Client in CLI tests."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            answer = self.answers[name]
            if isinstance(answer, Exception):
                raise answer
            return answer(*args, **kwargs) if callable(answer) else answer
        return call


def run_cli(monkeypatch: pytest.MonkeyPatch, fake: FakeClient, *argv: str) -> tuple[int, str]:
    monkeypatch.setattr(_commands, "make_client", lambda args: fake)
    out = io.StringIO()
    code = main(list(argv), console=Console(file=out, width=200, color_system=None))
    return code, out.getvalue()


def test_server_errors_map_to_exit_codes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeClient(get_model=GraftError(grpc.StatusCode.NOT_FOUND, "no model x", reason="MODEL_NOT_FOUND"))
    code, _ = run_cli(monkeypatch, fake, "models", "show", "x")
    assert code == ExitCode.NOT_FOUND
    assert "MODEL_NOT_FOUND" in capsys.readouterr().err


def test_predict_json_output(monkeypatch: pytest.MonkeyPatch) -> None:
    result = Predictions.from_proto(pb.PredictResponse(model="s@1", predictions=[
        pb.Prediction(classes=[pb.ClassScore(label="positive", score=0.75)])]))
    fake = FakeClient(predict=result)
    code, out = run_cli(monkeypatch, fake, "predict", "s", "nice", "--top-k", "1", "-o", "json")
    assert code == 0
    assert json.loads(out) == {"model": "s@1", "predictions": [
        {"input": "nice", "classes": [{"label": "positive", "score": 0.75}], "values": []}]}
    name, args, kwargs = fake.calls[0]
    assert (name, args[0], [i.text.text for i in args[1]], kwargs) == ("predict", "s", ["nice"], {"top_k": 1})


def test_extract_table_output(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeClient(extract_features=Features.from_proto(pb.ExtractResponse(
        model="minilm-l6@1", dimension=2, features=[pb.FloatVector(values=[0.6, 0.8])])))
    code, out = run_cli(monkeypatch, fake, "extract", "minilm-l6", "hello", "--normalize")
    assert code == 0
    assert "hello" in out and "1.0000" in out and "minilm-l6@1" in out
    assert fake.calls[0][2]["normalize"] is True


def test_train_watch_exits_1_when_the_job_fails(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    queued = pb.Job(id="j", state=pb.JOB_STATE_QUEUED, output_model="m")
    failed = pb.Job(id="j", state=pb.JOB_STATE_FAILED, output_model="m")
    failed.error.code = 13
    failed.error.message = "out of memory"
    fake = FakeClient(train=Job.from_proto(queued), watch=lambda j: iter([event(queued), event(failed)]))
    code, out = run_cli(monkeypatch, fake, "train", "--base", "b", "--strategy", "s", "--output", "m",
                        "--dataset", "d", "--watch")
    assert code == 1 == int(ExitCode.JOB_FAILED)
    assert "FAILED" in out
    assert "out of memory" in capsys.readouterr().err


def test_train_watch_json_lines_and_success(monkeypatch: pytest.MonkeyPatch) -> None:
    done = pb.Job(id="j", state=pb.JOB_STATE_SUCCEEDED, result_model="m@1")
    fake = FakeClient(train=job(id="j"), watch=lambda j: iter([event(done, "done")]))
    code, out = run_cli(monkeypatch, fake, "train", "--base", "b", "--strategy", "s", "--output", "m",
                        "--dataset", "d", "--watch", "-o", "json")
    assert code == 0
    line = json.loads(out.strip().splitlines()[-1])
    assert line["job"]["state"] == "SUCCEEDED" and line["message"] == "done"


def test_progress_fields() -> None:
    message = pb.JobEvent(job=pb.Job(state=pb.JOB_STATE_RUNNING,
                                     progress=pb.Progress(epoch=2, total_epochs=30, step=5, total_steps=40)),
                          metrics=[pb.Metric(name="loss", value=0.5, split="train", epoch=1),
                                   pb.Metric(name="loss", value=0.25, split="train", epoch=2),
                                   pb.Metric(name="accuracy", value=0.875, split="validation", epoch=2)])
    message.job.progress.eta.seconds = 75
    tracker = PhaseTracker()
    event = JobEvent.from_proto(message)
    tracker.update(event)
    assert event_fields(event.job, tracker) == {
        "state": "RUNNING", "phase": "", "epoch": "2/30", "step": "5/40", "loss": "0.2500",
        "metric": "accuracy 0.875", "eta": "1:15"}


def test_upload_of_a_missing_file_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = run_cli(monkeypatch, FakeClient(), "datasets", "upload", "/no/such.jsonl", "--domain", "nlp")
    assert code == ExitCode.USAGE


def test_models_import_sends_the_file_parts_and_properties(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"onnx")
    tokenizer = tmp_path / "tokenizer.json"
    tokenizer.write_text("{}")
    fake = FakeClient(import_model=Model.from_proto(pb.Model(name="mine", version=1, kind=pb.MODEL_KIND_BASE,
                                                             domain="nlp")))
    code, out = run_cli(monkeypatch, fake, "models", "import", str(onnx), "--name", "mine", "--domain", "nlp",
                        "--format", "onnx", "--part", f"tokenizer.json={tokenizer}", "--property", "max_tokens=128")
    assert code == 0
    assert "mine" in out
    name, args, kwargs = fake.calls[-1]
    assert name == "import_model"
    assert args[0] == {"": onnx, "tokenizer.json": tokenizer}
    assert kwargs == {"name": "mine", "domain": "nlp", "format": "onnx", "properties": {"max_tokens": "128"}}


def test_models_import_of_a_missing_part_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"onnx")
    code, _ = run_cli(monkeypatch, FakeClient(), "models", "import", str(onnx), "--name", "m", "--domain", "nlp",
                      "--format", "onnx", "--part", "tokenizer.json=/no/such.json")
    assert code == ExitCode.USAGE


def test_lists_render_as_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeClient(list_models=[Model.from_proto(pb.Model(name="minilm-l6", version=1, kind=pb.MODEL_KIND_BASE,
                                                             domain="nlp"))])
    code, out = run_cli(monkeypatch, fake, "models", "ls")
    assert code == 0
    assert "NAME" in out and "minilm-l6" in out and "BASE" in out
    assert np.isfinite(0)  # numpy importable alongside the CLI


def test_tls_options_and_their_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GRAFT_TLS_CA", "GRAFT_CA_CERT", "GRAFT_TLS_CERT", "GRAFT_TLS_KEY", "GRAFT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    args = build_parser().parse_args(["models", "ls"])
    assert (args.tls_ca, args.tls_cert, args.tls_key, args.token) == (None, None, None, None)
    monkeypatch.setenv("GRAFT_TLS_CA", "ca.pem")
    monkeypatch.setenv("GRAFT_TLS_CERT", "c.pem")
    monkeypatch.setenv("GRAFT_TLS_KEY", "k.pem")
    monkeypatch.setenv("GRAFT_TOKEN", "tok")
    args = build_parser().parse_args(["models", "ls"])
    assert (args.tls_ca, args.tls_cert, args.tls_key, args.token) == ("ca.pem", "c.pem", "k.pem", "tok")
    args = build_parser().parse_args(["--tls-ca", "a.pem", "models", "ls", "--tls-cert", "b.pem", "--tls-key", "d.pem"])
    assert (args.tls_ca, args.tls_cert, args.tls_key) == ("a.pem", "b.pem", "d.pem")
    assert build_parser().parse_args(["models", "ls", "--ca-cert", "old.pem"]).tls_ca == "old.pem"


def test_make_client_passes_the_tls_files_and_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("GRAFT_TLS_CA", "GRAFT_CA_CERT", "GRAFT_TLS_CERT", "GRAFT_TLS_KEY", "GRAFT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    made: list[dict[str, Any]] = []
    monkeypatch.setattr(_commands, "Client", lambda target, **kw: made.append({"target": target, **kw}))
    ca, cert, key = (tmp_path / n for n in ("ca.pem", "c.pem", "k.pem"))
    for f in (ca, cert, key):
        f.write_text("-----BEGIN X-----\n")
    _commands.make_client(parse("--target", "h:1", "--tls-ca", str(ca), "--tls-cert", str(cert),
                                "--tls-key", str(key), "--token", "tok", "info"))
    assert made[-1] == {"target": "h:1", "timeout": 30.0, "tls": True, "root_certificates": str(ca),
                        "certificate_chain": str(cert), "private_key": str(key), "token": "tok"}
    _commands.make_client(parse("info"))
    assert made[-1]["tls"] is False and made[-1]["certificate_chain"] is None and made[-1]["token"] is None
    with pytest.raises(_commands.UsageError, match="both --tls-cert and --tls-key"):
        _commands.make_client(parse("--tls-cert", str(cert), "info"))
    with pytest.raises(_commands.UsageError, match="--tls-key: no such file"):
        _commands.make_client(parse("--tls-cert", str(cert), "--tls-key", str(tmp_path / "nope"), "info"))


def test_a_half_client_certificate_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GRAFT_TLS_KEY", raising=False)
    assert main(["info", "--tls-cert", "c.pem"]) == ExitCode.USAGE
    assert "--tls-key" in capsys.readouterr().err
