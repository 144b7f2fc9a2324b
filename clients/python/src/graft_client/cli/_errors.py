"""Failed calls as one line: what failed, why (the server's reason), and a hint at what to do."""

from __future__ import annotations

import grpc

from graft_client.errors import GraftError

__all__ = ["describe", "hint"]

_BY_REASON = {
    "MODEL_NOT_FOUND": "`graft models ls` lists the models; NAME@VERSION picks a version",
    "JOB_NOT_FOUND": "`graft jobs ls` lists the jobs",
    "DATASET_NOT_FOUND": "`graft datasets ls` lists the datasets",
    "PLUGIN_NOT_FOUND": "`graft info` lists the strategies and domains this server has",
    "INVALID_FILTER": "a filter is KEY=VALUE; --help after the command lists the keys",
}

_BY_CODE = {
    grpc.StatusCode.UNAVAILABLE: "is a Graft server running at {target}? (--target or GRAFT_TARGET; "
                                 "--tls / --tls-ca for a TLS server)",
    grpc.StatusCode.UNAUTHENTICATED: "the server wants a bearer token (--token or GRAFT_TOKEN) or a client "
                                     "certificate (--tls-cert and --tls-key)",
    grpc.StatusCode.PERMISSION_DENIED: "this principal's role does not allow the call; ask for a token with a "
                                       "wider role (reader < trainer < admin)",
    grpc.StatusCode.DEADLINE_EXCEEDED: "the call took longer than --timeout ({timeout:g} s); raise it",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "the server is busy or the request too large; retry later or send less",
}


def hint(error: GraftError, *, target: str = "", timeout: float | None = None) -> str:
    """What to try next, or "" when there is nothing useful to say."""
    if error.reason in _BY_REASON:
        return _BY_REASON[error.reason]
    template = _BY_CODE.get(error.code)
    if template is None:
        return ""
    return template.format(target=target or "the target", timeout=timeout or 0)


def describe(error: GraftError, *, target: str = "", timeout: float | None = None) -> str:
    """``NOT_FOUND MODEL_NOT_FOUND: no model 'x' (hint: `graft models ls` lists the models)``: one
    line, each field violation once (the server's message often already says it)."""
    text = " ".join(str(error).split())
    advice = hint(error, target=target, timeout=timeout)
    return f"{text} (hint: {advice})" if advice else text
