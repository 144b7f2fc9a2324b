"""The ``graft`` command: ``graft --help`` lists the commands; exit codes are in :class:`ExitCode`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.console import Console

from graft_client.cli._commands import COMMANDS, UsageError, job_exit_code, serve_command
from graft_client.cli._errors import describe
from graft_client.cli._exit import ExitCode, exit_code_for
from graft_client.cli._jq import make_filter
from graft_client.cli._output import Output
from graft_client.cli._parser import build_parser
from graft_client.errors import GraftError

__all__ = ["main", "ExitCode", "exit_code_for", "build_parser", "serve_command", "job_exit_code"]


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    """Runs one ``graft`` command; returns its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2)
        return int(e.code) if isinstance(e.code, int) else ExitCode.USAGE
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        jq = make_filter(args.jq) if args.jq else None
        return int(COMMANDS[args.handler](args, Output(args.output_format, console, jq)))
    except UsageError as e:
        err.print(f"graft: error: {e}", markup=False)
        return ExitCode.USAGE
    except GraftError as e:
        err.print(f"graft: error: {describe(e, target=args.target, timeout=args.timeout)}", markup=False)
        return exit_code_for(e.code)
    except OSError as e:
        err.print(f"graft: error: {e}", markup=False)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except ValueError as e:
        err.print(f"graft: error: {e}", markup=False)
        return ExitCode.USAGE


def run() -> None:
    sys.exit(main())
