"""Colour is decided by one rule set and painted in one place (gridsync.painter): --color wins,
then NO_COLOR, then FORCE_COLOR, then TERM=dumb, then whether the stream is a terminal; the error
handler follows the same rules; no other module writes ANSI."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

import gridsync
from gridsync.cli.main import run
from gridsync.painter import Painter, Style, decide_color


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("choice", "env", "tty", "colored"),
    [
        ("always", {"NO_COLOR": "1"}, False, True),  # --color wins over NO_COLOR
        ("never", {"FORCE_COLOR": "1"}, True, False),  # ... and over FORCE_COLOR
        ("auto", {"NO_COLOR": "", "FORCE_COLOR": "1"}, True, False),  # NO_COLOR over FORCE_COLOR
        ("auto", {"FORCE_COLOR": "1"}, False, True),  # FORCE_COLOR without a terminal
        ("auto", {"FORCE_COLOR": "1", "TERM": "dumb"}, False, True),  # ... and over TERM=dumb
        ("auto", {"FORCE_COLOR": "0"}, False, False),  # "0" forces nothing
        ("auto", {"FORCE_COLOR": ""}, True, True),  # "" forces nothing: the terminal decides
        ("auto", {"TERM": "dumb"}, True, False),
        ("auto", {}, True, True),
        ("auto", {}, False, False),
    ],
)
def test_color_precedence(choice: str, env: dict[str, str], tty: bool, colored: bool) -> None:
    stream = Tty() if tty else io.StringIO()
    assert decide_color(choice, stream, env) is colored


def test_the_painter_paints_only_when_enabled() -> None:
    assert Painter(True)("x", Style.RED) == "\x1b[31mx\x1b[0m"
    assert Painter(False)("x", Style.RED) == "x"
    assert Painter(True)("x", None) == "x" and Painter(True)("", Style.BOLD) == ""


@pytest.fixture
def broken_project(tmp_path: Path) -> Path:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "a.yaml").write_text("name: [x\n")
    return tmp_path


def run_captured(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()  # not a terminal
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", err)
    return run(argv), err.getvalue()


@pytest.mark.parametrize(
    ("flags", "env", "colored"),
    [
        ([], {"FORCE_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (["--color=never", "validate", "--color", "always"], {"NO_COLOR": "1"}, True),
        ([], {}, False),
    ],
)
def test_the_error_handler_follows_the_colour_rules(
    monkeypatch: pytest.MonkeyPatch,
    broken_project: Path,
    flags: list[str],
    env: dict[str, str],
    colored: bool,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    argv = ["-C", str(broken_project), *flags]
    argv += [] if "validate" in flags else ["validate"]
    code, err = run_captured(monkeypatch, argv)
    assert code == 1
    assert ("\x1b[31mError:\x1b[0m" in err) is colored
    assert ("\x1b[1mclusters/a.yaml:2:1:\x1b[0m" in err) is colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", err).count("Error: ") == 1


def test_no_module_but_the_painter_writes_ansi() -> None:
    package = Path(gridsync.__file__).parent
    escape = re.compile(r"\\x1b\[|\\033\[|\\u001b\[")
    found = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if escape.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["painter.py"]
