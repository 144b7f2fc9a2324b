"""Following a job: a live progress bar on a terminal; elsewhere one line per epoch, phase change
and state change (not per step); JSON lines with ``-o json``. Phases (the candidate heads of
``hidden=auto``) and the newest metrics come from :class:`~graft_client.cli._phases.PhaseTracker`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from graft_client.cli._output import final_metrics_text, format_duration
from graft_client.cli._phases import PhaseTracker
from graft_client.resources import Job, JobEvent, JobState

__all__ = ["follow", "event_fields"]

_METRICS = ("accuracy", "macro_f1", "mae", "rmse", "mase")


def event_fields(job: Job, phases: PhaseTracker) -> dict[str, str]:
    """What the progress line shows for a job: state, phase, epoch (within the phase), step,
    loss, metric and ETA."""
    p = job.progress
    loss = phases.metric("loss", "train") or phases.metric("loss")
    metric = None
    for name in _METRICS:
        metric = phases.metric(name, "validation") or phases.metric(name)
        if metric is not None:
            break
    epoch, total = p.epoch, p.total_epochs
    return {
        "state": job.state.value,
        "phase": phases.describe(),
        "epoch": f"{epoch}/{total}" if total else str(epoch),
        "step": f"{p.step}/{p.total_steps}" if p.total_steps else str(p.step),
        "loss": f"{loss.value:.4f}" if loss is not None else "-",
        "metric": f"{metric.name} {metric.value:.3f}" if metric is not None else "",
        "eta": format_duration(p.eta.total_seconds()) if p.eta is not None and not job.terminal else "-",
    }


def follow(events: Iterable[JobEvent], *, console: Console, json_lines: bool,
           emit_json: Callable[[Any], None] | None = None) -> Job | None:
    """Shows each event until the stream ends; returns the last job seen."""
    if json_lines:
        return _json_lines(events, emit_json or (lambda v: console.out(str(v))))
    if not console.is_terminal:
        return _plain_lines(events, console)
    return _bar(events, console)


def _json_lines(events: Iterable[JobEvent], emit: Callable[[Any], None]) -> Job | None:
    last: Job | None = None
    phases = PhaseTracker()
    for event in events:
        last = event.job
        notes = phases.update(event)
        emit({"message": event.message, "phase": phases.describe(), "notes": notes,
              "metrics": [m.to_dict() for m in event.metrics], "job": event.job.to_dict()})
    return last


def _plain_lines(events: Iterable[JobEvent], console: Console) -> Job | None:
    """One line per finished epoch, phase note and state change; step events only move the
    numbers that the next line shows."""
    last: Job | None = None
    phases = PhaseTracker()
    state: JobState | None = None
    epochs_seen = 0
    for event in events:
        job = event.job
        last = job
        for note in phases.update(event):
            console.out(f"{job.id} {note}", highlight=False)
        epochs_done = phases.epochs
        if job.terminal and job.state != state:
            # The end: the kept model's numbers, not the last epoch's (maybe of a head not kept).
            state = job.state
            kept = final_metrics_text(job.metrics, limit=2) if any(m.final for m in job.metrics) else ""
            console.out(f"{job.id} {job.state}" + (f" {kept}" if kept else ""), highlight=False)
        elif job.state != state or epochs_done != epochs_seen:
            state, epochs_seen = job.state, epochs_done
            f = event_fields(job, phases)
            console.out(f"{job.id} {f['state']}" + (f" {f['phase']}" if f["phase"] else "")
                        + f" epoch {f['epoch']} loss {f['loss']}" + (f" {f['metric']}" if f["metric"] else "")
                        + (f" eta {f['eta']}" if f["eta"] != "-" else ""), highlight=False)
    return last


def _bar(events: Iterable[JobEvent], console: Console) -> Job | None:
    last: Job | None = None
    phases = PhaseTracker()
    columns: list[Any] = [
        TextColumn("[bold]{task.fields[state]:<9}"),
        BarColumn(bar_width=30),
        TaskProgressColumn(),
        TextColumn("{task.fields[phase]}"),
        TextColumn("epoch {task.fields[epoch]}"),
        TextColumn("step {task.fields[step]}"),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[metric]}"),
        TextColumn("ETA {task.fields[eta]}"),
    ]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("job", total=None, state="", phase="", epoch="", step="", loss="-", metric="",
                                 eta="-")
        for event in events:
            last = event.job
            for note in phases.update(event):
                progress.console.print(note, highlight=False, markup=False)
            p = event.job.progress
            total = p.total_steps or None
            completed = p.step if total else 0
            if event.job.state == JobState.SUCCEEDED and total:
                completed = total
            fields: dict[str, Any] = dict(event_fields(event.job, phases))
            progress.update(task, total=total, completed=completed, **fields)
    return last
