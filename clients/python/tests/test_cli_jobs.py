"""graft jobs show / ls / watch / cancel: the kept model's numbers, phases, one line per epoch, --wait."""

from __future__ import annotations

import io
import json

import grpc
import pytest
from rich.console import Console

from graft_client import GraftError, pb
from graft_client.cli import ExitCode
from graft_client.cli._commands import summary_line
from graft_client.cli._phases import PhaseTracker
from graft_client.cli._progress import follow
from graft_client.resources import Job, JobEvent, Model
from test_cli import FakeClient, run_cli


LINEAR = "linear 384->2 head"
MLP = "mlp 384->256->2 dropout 0.5 head"


def auto_head_job() -> pb.Job:
    """A hidden=auto job as the server reports it: 2 heads (phases) x 30 epochs, each numbered
    1-30, the linear head's best epoch 12 (validation loss 0.4725) kept, the MLP's last epoch at
    0.5344."""
    history = []
    for phase in (LINEAR, MLP):
        for epoch in range(1, 31):
            loss = 0.4725 if (phase, epoch) == (LINEAR, 12) else (0.5344 if (phase, epoch) == (MLP, 30) else 0.6)
            history += [pb.Metric(name="loss", value=loss, split="validation", epoch=epoch, phase=phase),
                        pb.Metric(name="accuracy", value=0.5 if epoch == 30 else 0.8, split="validation",
                                  epoch=epoch, phase=phase)]
    metrics = [pb.Metric(name="loss", value=0.4725, split="validation", epoch=0),
               pb.Metric(name="accuracy", value=0.875, split="validation", epoch=0)]
    return pb.Job(id="j1", state=pb.JOB_STATE_SUCCEEDED, base_model="minilm-l6@1", strategy="feature-extraction",
                  output_model="sentiment", result_model="sentiment@1", metrics=metrics, history=history,
                  progress=pb.Progress(epoch=30, total_epochs=30, step=120, total_steps=120, fraction=1,
                                       phase=MLP, phase_index=2, phase_count=2))


def test_jobs_show_prints_the_kept_models_metrics_and_the_history_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    model = Model.from_proto(pb.Model(name="sentiment", version=1, properties={
        "candidates": "linear 384->2: validation loss 0.4725; mlp 384->256->2 dropout 0.5: validation loss 0.5344"}))
    fake = FakeClient(get_job=Job.from_proto(auto_head_job()), get_model=model)
    code, out = run_cli(monkeypatch, fake, "jobs", "show", "j1")
    assert code == 0
    rows = {line.split(None, 1)[0]: line.split(None, 1)[1].strip() for line in out.splitlines() if line.strip()}
    assert rows["metrics"] == "accuracy=0.875 (validation), loss=0.4725 (validation)"
    assert "0.5344" not in rows["metrics"]
    assert rows["history"] == (f"60 epochs in 2 phases; validation loss first 0.6000, "
                               f"best 0.4725 (epoch 12 of {LINEAR}), last 0.5344 (epoch 30 of {MLP})")
    assert rows["progress"].startswith(f"{MLP} (2/2), epoch 30/30")
    assert rows["candidates"].startswith("linear 384->2: validation loss 0.4725")
    assert fake.calls[-1][:2] == ("get_model", ("sentiment@1",))


def test_jobs_ls_and_the_watch_summary_show_the_kept_models_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    job = Job.from_proto(auto_head_job())
    code, out = run_cli(monkeypatch, FakeClient(list_jobs=[job]), "jobs", "ls")
    assert code == 0
    assert "accuracy=0.875 (validation), loss=0.4725 (validation)" in out and "0.5344" not in out
    assert summary_line(job) == ("job j1 SUCCEEDED: model sentiment@1 "
                                 "(accuracy=0.875 (validation), loss=0.4725 (validation))")


def test_jobs_show_json_has_numbers_and_the_final_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    message = auto_head_job()
    message.progress.total_steps = 2**40
    code, out = run_cli(monkeypatch, FakeClient(get_job=Job.from_proto(message)), "jobs", "show", "j1", "-o", "json")
    assert code == 0
    shown = json.loads(out)
    assert shown["progress"]["total_steps"] == 2**40  # an int64 as a number, not "1099511627776"
    assert shown["state"] == "SUCCEEDED"
    assert shown["final_metrics"] == [
        {"name": "loss", "value": 0.4725, "split": "validation", "epoch": 0, "phase": ""},
        {"name": "accuracy", "value": 0.875, "split": "validation", "epoch": 0, "phase": ""}]
    assert len(shown["history"]) == 120 and shown["history"][-1]["phase"] == MLP


def events_of_an_auto_head_job() -> list[JobEvent]:
    """What WatchJob sends for hidden=auto with 2 epochs per head and 2 steps per epoch: each
    event's progress names the phase, and carries the metrics measured since the previous event."""
    out: list[JobEvent] = []
    new: list[pb.Metric] = []

    def send(epoch: int, step: int, text: str = "", state: int = pb.JOB_STATE_RUNNING, phase: int = 0,
             final: tuple[pb.Metric, ...] = ()) -> None:
        progress = pb.Progress(epoch=epoch, total_epochs=2 if phase else 0, step=step, total_steps=8)
        if phase:
            progress.phase, progress.phase_index, progress.phase_count = [LINEAR, MLP][phase - 1], phase, 2
        job = pb.Job(id="j", state=state, metrics=final, progress=progress)
        out.append(JobEvent.from_proto(pb.JobEvent(job=job, message=text, metrics=new)))
        new.clear()

    send(0, 0, "queued", pb.JOB_STATE_QUEUED)
    step = 0
    for index, name in enumerate((LINEAR, MLP), start=1):
        send(0, step, f"phase {index}/2: {name}", phase=index)
        for epoch in (1, 2):
            for _ in range(2):
                step += 1
                send(epoch, step, f"epoch {epoch}/2 step {step}/8 loss 0.5", phase=index)
            new.append(pb.Metric(name="loss", value=0.4 + index / 10, split="validation", epoch=epoch, phase=name))
            send(epoch, step, f"epoch {epoch}/2 done", phase=index)
    send(2, 8, "kept linear 384->2 (linear 384->2: validation loss 0.4725; "
         "mlp 384->256->2 dropout 0.5: validation loss 0.5344)", phase=2)
    send(2, 8, "succeeded", pb.JOB_STATE_SUCCEEDED, phase=2,
         final=(pb.Metric(name="loss", value=0.4725, split="validation", epoch=0),
                pb.Metric(name="accuracy", value=0.875, split="validation", epoch=0)))
    return out


def plain_lines(events: list[JobEvent]) -> list[str]:
    buffer = io.StringIO()
    follow(events, console=Console(file=buffer, width=200, color_system=None), json_lines=False)
    return buffer.getvalue().splitlines()


def test_off_a_terminal_the_watch_prints_one_line_per_epoch_and_phase() -> None:
    events = events_of_an_auto_head_job()
    lines = plain_lines(events)
    assert len(events) == 17 and len(lines) == 10  # not one line per step
    assert lines == [
        "j QUEUED epoch 0 loss -",
        "j trying linear 384->2 head 1/2",
        "j RUNNING linear 384->2 head 1/2 epoch 0/2 loss -",
        "j RUNNING linear 384->2 head 1/2 epoch 1/2 loss 0.5000",
        "j RUNNING linear 384->2 head 1/2 epoch 2/2 loss 0.5000",
        "j trying mlp 384->256->2 dropout 0.5 head 2/2",
        "j RUNNING mlp 384->256->2 dropout 0.5 head 2/2 epoch 1/2 loss 0.6000",
        "j RUNNING mlp 384->256->2 dropout 0.5 head 2/2 epoch 2/2 loss 0.6000",
        "j kept linear 384->2: validation loss 0.4725 (not kept: mlp 384->256->2 dropout 0.5: 0.5344)",
        "j SUCCEEDED accuracy=0.875 (validation), loss=0.4725 (validation)",
    ]


def test_the_tracker_follows_the_progress_phase_and_keeps_the_newest_metrics() -> None:
    tracker = PhaseTracker()
    notes = []
    for e in events_of_an_auto_head_job():
        notes += tracker.update(e)
    assert notes[:2] == [f"trying {LINEAR} 1/2", f"trying {MLP} 2/2"]
    assert tracker.describe() == f"{MLP} 2/2"
    assert tracker.epochs == 4  # 2 epochs in each phase
    newest = tracker.metric("loss", "validation")
    assert newest is not None and (newest.phase, newest.epoch, round(newest.value, 4)) == (MLP, 2, 0.6)


def test_jobs_cancel_wait_prints_the_terminal_state(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    running = Job.from_proto(pb.Job(id="j", state=pb.JOB_STATE_RUNNING))
    cancelled = Job.from_proto(pb.Job(id="j", state=pb.JOB_STATE_CANCELLED))
    fake = FakeClient(cancel=running, wait=cancelled)
    code, out = run_cli(monkeypatch, fake, "jobs", "cancel", "j", "--wait")
    assert code == 0
    assert "CANCELLED" in out and "RUNNING" not in out
    assert [c[0] for c in fake.calls] == ["cancel", "wait"]
    code, out = run_cli(monkeypatch, FakeClient(cancel=running), "jobs", "cancel", "j")
    assert "RUNNING" in out  # without --wait: the job as the cancel left it


def test_errors_are_one_line_with_the_reason_once_and_a_hint(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from graft_client.errors import FieldViolation

    message = "filter must be KEY=VALUE with KEY one of [state, output_model]; got 'x'"
    error = GraftError(grpc.StatusCode.INVALID_ARGUMENT, message, reason="INVALID_FILTER",
                       field_violations=[FieldViolation("filter", message)])
    code, _ = run_cli(monkeypatch, FakeClient(list_jobs=error), "jobs", "ls", "--filter", "x")
    assert code == ExitCode.INVALID_ARGUMENT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.count(message) == 1
    assert err.startswith("graft: error: INVALID_ARGUMENT INVALID_FILTER: filter must be")
    assert "(hint: a filter is KEY=VALUE" in err
    unavailable = GraftError(grpc.StatusCode.UNAVAILABLE, "failed to connect")
    code, _ = run_cli(monkeypatch, FakeClient(get_model=unavailable), "--target", "h:9", "models", "show", "m")
    assert code == ExitCode.UNAVAILABLE
    assert "is a Graft server running at h:9?" in capsys.readouterr().err


def test_watch_json_lines_carry_the_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    events = events_of_an_auto_head_job()
    fake = FakeClient(get_job=events[0].job, watch=lambda j: iter(events))
    code, out = run_cli(monkeypatch, fake, "jobs", "watch", "j", "-o", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == len(events)
    mlp = [line for line in lines if line["phase"].startswith("mlp")]
    assert mlp[0]["notes"] == ["trying mlp 384->256->2 dropout 0.5 head 2/2"]
    assert {(line["job"]["progress"]["epoch"], line["job"]["progress"]["total_epochs"]) for line in mlp} == {
        (0, 2), (1, 2), (2, 2)}
    assert [m["epoch"] for line in mlp for m in line["metrics"]] == [1, 2]  # each epoch once
    assert lines[-1]["job"]["state"] == "SUCCEEDED"


def test_base_model_filter_without_a_version_matches_every_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import FakeChannel
    from graft_client import Client

    jobs = [pb.Job(id="a", base_model="minilm-l6@1"), pb.Job(id="b", base_model="minilm-l6@2"),
            pb.Job(id="c", base_model="minilm-l6-q@1")]
    channel = FakeChannel(responses={"ListJobs": lambda r: pb.ListJobsResponse(jobs=[
        j for j in jobs if not r.filter or j.base_model == r.filter.split("=", 1)[1]])})
    client = Client(channel=channel)  # type: ignore[arg-type]
    assert [j.id for j in client.list_jobs("base_model=minilm-l6")] == ["a", "b"]
    assert channel.last("ListJobs").request.filter == ""
    assert [j.id for j in client.list_jobs("base_model=minilm-l6@2")] == ["b"]
    assert channel.last("ListJobs").request.filter == "base_model=minilm-l6@2"
    channel.responses["ListModels"] = pb.ListModelsResponse(models=[
        pb.Model(name="s", base_model="MiniLM-L6@1"), pb.Model(name="t", base_model="resnet@1")])
    assert [m.name for m in client.list_models("base_model=minilm-l6")] == ["s"]


def test_on_a_terminal_the_bar_prints_the_phase_notes_and_ends_on_the_job() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None, force_terminal=True)
    last = follow(events_of_an_auto_head_job(), console=console, json_lines=False)
    assert last is not None and last.state == "SUCCEEDED"
    text = buffer.getvalue()
    assert "trying linear 384->2 head 1/2" in text and "trying mlp 384->256->2 dropout 0.5 head 2/2" in text
    assert "kept linear 384->2: validation loss 0.4725" in text


def test_models_alias_points_an_alias_at_a_version_and_unalias_removes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    aliased = Model.from_proto(pb.Model(name="reviews", version=3, aliases=["prod"]))
    fake = FakeClient(set_model_alias=aliased, delete_model_alias=None, get_model=aliased)
    code, out = run_cli(monkeypatch, fake, "models", "alias", "reviews", "prod", "reviews@3")
    assert code == 0 and out.strip() == "reviews:prod -> reviews@3"
    assert fake.calls[-1][:2] == ("set_model_alias", ("reviews", "prod", 3))
    code, _ = run_cli(monkeypatch, fake, "models", "alias", "reviews", "prod", "3")
    assert code == 0 and fake.calls[-1][:2] == ("set_model_alias", ("reviews", "prod", 3))
    code, out = run_cli(monkeypatch, fake, "models", "show", "reviews:prod")
    rows = {line.split(None, 1)[0]: line.split(None, 1)[1].strip() for line in out.splitlines() if line.strip()}
    assert rows["aliases"] == "reviews:prod" and rows["name"] == "reviews@3"
    code, _ = run_cli(monkeypatch, fake, "models", "unalias", "reviews", "prod")
    assert code == 0 and fake.calls[-1][:2] == ("delete_model_alias", ("reviews", "prod"))
    code, _ = run_cli(monkeypatch, fake, "models", "alias", "reviews", "prod", "other@3")
    assert code == ExitCode.USAGE
    code, _ = run_cli(monkeypatch, fake, "models", "alias", "reviews", "prod", "reviews@x")
    assert code == ExitCode.USAGE


def test_estimate_prints_the_ranking_best_first_and_asks_for_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    from graft_client.resources import TransferEstimates

    answer = TransferEstimates.from_proto(pb.EstimateTransferResponse(task=pb.TASK_CLASSIFICATION, examples=800, estimates=[
        pb.TransferEstimate(base_model="bge-small-en@1", logme=0.112, probe_score=0.981, dimension=384, seconds=33.6),
        pb.TransferEstimate(base_model="minilm-l6@1", logme=-0.339, dimension=384, seconds=18.0, cached=True)]))
    fake = FakeClient(estimate_transfer=answer)
    code, out = run_cli(monkeypatch, fake, "estimate", "--dataset", "reviews", "--base", "bge-small-en",
                        "--base", "minilm-l6")
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.strip()]
    assert rows[0][:3] == ["RANK", "BASE", "MODEL"]
    assert rows[1] == ["1", "bge-small-en@1", "0.1120", "0.981", "384", "33.6", "computed"]
    assert rows[2] == ["2", "minilm-l6@1", "-0.3390", "-", "384", "18.0", "cached"]
    name, args, kwargs = fake.calls[-1]
    assert name == "estimate_transfer" and kwargs["dataset"] == "reviews"
    assert kwargs["base_models"] == ["bge-small-en", "minilm-l6"] and kwargs["timeout"] >= 600
    code, out = run_cli(monkeypatch, fake, "estimate", "--dataset", "reviews", "-o", "json")
    shown = json.loads(out)
    assert shown["task"] == "CLASSIFICATION" and shown["estimates"][1]["probe_score"] is None
    assert answer.best is not None and answer.best.base_model == "bge-small-en@1"


def test_the_client_sends_estimate_transfer_with_the_data_and_bases() -> None:
    from conftest import FakeChannel
    from graft_client import Client

    channel = FakeChannel(responses={"EstimateTransfer": pb.EstimateTransferResponse(
        task=pb.TASK_REGRESSION, examples=40, estimates=[pb.TransferEstimate(base_model="ts-encoder@1", logme=1.5)])})
    client = Client(channel=channel)  # type: ignore[arg-type]
    result = client.estimate_transfer(examples=[("a", "x"), ("b", "y")], base_models=["ts-encoder"], max_examples=40)
    sent = channel.last("EstimateTransfer").request
    assert len(sent.data.examples.examples) == 2 and list(sent.base_models) == ["ts-encoder"]
    assert sent.max_examples == 40
    assert result.task == "REGRESSION" and result.estimates[0].logme == 1.5
    with pytest.raises(ValueError):
        client.estimate_transfer()
