"""What each ``graft`` command does, given parsed arguments."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import grpc
from rich.console import Console

from graft_client.cli._completion import script
from graft_client.cli._exit import ExitCode
from graft_client.cli._inputs import CliInput, collect
from graft_client.cli._output import Output, final_metrics_text
from graft_client.cli._progress import follow
from graft_client.cli._tokens import TokenFileError, add_token
from graft_client.client import Client
from graft_client.errors import GraftError
from graft_client.resources import Job, JobState

__all__ = ["COMMANDS", "serve_command", "make_client"]


class UsageError(Exception):
    """A command line that parsed but cannot be carried out (exit 2)."""


def make_client(args: argparse.Namespace) -> Client:
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("a client certificate needs both --tls-cert and --tls-key (env GRAFT_TLS_CERT, GRAFT_TLS_KEY)")
    for option, path in (("--tls-ca", args.tls_ca), ("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key)):
        if path and not Path(path).is_file():
            raise UsageError(f"{option}: no such file: {path}")
    return Client(args.target, timeout=args.timeout, tls=args.tls or bool(args.tls_ca or args.tls_cert),
                  root_certificates=args.tls_ca or None, certificate_chain=args.tls_cert or None,
                  private_key=args.tls_key or None, token=args.token or None)


def serve_command(args: argparse.Namespace, environ: dict[str, str] | None = None) -> list[str]:
    """The ``java -jar`` command line that ``graft serve`` runs."""
    env = os.environ if environ is None else environ
    jar = args.jar or env.get("GRAFT_SERVER_JAR")
    if not jar:
        raise UsageError("no server jar: pass --jar or set GRAFT_SERVER_JAR")
    java = args.java or (str(Path(env["JAVA_HOME"]) / "bin" / "java") if env.get("JAVA_HOME") else "java")
    command = [java, *args.jvm_arg, "-jar", jar]
    if args.port is not None:
        command += ["--port", str(args.port)]
    if args.store:
        command += ["--store", args.store]
    return command + list(args.server_args)


def _serve(args: argparse.Namespace, out: Output) -> int:
    command = serve_command(args)
    if not Path(command[command.index("-jar") + 1]).is_file():
        raise UsageError(f"server jar not found: {command[command.index('-jar') + 1]}")
    if shutil.which(command[0]) is None:
        raise UsageError(f"java not found: {command[0]} (install a JDK 17+ or set JAVA_HOME)")
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execvp(command[0], command)  # the server takes over this process (signals, exit code)
    return subprocess.call(command)


def _info(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        out.server_info(client.server_info())
    return ExitCode.OK


def _datasets_upload(args: argparse.Namespace, out: Output) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    source: object = path
    fmt = args.format
    if args.labels_file or (fmt or "").lower() == "idx":
        if not args.labels_file:
            raise UsageError("--format idx needs --labels-file (FILE is the images part)")
        source = {"images": path, "labels": Path(args.labels_file)}
        fmt = fmt or "idx"
    name = args.name or path.name.split(".")[0]
    with make_client(args) as client:
        dataset = client.upload_dataset(source, name=name, domain=args.domain, format=fmt, task=args.task,  # type: ignore[arg-type]
                                        options=dict(args.option))
    out.dataset(dataset)
    return ExitCode.OK


def _datasets_ls(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        out.datasets(client.list_datasets(args.filter))
    return ExitCode.OK


def _datasets_show(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        out.dataset(client.get_dataset(args.id))
    return ExitCode.OK


def _datasets_rm(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        client.delete_dataset(args.id)
    if out.json:
        out.emit_json({"deleted": args.id})
    return ExitCode.OK


def _estimate(args: argparse.Namespace, out: Output) -> int:
    # Features are computed for every base (or read from the feature cache): allow minutes.
    with make_client(args) as client:
        result = client.estimate_transfer(dataset=args.dataset, base_models=args.base, task=args.task,
                                          max_examples=args.max_examples, timeout=max(args.timeout, 600.0))
    out.estimates(result)
    return ExitCode.OK


def _train(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        job = client.train(
            args.base, args.strategy, args.output_model, dataset=args.dataset, validation=args.validation,
            validation_split=args.validation_split, epochs=args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate, weight_decay=args.weight_decay,
            early_stopping_patience=args.patience, seed=args.seed, extra=dict(args.extra), task=args.task,
            device_pool=args.device_pool, priority=args.priority, labels=dict(args.label))
        if not args.watch:
            out.job(job)
            return ExitCode.OK
        if not out.json:
            _err().print(f"job {job.id} {job.state}: training {args.output_model} "
                         f"from {args.base} ({args.strategy})")
        return _follow(client, job, out)


def _follow(client: Client, job: Job, out: Output) -> int:
    try:
        last = follow(client.watch(job), console=out.console, json_lines=out.json, emit_json=out.emit_json_line)
    except KeyboardInterrupt:
        _err().print(f"stopped watching; job {job.id} goes on (graft jobs cancel {job.id} to stop it)")
        return ExitCode.INTERRUPTED
    final = last if last is not None else client.get_job(job)
    if not out.json:
        _summary(final)
    return job_exit_code(final)


def job_exit_code(job: Job) -> int:
    """0 for a SUCCEEDED (or still running) job, 1 for FAILED or CANCELLED."""
    return ExitCode.JOB_FAILED if job.state in (JobState.FAILED, JobState.CANCELLED) else ExitCode.OK


def summary_line(job: Job) -> str:
    """``job J SUCCEEDED: model m@1 (accuracy=0.875 (validation), loss=0.4725 (validation))``: the
    saved model's metrics (epoch 0), not the last epoch trained."""
    text = f"job {job.id} {job.state}"
    if job.result_model:
        text += f": model {job.result_model}"
    metrics = final_metrics_text(job.metrics)
    if metrics:
        text += f" ({metrics})"
    if job.state == JobState.FAILED and job.error is not None and job.error.message:
        text += f": {job.error.reason + ': ' if job.error.reason else ''}{job.error.message}"
    return text


def _summary(job: Job) -> None:
    _err().print(summary_line(job), highlight=False, markup=False)


def _jobs_ls(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        out.jobs(client.list_jobs(args.filter))
    return ExitCode.OK


def _jobs_show(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        job = client.get_job(args.id)
        out.job(job, candidates="" if out.json else _candidates(client, job))
    return ExitCode.OK


def _candidates(client: Client, job: Job) -> str:
    """The heads a job tried and their validation losses (its model's ``candidates`` property),
    "" when it tried one, has no model yet, or its model was deleted since."""
    if not job.result_model:
        return ""
    try:
        model = client.get_model(job.result_model)
    except GraftError as e:
        if e.code == grpc.StatusCode.NOT_FOUND:
            return ""
        raise
    return model.properties.get("candidates", "")


def _jobs_watch(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        return _follow(client, client.get_job(args.id), out)


def _jobs_cancel(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        job = client.cancel(args.id)
        if args.wait and not job.terminal:
            if not out.json:
                _err().print(f"job {job.id} {job.state}: cancelling, waiting for it to stop")
            job = client.wait(job)
        out.job(job)
    return ExitCode.OK


def _models_ls(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        out.models(client.list_models(args.filter))
    return ExitCode.OK


def _models_show(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        out.model(client.get_model(args.name))
    return ExitCode.OK


def _models_import(args: argparse.Namespace, out: Output) -> int:
    parts: dict[str, Path] = {"": Path(args.file)}
    for name, path in args.part:
        parts[name] = Path(path)
    for path in parts.values():
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
    with make_client(args) as client:
        model = client.import_model(parts, name=args.name, domain=args.domain, format=args.format,
                                    properties=dict(args.property))
    out.model(model)
    return ExitCode.OK


def _models_rm(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        client.delete_model(args.name)
    if out.json:
        out.emit_json({"deleted": args.name})
    return ExitCode.OK


def _models_alias(args: argparse.Namespace, out: Output) -> int:
    name, _, version = args.version.rpartition("@")
    if name and name != args.name:
        raise UsageError(f"{args.version} is a version of {name}, not of {args.name}")
    if not version.isdigit() or int(version) < 1:
        raise UsageError(f"the version must be NAME@VERSION or a positive number, not {args.version!r}")
    with make_client(args) as client:
        model = client.set_model_alias(args.name, args.alias, int(version))
    if out.json:
        out.emit_json({"alias": f"{args.name}:{args.alias}", "model": model.ref})
    else:
        out.console.out(f"{args.name}:{args.alias} -> {model.ref}", highlight=False)
    return ExitCode.OK


def _models_unalias(args: argparse.Namespace, out: Output) -> int:
    with make_client(args) as client:
        client.delete_model_alias(args.name, args.alias)
    if out.json:
        out.emit_json({"deleted": f"{args.name}:{args.alias}"})
    return ExitCode.OK


def _inputs(args: argparse.Namespace) -> list[CliInput]:
    try:
        return collect(args)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _predict(args: argparse.Namespace, out: Output) -> int:
    inputs = _inputs(args)
    with make_client(args) as client:
        result = client.predict(args.model, [i.input for i in inputs], top_k=args.top_k)
    out.predictions([i.label for i in inputs], result)
    return ExitCode.OK


def _extract(args: argparse.Namespace, out: Output) -> int:
    inputs = _inputs(args)
    with make_client(args) as client:
        features = client.extract_features(args.model, [i.input for i in inputs], layer=args.layer,
                                           pooling=args.pooling, normalize=args.normalize)
    out.features(features.model or args.model, features.layer, [i.label for i in inputs], features.vectors)
    return ExitCode.OK


def _completion(args: argparse.Namespace, out: Output) -> int:
    from graft_client.cli._parser import build_parser

    sys.stdout.write(script(build_parser(), args.shell))
    sys.stdout.flush()
    return ExitCode.OK


def _tokens_create(args: argparse.Namespace, out: Output) -> int:
    try:
        token = add_token(args.file, args.name, args.role)
    except TokenFileError as e:
        raise UsageError(str(e)) from None
    sys.stdout.write(token + "\n")  # the only thing on stdout, so that scripts can capture it
    sys.stdout.flush()
    _err().print(f"added {args.name} ({args.role}) to {args.file}; the token above is shown only now: "
                 f"store it (the file keeps its SHA-256 only)")
    return ExitCode.OK


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


COMMANDS: dict[str, Callable[[argparse.Namespace, Output], int]] = {
    "serve": _serve,
    "info": _info,
    "datasets_upload": _datasets_upload,
    "datasets_ls": _datasets_ls,
    "datasets_show": _datasets_show,
    "datasets_rm": _datasets_rm,
    "train": _train,
    "jobs_ls": _jobs_ls,
    "jobs_show": _jobs_show,
    "jobs_watch": _jobs_watch,
    "jobs_cancel": _jobs_cancel,
    "models_ls": _models_ls,
    "models_show": _models_show,
    "models_import": _models_import,
    "models_rm": _models_rm,
    "estimate": _estimate,
    "models_alias": _models_alias,
    "models_unalias": _models_unalias,
    "predict": _predict,
    "extract": _extract,
    "tokens_create": _tokens_create,
    "completion": _completion,
}
