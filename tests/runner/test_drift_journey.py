"""The schedule on a real runner: examples/github/gridsync-drift.yml keeps one drift issue open
while live clusters differ from the repository, closes it when they agree, and publishes the
live snapshot that pull requests from forks plan against."""

from __future__ import annotations

import json

import pytest
from act import ActRun, Runner
from github.fake_github import FakeGitHub
from journey import SECRET_VALUES, Plane, TeamRepo, secrets

pytestmark = pytest.mark.runner


def drift(runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub) -> ActRun:
    run = runner.run(
        team.root,
        "schedule",
        {
            "schedule": "17 */6 * * *",
            "repository": {"full_name": github.repository, "default_branch": "main"},
        },
        workflow="gridsync-drift.yml",
        secrets=secrets(),
        env={"GITHUB_API_URL": github.url, "GRID_URL": plane.url},
    )
    for secret in SECRET_VALUES:
        assert secret not in run.log
        assert not any(secret in issue["body"] for issue in github.issues)
    return run


def open_issues(github: FakeGitHub) -> list[dict[str, object]]:
    return [issue for issue in github.issues if issue["state"] == "open"]


def test_drift_opens_updates_and_closes_one_issue_and_publishes_the_snapshot(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub
) -> None:
    plane.apply(team)
    quiet = drift(runner, team, plane, github)
    assert quiet.returncode == 0, quiet.log
    assert github.issues == []
    snapshot = runner.artifacts / str(runner.last_run_id) / "gridsync-live" / "live.json"
    names = {c["name"] for c in json.loads(snapshot.read_text())["clusters"]}
    assert "ml-prod-use1" in names
    assert not any(secret in snapshot.read_text() for secret in SECRET_VALUES)

    # Someone changes the cluster by hand, outside gridsync.
    cluster = plane.request("GET", "/v1/core/clusters/ml-prod-use1")
    cluster["spec"]["driver"]["kubernetes"]["aws"]["instanceTypes"] = [{"name": "t3.xlarge"}]
    plane.request(
        "PUT", "/v1/core/clusters/ml-prod-use1", {"name": "ml-prod-use1", "spec": cluster["spec"]}
    )
    found = drift(runner, team, plane, github)
    assert found.returncode == 0, found.log  # drift is reported, not a failed run
    [issue] = open_issues(github)
    assert "ml-prod-use1" in str(issue["body"])

    again = drift(runner, team, plane, github)
    assert again.returncode == 0, again.log
    assert len(github.issues) == 1 and len(open_issues(github)) == 1

    plane.apply(team)  # the repository's state is applied again
    fixed = drift(runner, team, plane, github)
    assert fixed.returncode == 0, fixed.log
    assert len(github.issues) == 1 and open_issues(github) == []
