"""The README's exit-code table and errors.ExitCode are the same list of codes."""

from __future__ import annotations

import re
from pathlib import Path

from gridsync.errors import ExitCode

README = Path(__file__).parents[1] / "README.md"


def test_every_exit_code_is_documented_and_every_documented_code_exists() -> None:
    section = README.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    assert documented == {int(code) for code in ExitCode}
