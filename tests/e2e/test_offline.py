"""Offline planning from the command line: apply never takes a snapshot (a click option check).
The snapshots, `plan --live` and grid-commands output are in-process: tests/commands/test_offline_plans.py."""

from __future__ import annotations

from builders import Project

from gridsync.errors import ExitCode


def test_apply_refuses_a_snapshot(project: Project) -> None:
    (project.root / "snap.json").write_text('{"clusters": []}')
    result = project.gridsync("apply", "--auto-approve", "--live", "snap.json")
    assert result.returncode == ExitCode.ERROR  # no such option: apply always talks to a backend
    assert "No such option '--live'" in result.stderr
