"""yamlsrc resolves plain scalars itself: the values are those PyYAML's YAML 1.1 resolver and
YAML 1.2 core agree on, exactly as when every scalar went through PyYAML's resolver."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from yaml.nodes import ScalarNode

from gridsync.config import yamlsrc
from gridsync.config.yamlsrc import read_yaml_file

WORDS = [
    "", "~", "null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRUE", "false", "yes", "No",
    "on", "OFF", "y", "n", "=", "<<", "<", "name", "t3.large", "+", ".", "--x", "-foo",
]  # fmt: skip
NUMBERS = [
    "0", "00", "012", "019", "09", "-0", "+1", "-12", "1_000", "0b11", "-0b1", "0o17", "0x1F",
    "0x1f_2", "+0x1F", "-0x1", "12:30", "1:20:30", "1.5", "-1.5", "+.5", ".5", "-.5", "1.",
    "1.0e+5", "1.0e5", "1e5", "1E+5", "1.0e-5", ".5e+3", "1.0e+999", ".inf", "-.inf", "+.Inf",
    ".INF", ".nan", ".NaN", "-.nan", "1.5_0", "1_0.5", "12:30.5", "2022-01-01",
    "2022-01-01 10:00:00", "1" * 5000, "0x", "0b", "+", "1-2", "1.2.3", "3.", "6e", "e5",
]  # fmt: skip


def _reference(text: str) -> tuple[Any, list[str]]:
    """What reading one untagged plain scalar gave when PyYAML's resolver tagged it."""
    tag = yaml.resolver.Resolver().resolve(ScalarNode, text, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return text, []
    value, error = yamlsrc._resolve_plain(text)
    return value, [error] if error else []


def _read(text: str) -> tuple[Any, list[str]]:
    documents, problems, _, _ = yamlsrc._compose_all(f"x: {text}\n" if text else "x:\n")
    return documents[0].value["x"], [p.message for _, p in problems]


@pytest.mark.parametrize("text", WORDS + NUMBERS)
def test_plain_scalars_read_as_before(text: str) -> None:
    expected, expected_problems = _reference(text)
    value, problems = _read(text)
    assert problems == expected_problems
    if isinstance(expected, float) and expected != expected:  # NaN
        assert isinstance(value, float) and value != value
    else:
        assert (type(value), value) == (type(expected), expected)


def test_generated_numbers_read_as_before() -> None:
    """Every short string of number characters reads as PyYAML's resolver had it."""
    differ = []
    for length in range(1, 5):
        for chars in itertools.product("0.1e+-_x:9", repeat=length):
            text = "".join(chars)
            if text.startswith(("-", "+")) and len(text) == 1:
                continue  # a block sequence entry or not a scalar
            documents, _, _, _ = yamlsrc._compose_all(f"x: {text}\n")
            if not documents or not isinstance(documents[0].value, dict):
                continue  # not a plain scalar there (a sequence entry, a syntax error)
            got, expected = _read(text), _reference(text)
            if repr(got) != repr(expected):
                differ.append((text, got, expected))
    assert differ == []


def _both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """(what yamlsrc reads, what it read when PyYAML's resolver tagged every node)."""
    ours = yamlsrc._compose_all(text)
    with monkeypatch.context() as patched:
        patched.setattr(yamlsrc, "_Loader", yaml.CSafeLoader)
        before = yamlsrc._compose_all(text)
    return _shown(ours), _shown(before)


def _shown(composed: tuple[list[yamlsrc.YamlDocument], Any, int, Any]) -> str:
    documents, problems, count, _ = composed
    shown = [
        (d.number, d.value, d.start, dict(d.values), dict(d.keys), d.unbuilt, d.non_finite)
        for d in documents
    ]
    return repr((shown, problems, count))


@pytest.mark.parametrize(
    "text",
    [
        "a: '12'\nb: !!int 12\nc: !!float 1e5\nd: !!str true\ne: ! 12\nf: \"null\"\ng: !!int x\n",
        "- !!bool yes\n- !!null ''\n- !!timestamp 2022-01-01\n- !foo 1\n- !!binary aGk=\n",
        "---\n# only a comment\n---\nbase: &b {k: 1}\nm:\n  <<: *b\n  '<<': 2\n---\n",
        "? [a]\n: 1\n<<: [{x: 1}, {y: 2}]\n<<: 3\nk: <<\ne: =\n",
        "! {a: 1}\n",
        "!!seq [1, '2', 3.0, .inf, -.nan, 1e999, 1.0e+999, 0x_1]\n",
        "x: 1\nx: 2\n...\n---\n- ~\n-\n- ''\n",
    ],
)
def test_documents_read_as_before(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tags, merges, duplicates, empty documents and problems: node for node as before."""
    ours, before = _both(text, monkeypatch)
    assert ours == before


@pytest.mark.parametrize(("text", "v11", "v12"), [("012", 10, 12), ("-0143", -99, -143)])
def test_a_number_yaml_1_1_reads_as_octal_is_refused_naming_both_readings(
    text: str, v11: int, v12: int
) -> None:
    """The grid CLI (PyYAML, YAML 1.1) would read another number from a run config than the one
    gridsync checked: `storage_gb: 0143` is 99 GB to Grid, below its minimum, and 143 here."""
    assert yaml.safe_load(f"x: {text}")["x"] == v11  # what a YAML 1.1 reader makes of it
    value, problems = _read(text)
    assert value is None
    assert problems == [
        f"number {text} has a leading zero: YAML 1.1 (the grid CLI, PyYAML) reads it as the "
        f"octal {v11}, YAML 1.2 (gridsync) as {v12}; write {v12} without the zero, or quote it "
        "for a string"
    ]


@pytest.mark.parametrize(("text", "value"), [("00", 0), ("007", 7), ("0", 0)])
def test_a_leading_zero_both_readings_agree_on_is_a_number(text: str, value: int) -> None:
    assert _read(text) == (value, [])
    assert yaml.safe_load(f"x: {text}")["x"] == value


@pytest.mark.parametrize("text", ["012", "1" * 5000])
def test_a_number_that_cannot_be_read_is_one_problem_and_not_built(text: str) -> None:
    """Reported once where it is written; the value is left out of what is checked after (the
    schema would say 'expected an integer, got null' at the same place)."""
    (document,), problems, _, _ = yamlsrc._compose_all(f"x: {text}\n")
    assert len(problems) == 1
    assert document.unbuilt == frozenset({("x",)})


def test_plain_keys_grid_reads_otherwise_are_kept_by_path(tmp_path: Path) -> None:
    """A plain key is its text to gridsync; ON, 1, 0x10, true, null and 1_0 are not strings to
    PyYAML (Grid's loader for run configs). Quoted ones, and words both read alike, are not kept."""
    text = 'e: {ON: 1, 1: 2, 0x10: 3, true: 4, null: 5, 1_0: 6, "NO": 7, y: 8, PATH: 9}\n'
    (tmp_path / "f.yaml").write_text(text)
    [document] = read_yaml_file(tmp_path / "f.yaml", "f.yaml").documents
    kept = sorted(key for _, key in document.yaml11_keys)
    assert kept == sorted(["ON", "1", "0x10", "true", "null", "1_0"])
    assert all(not isinstance(k, str) for k in yaml.safe_load(text)["e"] if k in (True, 1, 16))
    assert document.only("e").yaml11_keys == document.yaml11_keys


def test_plain_values_yaml_1_1_reads_otherwise_are_strings_with_their_paths_kept(
    tmp_path: Path,
) -> None:
    """yes, on, 1_000, 1:30, 2022-01-01 and = are strings to YAML 1.2 (gridsync) and a boolean, a
    number, a date or an error to YAML 1.1 (PyYAML, which the grid CLI reads run configs with):
    built as strings, their paths kept for the checks of files Grid reads. Quoted, or YAML 1.2
    and 1.1 alike (true, 12, t3.large), they are not kept."""
    text = (
        "a: yes\nb: [on, Off]\nc: 1_000\nd: 1:30\ne: 2022-01-01\nf: =\n"
        "g: 'yes'\nh: true\ni: 12\nj: t3.large\nk: 2022-1-1\n"
    )
    (tmp_path / "f.yaml").write_text(text)
    [document] = read_yaml_file(tmp_path / "f.yaml", "f.yaml").documents
    assert document.value["b"] == ["on", "Off"] and document.value["e"] == "2022-01-01"
    assert sorted(document.yaml11, key=str) == [
        ("a",),
        ("b", 0),
        ("b", 1),
        ("c",),
        ("d",),
        ("e",),
        ("f",),
    ]
