"""The `created` column: gridsync's words against arrow's own `humanize()`, as the grid CLI's
virtualenv has it (the CLI prints `arrow.get(created_at).humanize()`)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gridsync.render.live import humanize

pytestmark = pytest.mark.slow
NOW = datetime(2026, 3, 31, 12, 0, 0, tzinfo=UTC)
SECONDS = [0, 9, 10, 44, 59, 60, 119, 120, 3599, 3600, 7199, 7200, 86399, 86400, 172799, 172800]
SECONDS += [6 * 86400, 7 * 86400, 13 * 86400, 15 * 86400, 20 * 86400, 29 * 86400, 31 * 86400]
SECONDS += [45 * 86400, 59 * 86400, 61 * 86400, 200 * 86400, 364 * 86400, 365 * 86400]
SECONDS += [700 * 86400, 730 * 86400, 1500 * 86400, -30, -4000]

ARROW = """\
import arrow, json, sys
now, stamps = json.loads(sys.stdin.read())
print(json.dumps([arrow.get(s).humanize(arrow.get(now)) for s in stamps]))
"""


def test_created_reads_like_the_cli(grid_cli: Path) -> None:
    stamps = [(NOW - timedelta(seconds=s)).isoformat().replace("+00:00", "Z") for s in SECONDS]
    python = grid_cli.parent / "python"
    run = subprocess.run(
        [str(python), "-c", ARROW],
        input=json.dumps([NOW.isoformat(), stamps]),
        capture_output=True,
        text=True,
        check=True,
    )
    expected = json.loads(run.stdout)
    assert "a minute ago" in expected and "2 months ago" in expected
    assert [humanize(s, NOW) for s in stamps] == expected
