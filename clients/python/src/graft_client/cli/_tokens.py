"""``graft tokens create``: new bearer tokens for the server's tokens file (``auth-tokens-file``).

The file has one principal a line, ``NAME ROLE SHA256-HEX-OF-TOKEN`` (or ``NAME ROLE subject=...``
for a client certificate); ``#`` starts a comment. The server keeps only the hash, so the token
itself is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

__all__ = ["DEFAULT_TOKENS_FILE", "ROLES", "NAME_PATTERN", "TokenFileError", "new_token", "token_hash",
           "check_name", "add_token"]

DEFAULT_TOKENS_FILE = "graft-tokens"
ROLES = ("reader", "trainer", "admin")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
TOKEN_PREFIX = "graft_"

try:
    import fcntl
except ImportError:  # not POSIX: no advisory lock
    fcntl = None  # type: ignore[assignment]


class TokenFileError(Exception):
    """The token cannot be added (bad name or role, name already there)."""


def new_token() -> str:
    """``graft_`` + 43 URL-safe base64 characters (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the tokens file stores: the lowercase hex SHA-256 of the token's UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> None:
    if NAME_PATTERN.fullmatch(name) is None:
        raise TokenFileError(
            f"bad token name {name!r}: it must match [A-Za-z0-9][A-Za-z0-9._@-]{{0,63}} (a letter or digit, "
            "then up to 63 letters, digits, '.', '_', '@' or '-')")


def _line_names(text: str) -> dict[str, int]:
    """NAME -> line number of each principal line (comments and blank lines skipped)."""
    names: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if content:
            names.setdefault(content.split()[0], number)
    return names


def add_token(path: str | os.PathLike[str], name: str, role: str) -> str:
    """Makes a token for NAME with ROLE, appends ``NAME ROLE SHA256`` to the file (created with
    mode 0600 when missing) and returns the token. Refuses a NAME the file already has. The file is
    locked (POSIX) while it is read and appended to, so two runs cannot both add one name."""
    check_name(name)
    if role not in ROLES:
        raise TokenFileError(f"bad role {role!r}: one of {', '.join(ROLES)}")
    file = Path(path)
    fd = os.open(file, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+b") as f:
        if fcntl is not None:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        f.seek(0)
        existing = f.read()
        text = existing.decode("utf-8", errors="replace")
        taken = _line_names(text).get(name)
        if taken is not None:
            raise TokenFileError(f"{file}:{taken}: {name!r} is already in the tokens file "
                                 "(pick another name, or remove that line first)")
        token = new_token()
        line = f"{name} {role} {token_hash(token)}\n"
        if existing and not existing.endswith(b"\n"):
            line = "\n" + line
        f.write(line.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
    return token
