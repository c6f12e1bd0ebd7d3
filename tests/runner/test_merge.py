"""The merge on a real runner: examples/github/gridsync-apply.yml applies exactly the plan that was
reviewed on the pull request and reports the result there; a plan that changed since review, or a
replace, goes through only as the examples' README says."""

from __future__ import annotations

import pytest
from act import ActRun, Runner
from conftest import (
    SECRET_VALUES,
    Plane,
    TeamRepo,
    cluster_yaml,
    pull_request_event,
    push_event,
    secrets,
)
from github.fake_github import FakeGitHub

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
        env=env(plane, github),
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
