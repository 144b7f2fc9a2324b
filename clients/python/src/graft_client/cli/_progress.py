"""Following a job: a live progress bar on a terminal, one line per event elsewhere."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from graft_client import pb
from graft_client.cli._output import format_duration, latest_metric, to_json
from graft_client.client import is_terminal, state_name

__all__ = ["follow", "event_fields"]

_METRICS = ("accuracy", "macro_f1", "mae", "rmse", "mase")


def event_fields(job: pb.Job) -> dict[str, str]:
    """What the progress line shows for a job: state, epoch, step, loss, metric and ETA."""
    p = job.progress
    loss = latest_metric(job.metrics, "loss", "train") or latest_metric(job.metrics, "loss")
    metric = None
    for name in _METRICS:
        metric = latest_metric(job.metrics, name, "validation") or latest_metric(job.metrics, name)
        if metric is not None:
            break
    eta = p.eta.seconds + p.eta.nanos / 1e9 if p.HasField("eta") else None
    return {
        "state": state_name(job.state),
        "epoch": f"{p.epoch}/{p.total_epochs}" if p.total_epochs else str(p.epoch),
        "step": f"{p.step}/{p.total_steps}" if p.total_steps else str(p.step),
        "loss": f"{loss.value:.4f}" if loss is not None else "-",
        "metric": f"{metric.name} {metric.value:.3f}" if metric is not None else "",
        "eta": format_duration(eta) if eta is not None and not is_terminal(job) else "-",
    }


def follow(events: Iterable[pb.JobEvent], *, console: Console, json_lines: bool) -> pb.Job | None:
    """Shows each event until the stream ends; returns the last job seen."""
    last: pb.Job | None = None
    if json_lines:
        for event in events:
            last = event.job
            console.out(_json_line({"message": event.message, "job": to_json(event.job)}), highlight=False)
        return last
    if not console.is_terminal:
        for event in events:
            last = event.job
            f = event_fields(event.job)
            console.out(f"{event.job.id} {f['state']} epoch {f['epoch']} step {f['step']} loss {f['loss']}"
                        + (f" {f['metric']}" if f["metric"] else "") + f" eta {f['eta']}"
                        + (f"  {event.message}" if event.message else ""), highlight=False)
        return last
    columns: list[Any] = [
        TextColumn("[bold]{task.fields[state]:<9}"),
        BarColumn(bar_width=30),
        TaskProgressColumn(),
        TextColumn("epoch {task.fields[epoch]}"),
        TextColumn("step {task.fields[step]}"),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[metric]}"),
        TextColumn("ETA {task.fields[eta]}"),
    ]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("job", total=None, state="", epoch="", step="", loss="-", metric="", eta="-")
        for event in events:
            last = event.job
            p = event.job.progress
            total = p.total_steps or None
            completed = p.step if total else 0
            if is_terminal(event.job) and event.job.state == pb.JOB_STATE_SUCCEEDED and total:
                completed = total
            fields: dict[str, Any] = dict(event_fields(event.job))
            progress.update(task, total=total, completed=completed, **fields)
    return last


def _json_line(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
