"""graft predict/extract inputs (files, stdin, series, pairs), --jq, and shell completion."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from graft_client import pb
from graft_client.cli import build_parser, main
from graft_client.cli._completion import command_tree, script
from graft_client.cli._inputs import InputError, collect, parse_series
from graft_client.cli._jq import JqError, JsonFilter, builtin_filter, make_filter
from graft_client.resources import Model
from graft_client.results import Predictions
from test_cli import FakeClient, run_cli

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def predict_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["predict", "m", *argv])


def test_inputs_from_arguments_and_files(tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("first line\n\nsecond line\n")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text('a man sleeps\ta person rests\n["it rains", "it is dry"]\n')
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    args = predict_args("inline", "--text-file", str(texts), "--pair", "p1", "p2", "--pairs", str(pairs),
                        "--image", str(picture), "--series", "1,2,3")
    got = collect(args, stdin=io.BytesIO(b""))
    assert [i.label for i in got] == ["inline", "first line", "second line", "p1 | p2", "a man sleeps | a person rests",
                                      "it rains | it is dry", "cat.png", "series 1 (3 values)"]
    assert got[3].input.text == pb.Text(text="p1", pair="p2")
    assert got[6].input.image.encoded == PNG
    assert list(got[7].input.series.values) == [1.0, 2.0, 3.0]


def test_stdin_feeds_one_dash_or_the_texts() -> None:
    got = collect(predict_args("--image", "-"), stdin=io.BytesIO(PNG))
    assert got[0].input.image.encoded == PNG and got[0].label == "stdin"
    got = collect(predict_args(), stdin=io.BytesIO(b"good\nbad\n"))
    assert [i.input.text.text for i in got] == ["good", "bad"]
    with pytest.raises(InputError, match="already read"):
        collect(predict_args("--image", "-", "--series", "-"), stdin=io.BytesIO(PNG))
    with pytest.raises(InputError, match="no inputs"):
        collect(predict_args(), stdin=None, stdin_is_terminal=lambda: True)
    with pytest.raises(InputError, match="no such file"):
        collect(predict_args("--image", "/no/such.png"), stdin=io.BytesIO(b""))


def test_series_csv_and_json() -> None:
    assert parse_series("t1,t2,t3\n1,2,3\n4,5,6\n") == [([1.0, 2.0, 3.0], 1), ([4.0, 5.0, 6.0], 1)]
    assert parse_series("[1, 2.5]") == [([1.0, 2.5], 1)]
    assert parse_series("[[1, 2], [3]]") == [([1.0, 2.0], 1), ([3.0], 1)]
    assert parse_series('{"values": [1, 2, 3, 4], "channels": 2}') == [([1.0, 2.0, 3.0, 4.0], 2)]
    for bad, why in (("1,x\n2,y", "line 2"), ("[1, 2", "not valid JSON"), ('{"values": [1, 2, 3], "channels": 2}',
                                                                        "does not divide"), ("1,nan", "finite")):
        with pytest.raises(InputError, match=why):
            parse_series(bad)


def test_predict_from_a_file_of_series_sends_series(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = tmp_path / "s.json"
    data.write_text("[[1, 2, 3], [4, 5, 6]]")
    result = Predictions.from_proto(pb.PredictResponse(model="f@1", predictions=[
        pb.Prediction(values=[7.0]), pb.Prediction(values=[8.0])]))
    fake = FakeClient(predict=result)
    code, out = run_cli(monkeypatch, fake, "predict", "f", "--series", str(data), "-o", "json")
    assert code == 0
    assert [p["input"] for p in json.loads(out)["predictions"]] == ["series 1 (3 values)", "series 2 (3 values)"]
    sent = fake.calls[0][1][1]
    assert [list(i.series.values) for i in sent] == [[1, 2, 3], [4, 5, 6]]


def test_a_bad_input_file_is_a_usage_error_before_any_call(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeClient()
    code, _ = run_cli(monkeypatch, fake, "extract", "m", "--series", "1,2,x\n3,4,5\n3,z")
    assert code == 2 and fake.calls == []
    assert "--series line 3" in capsys.readouterr().err


def test_builtin_jq_paths() -> None:
    doc = {"items": [{"id": "a", "n": 1}, {"id": "b", "n": 2}], "odd key": True}
    assert builtin_filter(".items[].id", doc) == ["a", "b"]
    assert builtin_filter(".items | .[-1] | .n", doc) == [2]
    assert builtin_filter('.["odd key"]', doc) == [True]
    assert builtin_filter(".", 3) == [3]
    assert builtin_filter(".missing.deeper", doc) == [None]
    with pytest.raises(JqError, match="cannot iterate"):
        builtin_filter(".[]", 3)
    with pytest.raises(JqError, match="install jq"):
        JsonFilter("map(.id)", None)
    assert JsonFilter(".items[0]", None).apply(doc) == ['{\n  "id": "a",\n  "n": 1\n}']
    assert JsonFilter(".items[0].id", None).apply(doc) == ["a"]  # strings raw, as jq -r


@pytest.mark.parametrize("engine", ["builtin", "jq"])
def test_cli_jq_prints_the_filtered_values(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine == "jq" and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    monkeypatch.setenv("GRAFT_JQ", engine)
    models = [Model.from_proto(pb.Model(name=n, version=v, size_bytes=2**40)) for n, v in (("a", 1), ("b", 2))]
    code, out = run_cli(monkeypatch, FakeClient(list_models=models), "models", "ls", "--jq", ".[].name")
    assert (code, out.split()) == (0, ["a", "b"])
    code, out = run_cli(monkeypatch, FakeClient(list_models=models), "models", "ls", "--jq", ".[1].size_bytes")
    assert (code, out.strip()) == (0, str(2**40))
    assert make_filter(".", {"GRAFT_JQ": engine}).engine.endswith(engine)


def test_an_unknown_jq_program_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAFT_JQ", "/no/such/jq")
    code, _ = run_cli(monkeypatch, FakeClient(list_models=[]), "models", "ls", "--jq", ".")
    assert code == 2


def test_completion_tree_has_every_command() -> None:
    tree = command_tree(build_parser())
    assert {"", "jobs", "jobs cancel", "datasets upload", "completion", "predict"} <= set(tree)
    assert "--wait" in tree["jobs cancel"][1] and "cancel" in tree["jobs"][0]
    assert tree[""][2]["-o"] == ["table", "json"]
    assert tree["completion"][0] == ["bash", "zsh"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
@pytest.mark.parametrize("line,expected", [
    ("graft jo", {"jobs"}),
    ("graft jobs c", {"cancel"}),
    ("graft jobs cancel --w", {"--wait"}),
    ("graft --target h:1 models l", {"ls"}),
    ("graft predict m --out", {"--output-format"}),
    ("graft models ls -o ", {"table", "json"}),
    ("graft completion ", {"bash", "zsh"}),
    ("graft predict m ", set()),  # a text or a file: left to the shell's default
])
def test_bash_completion_completes(line: str, expected: set[str]) -> None:
    words = line.split(" ")
    program = script(build_parser(), "bash") + (
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; _graft; "
        'printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    assert set(done.stdout.split()) == expected


def test_completion_command_prints_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "zsh"]) == 0
    out = capsys.readouterr().out
    assert "bashcompinit" in out and "complete -o default -F _graft graft" in out
    assert main(["completion", "fish"]) == 2
