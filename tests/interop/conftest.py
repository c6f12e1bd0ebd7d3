"""The real grid CLI for the interop tests.

Its virtualenv is built once under `.venv-grid-cli/` (gitignored) by scripts/grid-cli-venv.sh, which
`.ci/run` calls before the tests (it needs PyPI and Python 3.9). The session fixture runs the same
script, which returns at once when the virtualenv is current, and builds it when it is missing: a
session fixture is set up before any test's network guard patches the environment, so pip can reach
PyPI from here; every CLI run in a test is guarded to loopback.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI_VENV = REPO / ".venv-grid-cli"


def _python39() -> str:
    candidates = [os.environ.get("GRID_CLI_PYTHON"), shutil.which("python3.9")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9")))
    found = next((c for c in candidates if c), None)
    if found is None:
        pytest.fail("the grid CLI needs Python 3.9: install it or set GRID_CLI_PYTHON")
    return found


@pytest.fixture(scope="session")
def grid_cli() -> Path:
    """The `grid` command of the cached CLI virtualenv (built here when missing)."""
    built = subprocess.run(
        ["bash", str(REPO / "scripts/grid-cli-venv.sh"), str(CLI_VENV), _python39()],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # pip may reach PyPI
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return CLI_VENV / "bin" / "grid"
