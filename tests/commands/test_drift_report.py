"""`gridsync drift` in-process: live changed outside gridsync vs merged but not applied (moved from
tests/e2e/test_drift.py, every check kept)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from builders import Outcome, Project

from gridsync.commands.apply import ApplyOptions, apply
from gridsync.commands.drift import DriftOptions, drift
from gridsync.errors import ExitCode


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.at(tmp_path / "repo", settings=True)


def _drift(project: Project, **options: bool) -> Outcome:
    return project.call(drift, DriftOptions(**options))


def _applied(project: Project) -> int:
    return project.call(apply, ApplyOptions(auto_approve=True), confirm=None).code


def test_drift_tells_out_of_band_changes_from_unapplied_ones(project: Project) -> None:
    project.cluster("ml-a")
    project.cluster("ml-b")
    first = _drift(project)
    assert first.code == ExitCode.CHANGES  # nothing applied yet: both are pending
    assert "Merged but not applied" in first.out and "no apply record yet" in first.out
    assert _applied(project) == 0
    clean = _drift(project)
    assert clean.code == 0, clean.out + clean.err
    assert "No drift" in clean.out

    plane = project.plane()
    live_a = plane.get("ml-a")
    assert live_a.spec is not None
    plane.update("ml-a", replace(live_a.spec, cost_savings=True))  # someone used `grid edit`
    project.cluster("ml-b", cost_savings="true")  # merged, not applied
    result = _drift(project)
    assert result.code == ExitCode.CHANGES
    out_of_band, _, pending = result.out.partition("Merged but not applied")
    assert "ml-a: cost_savings changed since" in out_of_band
    assert "ml-b: update" in pending and "ml-a" not in pending

    assert _applied(project) == 0  # puts ml-a back, applies ml-b
    assert _drift(project).code == 0


def test_deleted_outside_gridsync(project: Project) -> None:
    project.cluster("ml-a")
    assert _applied(project) == 0
    project.plane().delete("ml-a", force=True)
    result = _drift(project, markdown=True)
    assert result.code == ExitCode.CHANGES
    assert "- `ml-a`: deleted outside gridsync" in result.out
