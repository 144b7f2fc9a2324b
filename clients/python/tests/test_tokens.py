"""``graft tokens create``: the tokens file line, its mode, the refusals, and stdout holding only the token."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

import pytest

from graft_client.cli import ExitCode, main
from graft_client.cli._tokens import TokenFileError, add_token, new_token, token_hash

TOKEN = re.compile(r"graft_[A-Za-z0-9_-]{43}")


def test_new_tokens_look_like_the_spec_says_and_differ() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(TOKEN.fullmatch(t) for t in tokens)
    assert token_hash("graft_abc") == hashlib.sha256(b"graft_abc").hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", token_hash("x"))


def test_create_prints_only_the_token_and_appends_its_hash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "tokens"
    assert main(["tokens", "create", "alice", "--role", "trainer", "--file", str(file)]) == 0
    captured = capsys.readouterr()
    assert TOKEN.fullmatch(captured.out.rstrip("\n")) and captured.out.count("\n") == 1
    token = captured.out.strip()
    assert "alice" in captured.err and token not in captured.err
    assert file.read_text() == f"alice trainer {hashlib.sha256(token.encode()).hexdigest()}\n"
    if os.name == "posix":
        assert stat.S_IMODE(file.stat().st_mode) == 0o600

    assert main(["tokens", "create", "bob.r@x-1", "--role", "reader", "--file", str(file)]) == 0
    second = capsys.readouterr().out.strip()
    assert second != token
    lines = file.read_text().splitlines()
    assert lines[1] == f"bob.r@x-1 reader {token_hash(second)}"


def test_the_file_defaults_to_env_then_graft_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRAFT_AUTH_TOKENS_FILE", raising=False)
    assert main(["tokens", "create", "ops", "--role", "admin"]) == 0
    assert (tmp_path / "graft-tokens").read_text().startswith("ops admin ")
    monkeypatch.setenv("GRAFT_AUTH_TOKENS_FILE", str(tmp_path / "from-env"))
    assert main(["tokens", "create", "ops", "--role", "admin"]) == 0
    assert (tmp_path / "from-env").read_text().startswith("ops admin ")
    capsys.readouterr()


def test_a_name_already_in_the_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "tokens"
    before = ("# principals\n\n"
              "  carol admin " + "a" * 64 + "  # the operator\n"
              "client-1 reader subject=CN=client-1,O=Acme")  # no final newline
    file.write_text(before)
    assert main(["tokens", "create", "client-1", "--role", "trainer", "--file", str(file)]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{file}:4" in captured.err and "already" in captured.err
    assert main(["tokens", "create", "carol", "--role", "reader", "--file", str(file)]) == ExitCode.USAGE
    assert f"{file}:3" in capsys.readouterr().err
    assert file.read_text() == before
    # A commented-out name is free; the new line starts on a line of its own.
    file.write_text(before + "\n# dave reader " + "b" * 64)
    assert main(["tokens", "create", "dave", "--role", "reader", "--file", str(file)]) == 0
    token = capsys.readouterr().out.strip()
    assert file.read_text().splitlines()[-1] == f"dave reader {token_hash(token)}"


@pytest.mark.parametrize("name", ["", "-lead", ".x", "has space", "a/b", "x" * 65, "é", "a#b"])
def test_bad_names_are_refused(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "tokens"
    assert main(["tokens", "create", "--role", "reader", "--file", str(file), "--", name]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert captured.out == "" and "bad token name" in captured.err
    assert not file.exists() or file.read_text() == ""


def test_longest_name_is_accepted_and_roles_are_checked(tmp_path: Path) -> None:
    file = tmp_path / "tokens"
    add_token(file, "x" * 64, "reader")
    with pytest.raises(TokenFileError, match="bad role"):
        add_token(file, "y", "root")
    assert main(["tokens", "create", "y", "--role", "root", "--file", str(file)]) == ExitCode.USAGE
    assert main(["tokens", "create", "y", "--file", str(file)]) == ExitCode.USAGE  # --role is required
    assert len(file.read_text().splitlines()) == 1


def test_an_existing_file_keeps_its_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "tokens"
    file.write_text("")
    file.chmod(0o640)
    assert main(["tokens", "create", "eve", "--role", "reader", "--file", str(file)]) == 0
    assert stat.S_IMODE(file.stat().st_mode) == 0o640
    capsys.readouterr()
