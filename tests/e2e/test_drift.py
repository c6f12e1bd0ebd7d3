"""`gridsync drift`: live changed outside gridsync vs merged but not applied."""

from __future__ import annotations

from dataclasses import replace

from builders import Project

from gridsync.errors import ExitCode


def test_drift_tells_out_of_band_changes_from_unapplied_ones(project: Project) -> None:
    project.cluster("ml-a")
    project.cluster("ml-b")
    first = project.gridsync("drift")
    assert first.returncode == ExitCode.CHANGES  # nothing applied yet: both are pending
    assert "Merged but not applied" in first.stdout and "no apply record yet" in first.stdout
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    clean = project.gridsync("drift")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "No drift" in clean.stdout

    plane = project.plane()
    live_a = plane.get("ml-a")
    assert live_a.spec is not None
    plane.update("ml-a", replace(live_a.spec, cost_savings=True))  # someone used `grid edit`
    project.cluster("ml-b", cost_savings="true")  # merged, not applied
    result = project.gridsync("drift")
    assert result.returncode == ExitCode.CHANGES
    out_of_band, _, pending = result.stdout.partition("Merged but not applied")
    assert "ml-a: cost_savings changed since" in out_of_band
    assert "ml-b: update" in pending and "ml-a" not in pending

    assert (
        project.gridsync("apply", "--auto-approve").returncode == 0
    )  # puts ml-a back, applies ml-b
    assert project.gridsync("drift").returncode == 0


def test_deleted_outside_gridsync(project: Project) -> None:
    project.cluster("ml-a")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    project.plane().delete("ml-a", force=True)
    result = project.gridsync("drift", "--markdown")
    assert result.returncode == ExitCode.CHANGES
    assert "- `ml-a`: deleted outside gridsync" in result.stdout
