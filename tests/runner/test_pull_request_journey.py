"""The pull-request journey on a real runner: examples/github/gridsync-plan.yml, as a team copies it,
run by act on pull requests against the Grid control plane over HTTP and a fake GitHub."""

from __future__ import annotations

import pytest
from act import ActRun, Runner
from github.fake_github import FakeGitHub
from journey import (
    GITHUB_TOKEN,
    SECRET_VALUES,
    Plane,
    TeamRepo,
    cluster_yaml,
    pull_request_event,
    secrets,
)

pytestmark = pytest.mark.runner

PR = 12
FORK_JOB = "plan (fork, against the live snapshot)"


def plan_on_pr(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub, base: str
) -> ActRun:
    return runner.run(
        team.root,
        "pull_request",
        pull_request_event(PR, team.head(), base),
        workflow="gridsync-plan.yml",
        secrets=secrets(),
        env={"GITHUB_API_URL": github.url, "GRID_URL": plane.url},
    )


def assert_no_secret(run: ActRun, github: FakeGitHub) -> None:
    bodies = [c["body"] for c in github.comments.get(PR, [])]
    for secret in SECRET_VALUES:
        assert secret not in run.log
        assert secret not in run.summary("plan")
        assert not any(secret in body for body in bodies)


def test_pushes_to_a_pull_request_keep_one_sticky_comment_current(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub
) -> None:
    base = team.head()
    team.branch("change")
    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1"))
    team.commit("Add a dev cluster")

    first = plan_on_pr(runner, team, plane, github, base)
    assert first.returncode == 0, first.log
    assert first.job_succeeded("plan") is True
    assert first.job_succeeded(FORK_JOB) is None  # a branch of this repository: not a fork
    [comment] = github.comments[PR]
    assert "ml-dev-use1" in comment["body"] and "plan_id" in comment["body"]
    assert "ml-dev-use1" in first.summary("plan")
    assert "true" in first.outputs("has_changes")
    assert (runner.artifacts / str(runner.last_run_id) / "gridsync-plan" / "plan.json").is_file()
    assert_no_secret(first, github)

    team.write("clusters/ml-eval-use1.yaml", cluster_yaml("ml-eval-use1"))
    team.commit("And an eval cluster")
    second = plan_on_pr(runner, team, plane, github, base)
    assert second.returncode == 0, second.log
    [updated] = github.comments[PR]
    assert updated["id"] == comment["id"]
    assert "ml-eval-use1" in updated["body"]
    assert plane.names() == set()  # plans change nothing
    assert_no_secret(second, github)


def test_a_blocked_plan_replaces_the_comment_and_fails_the_job(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub
) -> None:
    base = team.head()
    team.branch("change")
    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1"))
    team.commit("Add a dev cluster")
    assert plan_on_pr(runner, team, plane, github, base).returncode == 0

    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1", protect="true"))
    team.write("gridsync.yaml", (team.root / "gridsync.yaml").read_text() + "max_deletes: 0\n")
    blocked_plane_state = plane.names()
    # A replace needs --allow-replace: a region change of a live cluster is blocked.
    team.write("clusters/ml-prod-use1.yaml", cluster_yaml("ml-prod-use1", region="us-west-2"))
    team.commit("Move prod")
    plane.apply(team, base)
    blocked = plan_on_pr(runner, team, plane, github, base)
    assert blocked.returncode != 0
    assert blocked.job_succeeded("plan") is False
    assert "blocked" in blocked.log
    [comment] = github.comments[PR]
    assert "blocked" in comment["body"].lower()
    assert "ml-prod-use1" in comment["body"]
    assert plane.names() == blocked_plane_state | {"ml-prod-use1"}
    assert_no_secret(blocked, github)


def test_a_file_that_fails_validation_replaces_the_comment_with_file_and_line(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub
) -> None:
    base = team.head()
    team.branch("change")
    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1"))
    team.commit("Add a dev cluster")
    assert plan_on_pr(runner, team, plane, github, base).returncode == 0

    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1", regoin="us-east-1"))
    team.commit("A typo")
    invalid = plan_on_pr(runner, team, plane, github, base)
    assert invalid.returncode != 0
    assert invalid.job_succeeded("plan") is False
    [comment] = github.comments[PR]
    assert "clusters/ml-dev-use1.yaml:9" in comment["body"]
    assert "regoin" in comment["body"]
    assert "plan_id" not in comment["body"]
    assert "::error file=clusters/ml-dev-use1.yaml,line=9" in invalid.log
    assert_no_secret(invalid, github)

    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1"))
    team.commit("Fix the typo")
    fixed = plan_on_pr(runner, team, plane, github, base)
    assert fixed.returncode == 0, fixed.log
    [comment] = github.comments[PR]
    assert "plan_id" in comment["body"]


def test_a_pull_request_from_a_fork_plans_against_the_published_snapshot_without_secrets(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub
) -> None:
    plane.apply(team)
    published = runner.run(
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
    assert published.returncode == 0, published.log
    github.add_workflow_run(
        "gridsync-drift.yml",
        event="schedule",
        run_id=runner.last_run_id,
        head_repository=github.repository,
    )
    base = team.head()
    team.branch("change")
    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1"))
    team.commit("A fork adds a cluster")

    fork = runner.run(
        team.root,
        "pull_request",
        pull_request_event(PR, team.head(), base, fork=True),
        workflow="gridsync-plan.yml",
        secrets={"GITHUB_TOKEN": GITHUB_TOKEN},  # GitHub gives a fork's run no other secret
        env={"GITHUB_API_URL": github.url},  # and nothing names the control plane
    )
    assert fork.returncode == 0, fork.log
    assert fork.job_succeeded("plan") is None  # the job with secrets does not run for a fork
    assert fork.job_succeeded(FORK_JOB) is True
    assert "ml-dev-use1" in fork.summary("plan-fork")
    assert "taken at" in fork.summary("plan-fork")
    assert "true" in fork.outputs("has_changes")
    assert PR not in github.comments
