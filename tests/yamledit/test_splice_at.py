"""set_scalar given where the load read the value (`at`): one splice there, the same result as the
whole parse-walk-check way, and the check in place still refuses a wrong edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from yamlmutants import mutants

from gridsync import yamledit
from gridsync.config.runs import check_run_document
from gridsync.config.yamlsrc import read_yaml_file
from gridsync.yamledit import EditError, Written, set_scalar
from gridsync.yamledit import splice as yamlsplice

P = ("compute", "provider", "cluster")
RUN_CONFIG = (
    "# grid run --config r.yaml train.py\ncompute:\n  provider:\n    cluster: old-1  # c\n"
    '  train:\n    instance: t3.large\n    environment: {A: "1", B: "x y"}\n'
    '    actions:\n      on_build_start: ["apt-get install -y ffmpeg"]\n'
    'hyper_params:\n  settings: {strategy: grid_search, strategy_options: {num_trials: "3"}}\n'
)
_PIECES = [":", " ", "\n", "- ", "{", "}", "[", "]", ",", "#", "'", '"', "---\n", "\r\n", "é",
           "~", "<<: ", "  ", "-", "x: ", "\n  ", "\n    a: ", "''", "0", ".", "|", "\t", "!",
           "&a ", "*a", "=", "2024-01-01", "'x y'", '"q"', "cluster: z\n", ""]  # fmt: skip
VALUES = ("new-1", "(known after apply)", "yes", "old-1", "a b")


def _mutants(count: int) -> list[str]:
    return mutants(RUN_CONFIG, _PIECES, count, seed=42)


def _loaded(tmp_path: Path, text: str) -> Written | None:
    """What the run config load records for the file: the cluster string and its position."""
    path = tmp_path / "r.yaml"
    path.write_bytes(text.encode("utf-8"))
    yaml_file = read_yaml_file(path, "r.yaml")
    if len(yaml_file.documents) != 1 or any(p.severity == "error" for _, p in yaml_file.problems):
        return None
    run, _ = check_run_document(yaml_file.documents[0], "r.yaml")
    if run is None or run.cluster is None:
        return None
    return Written(run.source.line, run.source.col, run.cluster)


def _outcome(text: str, value: str, at: Written | None) -> str:
    try:
        return "text:" + set_scalar(text, P, value, at)
    except EditError as exc:
        return f"refused:{exc.message}:{exc.line}:{exc.col}"


def test_the_splice_at_the_loaded_place_is_the_whole_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On generated run configs, every value: the same text (or the same refusal) either way."""
    spliced = 0
    original = yamlsplice.splice_at

    def counting(*args: object) -> str | None:
        nonlocal spliced
        done = original(*args)  # type: ignore[arg-type]
        spliced += done is not None
        return done

    monkeypatch.setattr(yamledit, "splice_at", counting)
    cases = 0
    for text in [RUN_CONFIG, RUN_CONFIG.replace("old-1", "'old-1'"), *_mutants(150)]:
        at = _loaded(tmp_path, text)
        if at is None:
            continue
        cases += 1
        for value in VALUES:
            assert _outcome(text, value, at) == _outcome(text, value, None), (text, value)
    assert cases > 30 and spliced > 100  # most loaded texts took the splice


def test_no_second_parse_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parse(text: str) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(yamledit, "parse", no_parse)
    at = Written(4, 14, "old-1")
    assert set_scalar(RUN_CONFIG, P, "new-1", at) == RUN_CONFIG.replace("old-1", "new-1")
    quoted = RUN_CONFIG.replace("old-1", "'(known after apply)'")
    assert set_scalar(RUN_CONFIG, P, "(known after apply)", at) == quoted
    crlf = RUN_CONFIG.replace("\n", "\r\n")
    assert set_scalar("\ufeff" + crlf, P, "x", at) == "\ufeff" + crlf.replace("old-1", "x")


def test_the_check_in_place_refuses_a_wrong_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the check exists for: were the new token read otherwise (here `yes`, a YAML 1.1
    boolean, left unquoted), the edit is refused, not returned."""
    monkeypatch.setattr(yamlsplice, "_render", lambda value, style: value)
    with pytest.raises(EditError, match="internal error"):
        set_scalar(RUN_CONFIG, P, "yes", Written(4, 14, "old-1"))
    with pytest.raises(EditError, match="internal error"):
        set_scalar(RUN_CONFIG, P, "(known after apply)", Written(4, 14, "old-1"))


@pytest.mark.parametrize(
    "at",
    [
        Written(4, 14, "old-2"),  # the file moved since the load: another value there
        Written(4, 13, "old-1"),  # a column off
        Written(6, 15, "t3.large"),  # another key's value
        Written(40, 1, "old-1"),  # no such line
    ],
)
def test_a_place_that_does_not_hold_the_value_takes_the_whole_way(at: Written) -> None:
    assert set_scalar(RUN_CONFIG, P, "new-1", at) == RUN_CONFIG.replace("old-1", "new-1")


@pytest.mark.parametrize(
    ("text", "unsure"),
    [
        ("a: 2024-01-01\n", True),  # a date: Grid's loader reads a datetime.date
        ("a: x2024-1\n", True),  # four digits, a dash, a digit, anywhere (deliberately broad)
        ("a: 2024-\nb: 1\n", False),
        ("cluster: team27-15\n", False),  # two digits before the dash: no date
        ("a: 123-4\n", False),
        ("a: -2024-\n", False),
        ("a: {<<: *b}\n", True),
        ("a: =\n", True),
        ("a: b=c\n", False),
    ],
)
def test_what_the_splice_leaves_to_the_whole_way(text: str, unsure: bool) -> None:
    assert yamlsplice._unsure(text) is unsure
