"""Property tests: every reported line and column is the one an editor shows, for any UTF-8 file.

Files are generated from a valid cluster document: comment and blank lines with multi-byte text
(accents, CJK, emoji, NBSP, tabs) at random places, a random line ending per line (\\n, \\r\\n,
\\r), an optional BOM and `---` separators, a second document, and one planted error. The
expected position is known by construction (the planted line's index in the list of lines, its
column in characters); it is also checked against a plain editor model of the text.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from config_helpers import BASE
from hypothesis import given, settings
from hypothesis import strategies as st

from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.config.yamlsrc import read_yaml_file
from gridsync.errors import ConfigError, Diagnostic

ENDINGS = ("\n", "\r\n", "\r")
ODD = ("\u2028", "\u2029", "\x85")
WORDS = st.text(st.sampled_from(list("abz XY-_.:é日本語ß🙂Ω\u00a0\t#")), max_size=12)
_EDITOR_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Plant:
    line: str  # the planted line's text (no line ending)
    col: int  # where its error is, in characters
    fragment: str  # in the message


@st.composite
def plants(draw: st.DrawFn) -> Plant:
    kind = draw(st.sampled_from(["unknown", "bool", "nul", "odd", "overflow"]))
    words = draw(WORDS)
    if kind == "unknown":
        return Plant("bogus_field: 1", 1, "unknown field 'bogus_field'")
    if kind == "bool":
        return Plant(f"protect: yes  # {words}", 10, "expected a boolean")
    if kind == "nul":
        return Plant(f"# {words}\x00{words}", 3 + len(words), "U+0000")
    if kind == "odd":
        char = draw(st.sampled_from(ODD))
        return Plant(f"# {words}{char}: {words}", 3 + len(words), f"U+{ord(char):04X}")
    head = "instance_types: [{name: t3.large, overprovisioned_ondemand_count: "
    return Plant(head + "99999999999}]", len(head) + 1, "must be at most 2147483647")


@st.composite
def filler(draw: st.DrawFn, odd: bool = False) -> str:
    words = draw(WORDS)
    if odd and draw(st.booleans()):  # U+2028 and kin in a comment: an error, never a line break
        words += draw(st.sampled_from(ODD)) + "key: value"
    return draw(st.sampled_from([f"# {words}", "", f"  # {words}", "#"]))


@dataclass(frozen=True)
class File:
    lines: list[str]
    endings: list[str]
    bom: bool
    planted: int  # index in `lines`, or -1

    @property
    def data(self) -> bytes:
        text = "".join(line + end for line, end in zip(self.lines, self.endings, strict=True))
        return (("\ufeff" if self.bom else "") + text).encode("utf-8")


@st.composite
def files(draw: st.DrawFn, plant: Plant | None, odd: bool = False) -> File:
    lines = BASE.splitlines()
    lines[-1] += draw(st.sampled_from(["", "  # é🙂", "\t# 日本"]))  # a trailing comment
    if draw(st.booleans()):  # a second document
        lines += ["---", *BASE.replace("ml-a", "ml-b").splitlines()]
    for _ in range(draw(st.integers(0, 6))):
        lines.insert(draw(st.integers(0, len(lines))), draw(filler(odd)))
    if draw(st.booleans()):
        lines.insert(0, "---")
    planted = -1
    if plant is not None:
        planted = draw(st.integers(0, len(lines)))
        while planted > 0 and lines[planted - 1] == "---" and planted == len(lines):
            planted -= 1  # not after a trailing separator: that starts an empty document
        lines.insert(planted, plant.line)
    endings = [draw(st.sampled_from(ENDINGS)) for _ in lines]
    for index, line in enumerate(lines[1:]):
        if not line and endings[index] == "\r":  # "\r" + "" + "\n" would be one "\r\n"
            endings[index] = "\n"
    return File(lines, endings, draw(st.booleans()), planted)


def editor_position(data: bytes, fragment: str) -> tuple[int, int]:
    """Where `fragment` first starts, as an editor counts: the model the code must agree with."""
    text = data.decode("utf-8").removeprefix("\ufeff")
    before = text[: text.index(fragment)]
    lines = _EDITOR_BREAK.split(before)
    return len(lines), len(lines[-1]) + 1


def diagnostics(data: bytes) -> tuple[Diagnostic, ...]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "clusters").mkdir()
        (root / "clusters" / "c.yaml").write_bytes(data)
        try:
            load_desired(load_project(root), {})
        except ConfigError as exc:
            return exc.diagnostics
    return ()


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_planted_error_is_reported_at_the_line_and_column_an_editor_shows(
    data: st.DataObject,
) -> None:
    plant = data.draw(plants())
    file = data.draw(files(plant))
    line, col = file.planted + 1, plant.col
    found = diagnostics(file.data)
    shown = "\n".join(d.format() for d in found)
    assert any(
        d.path == "clusters/c.yaml"
        and (d.line, d.col) == (line, col)
        and plant.fragment in d.message
        for d in found
    ), f"expected {line}:{col} {plant.fragment!r} in {file.data!r}:\n{shown}"
    if plant.fragment == "unknown field 'bogus_field'":
        assert editor_position(file.data, "bogus_field") == (line, col)
    # Nothing is reported past the end of the file.
    last = len(file.lines)
    assert all(d.line <= last for d in found), shown


@settings(max_examples=100, deadline=None)
@given(files(None, odd=True))
def test_every_key_is_where_an_editor_shows_it_odd_breaks_refused(file: File) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_bytes(file.data)
        yaml_file = read_yaml_file(path, "c.yaml")
    for _, problem in yaml_file.problems:  # only the odd breaks, each at its own place
        assert problem.message.startswith("character U+"), yaml_file.diagnostics()
        odd = file.lines[problem.line - 1][problem.col - 1]
        assert odd in ODD, (problem, file.lines)
    assert len(yaml_file.problems) == sum(line.count(c) for line in file.lines for c in ODD)
    for document in yaml_file.documents:
        for key_path, (line, col) in document.keys.items():
            key = str(key_path[-1])
            index = line - 1
            assert file.lines[index].startswith(f"{key}:"), (key, line, file.lines)
            assert col == 1
    names = [d.value["name"] for d in yaml_file.documents]
    assert names[0] == "ml-a"
