"""Fleets (`projects:`, --project, `projects --json`) and reviewed-plan pinning, in-process
(moved from tests/e2e/test_fleet_and_review.py, every check kept; where the global options may
stand on the command line is tests/e2e/test_global_options.py's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import Outcome, Project, cluster_doc

from gridsync.commands.apply import ApplyOptions, apply
from gridsync.commands.plan import PlanOptions, plan
from gridsync.commands.projects import projects
from gridsync.commands.validate import validate
from gridsync.errors import ExitCode


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.at(tmp_path / "repo", settings=True)


def _plan_id(project: Project) -> str:
    return str(json.loads(project.call(plan, PlanOptions("json")).out)["plan_id"])


def _apply(project: Project, name: str | None = None, **options: str) -> Outcome:
    chosen = ApplyOptions(auto_approve=True, **options)
    return project.call(apply, chosen, project_name=name, confirm=None)


def test_apply_refuses_a_plan_that_changed_after_review(project: Project) -> None:
    project.cluster("ml-a")
    reviewed = _plan_id(project)
    project.cluster("ml-b")  # pushed after the review
    result = _apply(project, expect_plan_id=reviewed)
    assert result.code == ExitCode.STALE_PLAN
    assert f"reviewed plan_id {reviewed}" in result.message + result.err
    assert "+ ml-b" in result.out  # what apply would do now is shown
    assert set(project.live()) == {"grid-cloud"}
    current = _plan_id(project)
    assert _apply(project, expect_plan_id=current).code == ExitCode.OK


def test_projects_split_a_fleet(project: Project) -> None:
    project.settings(
        "projects:\n"
        "  research: {clusters: ['clusters/research/*.yaml']}\n"
        "  prod: {clusters: ['clusters/prod/*.yaml'], prune: true, managed: ['prod-*']}\n"
    )
    project.write("clusters/research/a.yaml", cluster_doc("res-a"))
    project.write("clusters/prod/a.yaml", cluster_doc("prod-a"))
    listed = json.loads(project.call(projects, True).out)
    assert [p["name"] for p in listed] == ["research", "prod"]
    assert project.call(plan, PlanOptions()).code == ExitCode.ERROR  # a fleet needs --project
    assert _apply(project, "research").code == ExitCode.OK
    assert set(project.live()) == {"grid-cloud", "res-a"}
    prod = project.call(plan, PlanOptions(), project_name="prod")
    # prod prunes only prod-*: research's cluster is someone else's, left alone
    assert "+ prod-a" in prod.out and "Unmanaged clusters (left alone): res-a" in prod.out
    validated = project.call(validate)
    assert validated.code == ExitCode.OK
    assert "project research" in validated.out and "project prod" in validated.out
