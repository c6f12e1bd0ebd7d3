"""Shell completion as README "Shell completion" sets it up: bash sources the script gridsync
prints, and the completion function it defines asks the installed `gridsync` for the words."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent

SCRIPT = """
eval "$(_GRIDSYNC_COMPLETE=bash_source gridsync)"
# bash calls a completion function with the command name as $1, as `complete -F` does
ask() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _gridsync_completion gridsync; echo "${COMPREPLY[*]}"; }
ask gridsync pl
ask gridsync plan --for
ask gridsync plan --format ''
"""


def test_bash_completes_commands_options_and_choices_from_the_sourced_script() -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        "plan",
        "--format",
        "text markdown json grid-commands",
    ]
