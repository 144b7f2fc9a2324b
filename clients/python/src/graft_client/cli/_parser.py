"""The ``graft`` command line: argument parsing only (see _commands for what each command does)."""

from __future__ import annotations

import argparse
import os

from graft_client.cli._completion import SHELLS
from graft_client.cli._tokens import DEFAULT_TOKENS_FILE, ROLES
from graft_client.client import DEFAULT_TARGET

__all__ = ["build_parser", "key_values"]

_SUPPRESS = argparse.SUPPRESS


def key_values(value: str) -> tuple[str, str]:
    """``k=v`` -> ``(k, v)`` (for --option / --extra / --label)."""
    key, sep, val = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    return key, val


def _positive_float(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if f <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return f


def _globals(parser: argparse.ArgumentParser, top: bool) -> None:
    """The connection and output options, accepted before and after the subcommand."""
    default = (lambda v: v) if top else (lambda v: _SUPPRESS)  # noqa: E731
    g = parser.add_argument_group("connection and output")
    g.add_argument("--target", default=default(os.environ.get("GRAFT_TARGET") or DEFAULT_TARGET),
                   help="server host:port (env GRAFT_TARGET; default %s)" % DEFAULT_TARGET)
    g.add_argument("--token", default=default(os.environ.get("GRAFT_TOKEN")),
                   help="bearer token (env GRAFT_TOKEN)")
    g.add_argument("--tls", action="store_true", default=default(False),
                   help="use TLS (system roots unless --tls-ca)")
    g.add_argument("--tls-ca", "--ca-cert", dest="tls_ca", metavar="PEM",
                   default=default(os.environ.get("GRAFT_TLS_CA") or os.environ.get("GRAFT_CA_CERT")),
                   help="trusted CA certificates, a PEM file (implies --tls; env GRAFT_TLS_CA)")
    g.add_argument("--tls-cert", metavar="PEM", default=default(os.environ.get("GRAFT_TLS_CERT")),
                   help="client certificate chain for mutual TLS, a PEM file (implies --tls; needs "
                        "--tls-key; env GRAFT_TLS_CERT)")
    g.add_argument("--tls-key", metavar="PEM", default=default(os.environ.get("GRAFT_TLS_KEY")),
                   help="private key of --tls-cert, a PEM file (env GRAFT_TLS_KEY)")
    g.add_argument("--timeout", type=_positive_float, metavar="SECONDS", default=default(30.0),
                   help="deadline for each call (default 30)")
    g.add_argument("-o", "--output-format", choices=("table", "json"), default=default("table"),
                   help="table (default) or json")
    g.add_argument("--jq", metavar="EXPR", default=default(None),
                   help="filter the JSON output with a jq expression (implies -o json; strings print raw); "
                        "runs jq when installed, else a built-in subset: .key, .[0], .[], pipes")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graft", description="Graft client: datasets, training jobs, models and inference.",
        epilog="Exit codes: 0 ok, 1 job ended FAILED/CANCELLED, 2 usage, 3 not found, 4 invalid "
               "argument, 5 unavailable, 6 deadline exceeded, 7 unauthenticated/permission denied, "
               "8 conflict/failed precondition, 9 resource exhausted, 10 other error, 130 interrupted.")
    _globals(parser, top=True)
    common = argparse.ArgumentParser(add_help=False)
    _globals(common, top=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str,
            **kw: object) -> argparse.ArgumentParser:
        return subparsers.add_parser(name, help=help, description=help, parents=[common], **kw)  # type: ignore[arg-type]

    # serve
    p = add(sub, "serve", "run a Graft server (java -jar JAR)")
    p.add_argument("--jar", default=os.environ.get("GRAFT_SERVER_JAR"),
                   help="the server jar (env GRAFT_SERVER_JAR)")
    p.add_argument("--port", type=int, help="port to serve on (0 = any free port)")
    p.add_argument("--store", help="directory of the server's store")
    p.add_argument("--java", default=None, help="java executable (default $JAVA_HOME/bin/java or java)")
    p.add_argument("--jvm-arg", action="append", default=[], metavar="ARG", help="an option for the JVM (--jvm-arg=-Xmx4g)")
    p.add_argument("server_args", nargs="*", metavar="-- ARG", help="more server options, after --")
    p.set_defaults(handler="serve")

    # info
    add(sub, "info", "server version, plugins and device pools").set_defaults(handler="info")

    # datasets
    datasets = add(sub, "datasets", "upload and list datasets").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = add(datasets, "upload", "upload a dataset file")
    p.add_argument("file", help="the dataset file (JSONL, CSV, ZIP, EXAMPLES)")
    p.add_argument("--name", help="dataset name (default: the file name without suffix)")
    p.add_argument("--domain", required=True, help="nlp, vision, timeseries, ...")
    p.add_argument("--format", help="jsonl, csv, zip, examples, idx (default: from the suffix)")
    p.add_argument("--task", help="classification, regression or forecasting (default: inferred)")
    p.add_argument("--option", type=key_values, action="append", default=[], metavar="KEY=VALUE",
                   help="format option, e.g. text_column=review")
    p.add_argument("--labels-file", help="the labels part, for --format idx (FILE is the images part)")
    p.set_defaults(handler="datasets_upload")
    p = add(datasets, "ls", "list datasets")
    p.add_argument("--filter", default="", help="domain=nlp or name=NAME")
    p.set_defaults(handler="datasets_ls")
    p = add(datasets, "show", "show one dataset")
    p.add_argument("id", help="dataset id or name")
    p.set_defaults(handler="datasets_show")
    p = add(datasets, "rm", "delete a dataset")
    p.add_argument("id", help="dataset id or name")
    p.set_defaults(handler="datasets_rm")

    # train
    p = add(sub, "estimate", "rank base models for a dataset by how well their frozen features fit it "
                             "(EstimateTransfer: LogME and a linear probe; nothing is trained)")
    p.add_argument("--dataset", required=True, help="the labelled dataset, id or name")
    p.add_argument("--base", action="append", default=[], metavar="MODEL",
                   help="a base model to rank (repeat; default: every base model of the dataset's domain)")
    p.add_argument("--task", help="classification or regression (default: inferred)")
    p.add_argument("--max-examples", type=int, default=0, metavar="N",
                   help="score at most N examples, a seeded sample (default: the server's, 2000)")
    p.set_defaults(handler="estimate")
    p = add(sub, "train", "start a training job")
    p.add_argument("--base", required=True, help="base model, e.g. minilm-l6")
    p.add_argument("--strategy", required=True, help="feature-extraction, knowledge-transfer, fine-tuning, ...")
    p.add_argument("--output", required=True, dest="output_model", help="name of the model to produce")
    p.add_argument("--dataset", required=True, help="training dataset id or name")
    p.add_argument("--validation", help="validation dataset id or name")
    p.add_argument("--validation-split", type=float, default=0.0, help="fraction held out for validation")
    p.add_argument("--epochs", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=0)
    p.add_argument("--learning-rate", type=float, default=0.0)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--patience", type=int, default=0, help="early-stopping patience (epochs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--task", help="classification, regression or forecasting (default: inferred)")
    p.add_argument("--extra", type=key_values, action="append", default=[], metavar="KEY=VALUE",
                   help="strategy/domain-specific option")
    p.add_argument("--device-pool", default="")
    p.add_argument("--priority", type=int, default=0)
    p.add_argument("--label", type=key_values, action="append", default=[], metavar="KEY=VALUE",
                   help="a label on the job")
    p.add_argument("--watch", action="store_true",
                   help="follow the job until it ends: a progress bar on a terminal, else one line per epoch "
                        "and phase")
    p.set_defaults(handler="train")

    # jobs
    jobs = add(sub, "jobs", "list, watch and cancel training jobs").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = add(jobs, "ls", "list jobs")
    p.add_argument("--filter", default="", help="state=RUNNING, output_model=NAME, strategy=NAME or "
                   "base_model=NAME (every version; NAME@VERSION for one)")
    p.set_defaults(handler="jobs_ls")
    for name, help in (("show", "show one job"), ("watch", "follow a job until it ends"),
                       ("cancel", "cancel a queued or running job")):
        p = add(jobs, name, help)
        p.add_argument("id", help="job id")
        p.set_defaults(handler=f"jobs_{name}")
    p.add_argument("--wait", action="store_true",
                   help="wait until the job has ended, then show it (CANCELLED, or whatever it reached)")

    # models
    models = add(sub, "models", "list, show, import, alias and delete models").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = add(models, "import", "import a base model (ImportModel)")
    p.add_argument("file", help="the model's main file (.onnx, TorchScript .pt, state-dict .pth, model.json)")
    p.add_argument("--name", required=True, help="the base model's name")
    p.add_argument("--domain", required=True, help="nlp, vision, timeseries, ...")
    p.add_argument("--format", required=True, help="onnx, torchscript, torch-state-dict, tfjs-layers")
    p.add_argument("--part", type=key_values, action="append", default=[], metavar="NAME=PATH",
                   help="another file of the model, e.g. tokenizer.json=./tokenizer.json")
    p.add_argument("--property", type=key_values, action="append", default=[], metavar="KEY=VALUE",
                   help="a model property, e.g. input_size=96 or architecture=efficientnet-lite0")
    p.set_defaults(handler="models_import")
    p = add(models, "ls", "list models")
    p.add_argument("--filter", default="", help="kind=BASE, kind=TRAINED, domain=nlp, name=NAME, strategy=NAME "
                   "or base_model=NAME (every version; NAME@VERSION for one)")
    p.set_defaults(handler="models_ls")
    p = add(models, "show", "show one model")
    p.add_argument("name", help="NAME, NAME@VERSION or NAME:ALIAS")
    p.set_defaults(handler="models_show")
    p = add(models, "rm", "delete a model")
    p.add_argument("name", help="NAME, NAME@VERSION or NAME:ALIAS")
    p.set_defaults(handler="models_rm")
    p = add(models, "alias", "point NAME:ALIAS at one version (create or move it), e.g. "
                             "`graft models alias reviews prod reviews@3`; then predict on reviews:prod")
    p.add_argument("name", help="the model's NAME")
    p.add_argument("alias", help="a lower-case word: [a-z][a-z0-9_-]{0,31}")
    p.add_argument("version", help="NAME@VERSION, or just VERSION")
    p.set_defaults(handler="models_alias")
    p = add(models, "unalias", "remove NAME:ALIAS (the version it names stays)")
    p.add_argument("name", help="the model's NAME")
    p.add_argument("alias", help="the alias")
    p.set_defaults(handler="models_unalias")

    # tokens
    tokens = add(sub, "tokens", "manage the server's tokens file (no server needed)").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    p = add(tokens, "create", "create a token: append its line (NAME ROLE SHA256) to the tokens file and "
                              "print the token, once, on stdout")
    p.add_argument("name", help="the principal's name: letters, digits, then up to 63 of . _ @ - too")
    p.add_argument("--role", required=True, choices=ROLES, help="what the token may do")
    p.add_argument("--file", default=os.environ.get("GRAFT_AUTH_TOKENS_FILE") or DEFAULT_TOKENS_FILE,
                   help="the tokens file, created (mode 0600) if missing (env GRAFT_AUTH_TOKENS_FILE; "
                        "default ./%s)" % DEFAULT_TOKENS_FILE)
    p.set_defaults(handler="tokens_create")

    # inference
    p = add(sub, "predict", "predict with a trained model")
    _inputs(p)
    p.add_argument("--top-k", type=int, default=0, help="classes per input (0 = all)")
    p.set_defaults(handler="predict")
    p = add(sub, "extract", "extract feature vectors")
    _inputs(p)
    p.add_argument("--normalize", action="store_true", help="unit L2 norm")
    p.add_argument("--layer", default="", help="feature layer (default: the model's)")
    p.add_argument("--pooling", choices=("default", "mean", "cls", "max"), default="default")
    p.set_defaults(handler="extract")

    # completion
    p = add(sub, "completion", "print a shell completion script: source <(graft completion bash) in ~/.bashrc, "
                               "source <(graft completion zsh) in ~/.zshrc")
    p.add_argument("shell", choices=SHELLS)
    p.set_defaults(handler="completion")
    return parser


def _inputs(p: argparse.ArgumentParser) -> None:
    """The inputs of predict and extract (graft_client.cli._inputs reads them)."""
    p.add_argument("model", help="NAME or NAME@VERSION")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts (none given: --text-file, ... or stdin lines)")
    g = p.add_argument_group("inputs (FILE '-' = stdin)")
    g.add_argument("--text-file", metavar="FILE", help="texts, one a line")
    g.add_argument("--pair", nargs=2, action="append", metavar=("TEXT", "PAIR"), help="a sentence pair (repeatable)")
    g.add_argument("--pairs", metavar="FILE", help="sentence pairs: TEXT<TAB>PAIR lines or JSON lines "
                                                   "[\"text\", \"pair\"]")
    g.add_argument("--image", nargs="+", action="extend", metavar="FILE", help="images (PNG, JPEG, BMP, GIF)")
    g.add_argument("--series", metavar="CSV|JSON",
                   help="time series: a CSV or JSON file, or the values (1,2,3 or [[1,2],[3,4]]); CSV: one "
                        "series a line; JSON: a list, a list of lists, or {\"values\": [...], \"channels\": N}")
