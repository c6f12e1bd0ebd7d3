"""Deletion safety end to end, across projects and across time, with the real `gridsync`."""

from __future__ import annotations

import json

from builders import SETTINGS, Project
from builders import cluster_doc as cluster

from gridsync.config.desired import LocalBackendSettings
from gridsync.errors import ExitCode
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.spec import Phase

BASE = SETTINGS.format(provision=0.2)


def fleet(project: Project, projects: str, top: str = "") -> None:
    project.write("gridsync.yaml", BASE + top + "projects:\n" + projects)


def test_overlapping_managed_globs_between_projects_are_refused(project: Project) -> None:
    """The issue's fleet: top-level prune and managed, inherited by both projects."""
    fleet(
        project,
        "  research: {clusters: ['clusters/research/*.yaml']}\n"
        "  prod: {clusters: ['clusters/prod/*.yaml']}\n",
        top="prune: true\nmanaged: ['nc-*']\n",
    )
    project.write("clusters/prod/p.yaml", "")
    validate = project.gridsync("validate")
    assert validate.returncode == ExitCode.ERROR
    assert "projects 'research' and 'prod' both manage names matching 'nc-*'" in validate.stderr
    applied = project.gridsync("apply", "--project", "research", "--auto-approve")
    assert applied.returncode == ExitCode.ERROR


def test_a_cluster_another_project_declares_is_never_pruned(project: Project) -> None:
    fleet(
        project,
        "  research: {clusters: ['clusters/research/*.yaml'], prune: true, managed: ['nc-*']}\n"
        "  prod: {clusters: ['clusters/prod/*.yaml']}\n",
    )
    project.write("clusters/prod/nc-prod-usw2.yaml", cluster("nc-prod-usw2", protect="true"))
    project.write("clusters/research/nc-res-a.yaml", cluster("nc-res-a"))
    assert project.gridsync("apply", "--project", "prod", "--auto-approve").returncode == 0
    result = project.gridsync("apply", "--project", "research", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nc-prod-usw2" in project.live()
    assert "Unmanaged clusters (left alone): nc-prod-usw2" in result.stdout

    # Its file is removed from prod: prod's record still remembers it as protected.
    (project.root / "clusters/prod/nc-prod-usw2.yaml").unlink()
    again = project.gridsync("apply", "--project", "research", "--auto-approve")
    assert again.returncode == ExitCode.BLOCKED, again.stdout + again.stderr
    assert "remembers 'nc-prod-usw2' as protect: true" in again.stderr
    assert "nc-prod-usw2" in project.live()


def test_protect_outlives_its_file_and_is_lifted_in_two_reviewed_steps(project: Project) -> None:
    project.settings("prune: true\nmanaged: ['ml-*']\n")
    project.cluster("ml-keep")
    project.cluster("ml-prod", protect="true")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    record = json.loads((project.root / ".gridsync/applied.json").read_text())
    assert record["clusters"]["ml-prod"]["protect"] is True

    (project.root / "clusters/ml-prod.yaml").unlink()
    plan = project.gridsync("plan")
    assert plan.returncode == ExitCode.BLOCKED
    assert "remembers 'ml-prod' as protect: true" in plan.stdout
    assert project.gridsync("apply", "--auto-approve").returncode == ExitCode.BLOCKED
    assert "ml-prod" in project.live()

    project.cluster("ml-prod", protect="false")  # step one: a reviewed change lifting protect
    lifted = project.gridsync("apply", "--auto-approve")
    assert lifted.returncode == 0, lifted.stdout + lifted.stderr
    (project.root / "clusters/ml-prod.yaml").unlink()  # step two: now it may go
    deleted = project.gridsync("apply", "--auto-approve")
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert set(project.live()) == {"grid-cloud", "ml-keep"}


def test_a_prune_with_no_files_or_emptying_the_managed_set_needs_to_be_asked_for(
    project: Project,
) -> None:
    project.settings("prune: true\nmanaged: ['ml-*']\n")
    project.cluster("ml-a")
    project.cluster("ml-b")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    for name in ("ml-a", "ml-b"):
        (project.root / f"clusters/{name}.yaml").unlink()
    refused = project.gridsync("apply", "--auto-approve")  # no files at all: an error (exit 1)
    assert refused.returncode == ExitCode.ERROR
    assert "no cluster files in" in refused.stderr and "Traceback" not in refused.stderr
    project.cluster("team-x")  # a file again, but still every managed cluster would go
    emptied = project.gridsync("plan")
    assert emptied.returncode == ExitCode.BLOCKED
    assert "deletes every cluster gridsync manages (2)" in emptied.stdout
    assert {"ml-a", "ml-b"} <= set(project.live())
    allowed = project.gridsync("apply", "--auto-approve", "--allow-prune-all")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert not {"ml-a", "ml-b"} & set(project.live())


def test_a_failed_bound_cluster_is_replaced_in_one_apply(project: Project) -> None:
    project.cluster("ml-a", runs="[runs/train.yaml]")
    project.write("runs/train.yaml", "compute:\n  provider:\n    cluster: ml-a\n")
    fail = project.gridsync("local-grid", "fail", "ml-a", "--reason", "quota exceeded")
    assert fail.returncode == 0
    first = project.gridsync("apply", "--auto-approve")
    assert first.returncode == ExitCode.PARTIAL
    assert project.live()["ml-a"].phase == Phase.FAILED

    replaced = project.gridsync("apply", "--auto-approve")  # no --allow-replace
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    live = project.live()["ml-a"]
    assert live.phase == Phase.RUNNING
    assert f"cluster: {live.id}" in (project.root / "runs/train.yaml").read_text()
    assert project.gridsync("plan", "--detailed-exitcode").returncode == 0


def test_a_cluster_torn_down_outside_gridsync_is_shown_in_every_format(project: Project) -> None:
    project.cluster("ml-a")
    project.cluster("ml-b")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    slow = LocalBackendSettings(delete_seconds=60)
    LocalControlPlane(slow, root=project.root).delete("ml-b")  # someone ran `grid delete`
    (project.root / "clusters/ml-b.yaml").unlink()
    text = project.gridsync("plan")
    assert "Being torn down (terminating): ml-b (not deleted by this project" in text.stdout
    markdown = project.gridsync("plan", "--format", "markdown")
    assert "**Being torn down (terminating):** ml-b" in markdown.stdout
    data = json.loads(project.gridsync("plan", "--format", "json").stdout)
    assert data["terminating"] == [
        {"name": "ml-b", "cluster_id": project.live()["ml-b"].id, "deleted_by_gridsync": False}
    ]
    nothing = project.gridsync("apply", "--auto-approve")  # not gridsync's: not waited for
    assert nothing.returncode == 0 and "Nothing to apply." in nothing.stderr


def test_a_damaged_record_stops_apply_before_any_change(project: Project) -> None:
    project.cluster("ml-a")
    path = project.root / ".gridsync/applied.json"
    for damaged in ('{"clusters": []}', "{not json", '{"version": 99, "clusters": {}}'):
        path.parent.mkdir(exist_ok=True)
        path.write_text(damaged)
        result = project.gridsync("apply", "--auto-approve")
        assert result.returncode == ExitCode.ERROR, result.stdout + result.stderr
        assert "apply record" in result.stderr and "delete it" not in result.stderr
        assert "ml-a" not in project.live()  # nothing was created
        assert path.read_text() == damaged  # and the record was not rewritten
