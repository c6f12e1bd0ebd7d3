"""The README's exit-code table and errors.ExitCode are the same list of codes."""

from __future__ import annotations

import importlib
import re
import signal
from pathlib import Path

import pytest

from gridsync.errors import ExitCode
from gridsync.interrupts import Interrupted

README = Path(__file__).parents[1] / "README.md"


def test_every_exit_code_is_documented_and_every_documented_code_exists() -> None:
    section = README.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    assert documented == {int(code) for code in ExitCode}


def test_a_signal_while_gridsync_is_still_starting_exits_with_its_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A SIGTERM can arrive while the first modules import (seen in CI under load): it is the
    documented exit, never a traceback."""
    cli_main = importlib.import_module("gridsync.cli.main")  # the module, not its main()

    def starting(_args: list[str]) -> None:
        raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr(cli_main, "_guard_output", starting)
    assert cli_main.run(["plan"]) == ExitCode.TERMINATED
    err = capsys.readouterr().err
    assert "Interrupted (SIGTERM): gridsync stopped." in err and "Traceback" not in err
