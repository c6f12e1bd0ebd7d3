"""The real grid CLI for the interop tests.

Its virtualenv is built once under `.venv-grid-cli/` (gitignored) by scripts/grid-cli-venv.sh, which
`.ci/run` calls before the tests (it needs PyPI and Python 3.9). The session fixture runs the same
script, which returns at once when the virtualenv is current, and builds it when it is missing: a
session fixture is set up before any test's network guard patches the environment, so pip can reach
PyPI from here; every CLI run in a test is guarded to loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI_VENV = REPO / ".venv-grid-cli"


@pytest.fixture(scope="session")
def grid_cli() -> Path:
    """The `grid` command of the CLI virtualenv that .ci/run and the README's test command build
    (tests never install anything: that would reach PyPI)."""
    grid = CLI_VENV / "bin" / "grid"
    if not grid.exists() or not (CLI_VENV / ".stamp").exists():
        pytest.fail(
            f"no grid CLI in {CLI_VENV}: run `scripts/grid-cli-venv.sh .venv-grid-cli` first "
            "(part of the README's test command and of .ci/run)"
        )
    return grid
