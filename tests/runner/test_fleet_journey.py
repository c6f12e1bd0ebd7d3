"""A fleet on a real runner: examples/github/gridsync-fleet.yml plans every project of
gridsync.yaml on a pull request (one sticky comment each) and, on the push to main, applies only
the projects whose plan has changes."""

from __future__ import annotations

import pytest
from act import Runner
from github.fake_github import FakeGitHub
from journey import (
    PROJECT_SETTINGS,
    SECRET_VALUES,
    Plane,
    TeamRepo,
    cluster_yaml,
    pull_request_event,
    push_event,
    secrets,
)

pytestmark = pytest.mark.runner

FLEET = (
    PROJECT_SETTINGS
    + """\
projects:
  research: {clusters: ["clusters/research/*.yaml"], runs: []}
  prod: {clusters: ["clusters/prod/*.yaml"], runs: []}
"""
)


def test_each_project_is_planned_and_only_changed_projects_are_applied(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub
) -> None:
    team.remove("clusters/ml-prod-use1.yaml")
    team.write("gridsync.yaml", FLEET)
    team.write("clusters/prod/ml-prod-use1.yaml", cluster_yaml("ml-prod-use1"))
    team.write("clusters/research/ml-res-use1.yaml", cluster_yaml("ml-res-use1"))
    base = team.commit("A fleet of two projects")
    plane.apply_project(team, "prod")
    plane.apply_project(team, "research")

    team.branch("change")
    team.write("clusters/research/ml-res-usw2.yaml", cluster_yaml("ml-res-usw2"))
    head = team.commit("Research gets a second cluster")
    env = {"GITHUB_API_URL": github.url, "GRID_URL": plane.url}
    planned = runner.run(
        team.root,
        "pull_request",
        pull_request_event(7, head, base),
        workflow="gridsync-fleet.yml",
        secrets=secrets(),
        env=env,
    )
    assert planned.returncode == 0, planned.log
    bodies = [c["body"] for c in github.comments[7]]
    assert len(bodies) == 2  # one sticky comment per project
    [research] = [b for b in bodies if "ml-res-usw2" in b]
    assert "1 to create" in research
    assert plane.names() == {"ml-prod-use1", "ml-res-use1"}

    team.checkout("main")
    merged = team.merge("change")
    applied = runner.run(
        team.root,
        "push",
        push_event(merged, base),
        workflow="gridsync-fleet.yml",
        secrets=secrets(),
        env=env,
    )
    assert applied.returncode == 0, applied.log
    assert plane.names() == {"ml-prod-use1", "ml-res-use1", "ml-res-usw2"}
    assert applied.log.count("⭐ Run Main apply") == 1, "only research has changes to apply"
    assert (
        "[gridsync fleet/apply research"
        in applied.log.split("⭐ Run Main apply")[0].rsplit("\n", 1)[-1]
    )
    for secret in SECRET_VALUES:
        assert secret not in planned.log + applied.log
        assert not any(secret in body for body in bodies)
