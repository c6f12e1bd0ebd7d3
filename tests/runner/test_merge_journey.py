"""The merge on a real runner: examples/github/gridsync-apply.yml applies exactly the plan that was
reviewed on the pull request and reports the result there; a plan that changed since review, or a
replace, goes through only as the examples' README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from act import ActRun, Runner
from github.fake_github import FakeGitHub
from journey import (
    GITHUB_TOKEN,
    SECRET_VALUES,
    Plane,
    TeamRepo,
    cluster_yaml,
    git,
    pull_request_event,
    push_event,
    secrets,
)

pytestmark = pytest.mark.runner

PR = 21


def env(plane: Plane, github: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_API_URL": github.url, "GRID_URL": plane.url}


def review(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub, base: str, **event: object
) -> ActRun:
    run = runner.run(
        team.root,
        "pull_request",
        {**pull_request_event(PR, team.head(), base), **event},
        workflow="gridsync-plan.yml",
        secrets=secrets(),
        env=env(plane, github),
    )
    return run


def merge(
    runner: Runner,
    team: TeamRepo,
    plane: Plane,
    github: FakeGitHub,
    base: str,
    labels: tuple[str, ...] = (),
    env_extra: dict[str, str] | None = None,
) -> ActRun:
    head = team.head()
    team.checkout("main")
    merged = team.merge("change")
    github.pulls.pop(PR, None)
    github.add_pull(PR, head_sha=head, merge_sha=merged, merged=True, user="dev", labels=labels)
    github.set_branch("main", merged)
    run = runner.run(
        team.root,
        "push",
        push_event(merged, base),
        workflow="gridsync-apply.yml",
        secrets=secrets(),
        env={**env(plane, github), **(env_extra or {})},
    )
    for secret in SECRET_VALUES:
        assert secret not in run.log
        assert not any(secret in c["body"] for c in github.comments.get(PR, []))
    return run


def test_the_merge_applies_the_reviewed_plan_and_reports_it_on_the_pull_request(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub
) -> None:
    base = team.head()
    plane.apply(team)
    team.branch("change")
    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1"))
    team.commit("Add a dev cluster")
    reviewed = review(runner, team, plane, github, base)
    assert reviewed.returncode == 0, reviewed.log
    [plan_id] = reviewed.outputs("plan_id")

    applied = merge(runner, team, plane, github, base)
    assert applied.returncode == 0, applied.log
    assert applied.job_succeeded("apply") is True
    assert applied.outputs("expect_plan_id") == {plan_id}  # the pin is the reviewed plan
    assert plane.names() == {"ml-prod-use1", "ml-dev-use1"}
    [comment] = github.comments[PR]  # the sticky comment now shows what was applied
    assert "gridsync apply" in comment["body"] and "ml-dev-use1" in comment["body"]
    assert "applied" in applied.outputs("result")
    assert "ml-dev-use1" in applied.summary("apply")


def test_a_plan_that_changed_since_review_is_not_applied(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub
) -> None:
    base = team.head()
    plane.apply(team)
    team.branch("change")
    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1"))
    team.commit("Add a dev cluster")
    assert review(runner, team, plane, github, base).returncode == 0
    # After the review, someone deletes prod by hand: the merged commit now plans a create of it.
    plane.request("DELETE", "/v1/core/clusters/ml-prod-use1?force=True")

    stale = merge(runner, team, plane, github, base)
    assert stale.returncode != 0
    assert stale.job_succeeded("plan") is False
    assert stale.job_succeeded("apply") is None
    assert "The plan changed since review" in stale.log
    assert "ml-dev-use1" not in plane.names()


def test_a_replace_goes_through_once_a_reviewer_labels_the_pull_request(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub
) -> None:
    base = team.head()
    plane.apply(team)
    team.branch("change")
    team.write("clusters/ml-prod-use1.yaml", cluster_yaml("ml-prod-use1", region="us-west-2"))
    head = team.commit("Move prod to us-west-2")
    blocked = review(runner, team, plane, github, base)
    assert blocked.job_succeeded("plan") is False
    assert "blocked" in github.comments[PR][0]["body"]

    github.add_pull(PR, head_sha=head, merged=False, user="dev")
    github.add_label(PR, "gridsync:allow-replace", actor="reviewer")
    labels = [{"name": "gridsync:allow-replace"}]
    event = pull_request_event(PR, head, base)
    event["pull_request"]["labels"] = labels
    approved = review(
        runner,
        team,
        plane,
        github,
        base,
        action="labeled",
        **{"pull_request": event["pull_request"]},
    )
    assert approved.returncode == 0, approved.log
    [comment] = github.comments[PR]
    assert "approved by label gridsync:allow-replace" in comment["body"]

    applied = merge(runner, team, plane, github, base, labels=("gridsync:allow-replace",))
    assert applied.returncode == 0, applied.log
    assert applied.outputs("allow_replace") == {"true"}
    region = plane.request("GET", "/v1/core/clusters/ml-prod-use1")["spec"]["driver"]
    assert region["kubernetes"]["aws"]["region"] == "us-west-2"


def test_run_config_edits_reach_the_default_branch_after_the_apply(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub, tmp_path: Path
) -> None:
    server = tmp_path / "server"
    remote = server / f"{github.repository}.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    base = team.head()
    plane.apply(team)
    team.branch("change")
    team.write("clusters/ml-dev-use1.yaml", cluster_yaml("ml-dev-use1", runs='["runs/dev/*.yaml"]'))
    team.write("runs/dev/train.yaml", "compute:\n  provider:\n    cluster: ml-prod-use1  # old\n")
    team.commit("A dev cluster, and the dev runs move to it")
    reviewed = review(runner, team, plane, github, base)
    assert reviewed.returncode == 0, reviewed.log
    assert "runs/dev/train.yaml" in github.comments[PR][0]["body"]

    git(team.root, "push", "-q", remote.as_uri(), f"{base}:refs/heads/main")
    # The job pushes to https://github.com/acme/infra.git; git sends that to the bare repository.
    instead_of = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{server.as_uri()}/.insteadOf",
        "GIT_CONFIG_VALUE_0": "https://github.com/",
    }
    applied = merge(runner, team, plane, github, base, env_extra=instead_of)
    assert applied.returncode == 0, applied.log
    pushed = git(remote, "show", "main:runs/dev/train.yaml")
    assert pushed == "compute:\n  provider:\n    cluster: ml-dev-use1  # old"
    assert git(remote, "log", "-1", "--format=%an %s", "main") == (
        "github-actions[bot] gridsync: point run configs at their clusters"
    )
    assert git(remote, "rev-parse", "main^") == team.head()  # on top of the applied merge
    # The loop is closed: the default branch as pushed plans to no change at all.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "main", remote.as_uri(), str(clone))
    replan = subprocess.run(
        [sys.executable, "-m", "gridsync", "plan", "--detailed-exitcode"],
        cwd=clone,
        env=plane.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert replan.returncode == 0, replan.stdout + replan.stderr
    assert GITHUB_TOKEN not in applied.log
