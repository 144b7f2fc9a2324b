"""The CLI's exit codes: each names an outcome a script can act on."""

from __future__ import annotations

import enum

import grpc

__all__ = ["ExitCode", "exit_code_for"]


class ExitCode(enum.IntEnum):
    OK = 0
    JOB_FAILED = 1  # a watched job ended FAILED or CANCELLED
    USAGE = 2  # bad command line or unreadable local file
    NOT_FOUND = 3
    INVALID_ARGUMENT = 4  # the server refused the request's values (INVALID_ARGUMENT, OUT_OF_RANGE)
    UNAVAILABLE = 5  # server unreachable or shutting down (after retries)
    DEADLINE_EXCEEDED = 6
    UNAUTHENTICATED = 7  # UNAUTHENTICATED or PERMISSION_DENIED
    CONFLICT = 8  # ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED
    RESOURCE_EXHAUSTED = 9  # queue full, device busy, too large
    ERROR = 10  # any other failure (INTERNAL, UNIMPLEMENTED, UNKNOWN, ...)
    INTERRUPTED = 130  # Ctrl-C


_BY_CODE: dict[grpc.StatusCode, ExitCode] = {
    grpc.StatusCode.OK: ExitCode.OK,
    grpc.StatusCode.NOT_FOUND: ExitCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT: ExitCode.INVALID_ARGUMENT,
    grpc.StatusCode.OUT_OF_RANGE: ExitCode.INVALID_ARGUMENT,
    grpc.StatusCode.UNAVAILABLE: ExitCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: ExitCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.UNAUTHENTICATED: ExitCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED: ExitCode.UNAUTHENTICATED,
    grpc.StatusCode.ALREADY_EXISTS: ExitCode.CONFLICT,
    grpc.StatusCode.FAILED_PRECONDITION: ExitCode.CONFLICT,
    grpc.StatusCode.ABORTED: ExitCode.CONFLICT,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ExitCode.RESOURCE_EXHAUSTED,
}


def exit_code_for(code: grpc.StatusCode) -> ExitCode:
    """The exit code for a failed call's status code."""
    return _BY_CODE.get(code, ExitCode.ERROR)
