"""Fleets (`projects:`, --project, `gridsync projects --json`) and reviewed-plan pinning."""

from __future__ import annotations

import json

from builders import Project, cluster_doc

from gridsync.errors import ExitCode


def test_apply_refuses_a_plan_that_changed_after_review(project: Project) -> None:
    project.cluster("ml-a")
    reviewed = json.loads(project.gridsync("plan", "--format", "json").stdout)["plan_id"]
    project.cluster("ml-b")  # pushed after the review
    result = project.gridsync("apply", "--auto-approve", "--expect-plan-id", reviewed)
    assert result.returncode == ExitCode.STALE_PLAN
    assert f"reviewed plan_id {reviewed}" in result.stderr
    assert "+ ml-b" in result.stdout  # what apply would do now is shown
    assert set(project.live()) == {"grid-cloud"}
    current = json.loads(project.gridsync("plan", "--format", "json").stdout)["plan_id"]
    assert project.gridsync("apply", "--auto-approve", "--expect-plan-id", current).returncode == 0


def test_projects_split_a_fleet(project: Project) -> None:
    project.settings(
        "projects:\n"
        "  research: {clusters: ['clusters/research/*.yaml']}\n"
        "  prod: {clusters: ['clusters/prod/*.yaml'], prune: true, managed: ['prod-*']}\n"
    )
    project.write("clusters/research/a.yaml", cluster_doc("res-a"))
    project.write("clusters/prod/a.yaml", cluster_doc("prod-a"))
    listed = json.loads(project.gridsync("projects", "--json").stdout)
    assert [p["name"] for p in listed] == ["research", "prod"]
    assert project.gridsync("plan").returncode == ExitCode.ERROR  # a fleet needs --project
    assert project.gridsync("apply", "--auto-approve", "--project", "research").returncode == 0
    assert set(project.live()) == {"grid-cloud", "res-a"}
    prod = project.gridsync("--project", "prod", "plan")
    # prod prunes only prod-*: research's cluster is someone else's, left alone
    assert "+ prod-a" in prod.stdout and "Unmanaged clusters (left alone): res-a" in prod.stdout
    validate = project.gridsync("validate")
    assert (
        validate.returncode == 0
        and "project research" in validate.stdout
        and "project prod" in validate.stdout
    )
