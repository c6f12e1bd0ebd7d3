"""The pull request's record and the workflow lookups, as real `gridsync` subprocesses against the
fake GitHub on loopback and the local control plane: the review label that approves a replace
through `reviewed-plan` to the apply, `apply --comment`, `validate --comment`, the changes-only
comment, and the step summary and outputs of apply and drift. `reviewed-plan` and `snapshot-run`
alone are in-process: tests/commands/test_github_commands.py."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import Project, key_values

sys.path.insert(0, str(Path(__file__).parents[1] / "github"))
from fake_github import FakeGitHub

from gridsync.errors import ExitCode

PR = 7
HEAD = "a" * 40  # the pull request's head commit
MERGE = "b" * 40  # its merge commit on main
LABEL = "gridsync:allow-replace"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub().running() as server:
        yield server


def _env(
    project: Project, fake: FakeGitHub, event: dict[str, object], **extra: str
) -> dict[str, str]:
    extra = {"GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "4242", **extra}
    return fake.actions_env(project.root.parent, event, **extra)


def pr_env(project: Project, fake: FakeGitHub) -> dict[str, str]:
    """A `pull_request` run of PR 7 (as GitHub: GITHUB_SHA is the test merge commit)."""
    return _env(project, fake, fake.pull_request_event(PR), GITHUB_SHA="c" * 40)


def push_env(project: Project, fake: FakeGitHub, sha: str = MERGE) -> dict[str, str]:
    """A `push` run on main after the merge."""
    event = {"ref": "refs/heads/main", "repository": {"default_branch": "main"}}
    return _env(project, fake, event, GITHUB_SHA=sha, GITHUB_REF_NAME="main")


def outputs(project: Project) -> dict[str, str]:
    return FakeGitHub.step_outputs(project.root.parent)


def _moved_region(project: Project) -> None:
    """ml-a lives in us-east-1; the pull request moves it to us-west-2 (a replace)."""
    project.cluster("ml-a")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    project.cluster("ml-a", region="us-west-2")


def _body(fake: FakeGitHub) -> str:
    (comment,) = fake.comments[PR]
    return str(comment["body"])


# --- the review label ----------------------------------------------------------------------------


def test_a_label_added_by_a_reviewer_approves_the_replace_through_to_the_apply(
    project: Project, fake: FakeGitHub
) -> None:
    _moved_region(project)
    fake.add_pull(PR, head_sha=HEAD, merged=False, user="alice")
    unapproved = project.gridsync("plan", "--comment", env=pr_env(project, fake))
    assert unapproved.returncode == ExitCode.BLOCKED
    assert "blocked" in _body(fake) and LABEL in _body(fake)
    blocked_id = outputs(project)["plan_id"]  # a blocked plan is not saved

    fake.add_label(PR, LABEL, actor="bob")
    approved = project.gridsync(
        "plan", "--comment", "--out", "plan.json", env=pr_env(project, fake)
    )
    assert approved.returncode == 0, approved.stderr
    body = _body(fake)
    assert "✅ approved by label gridsync:allow-replace (added by @bob)" in body
    assert "⛔" not in body
    plan_id = json.loads((project.root / "plan.json").read_text())["plan_id"]
    assert outputs(project)["plan_id"] == plan_id != blocked_id
    assert f"plan_id: {plan_id}" in body

    # Merged: the lookup reports the approval; apply with it applies exactly the reviewed plan.
    fake.pulls[PR].update(merge_commit_sha=MERGE, merged_at="2026-01-02T00:00:00Z")
    fake.set_branch("main", MERGE)
    found = project.gridsync("reviewed-plan", env=push_env(project, fake))
    assert found.returncode == 0, found.stderr
    values = outputs(project)
    assert values == key_values(found.stdout)
    assert values["pr"] == str(PR) and values["plan_id"] == plan_id
    assert values["allow_replace"] == "true" and values["current"] == "true"
    assert values["comment"] == "plan" and values["plan_sha"] == HEAD
    applied = project.gridsync(
        "apply", "--auto-approve", "--allow-replace", "--expect-plan-id", plan_id
    )
    assert applied.returncode == 0, applied.stderr
    assert project.live()["ml-a"].spec.region == "us-west-2"  # type: ignore[union-attr]


def test_the_author_labelling_their_own_pull_request_is_not_a_review(
    project: Project, fake: FakeGitHub
) -> None:
    _moved_region(project)
    fake.add_pull(PR, head_sha=HEAD, merged=False, user="alice", labels=[LABEL], labeled_by="alice")
    result = project.gridsync("plan", "--comment", env=pr_env(project, fake))
    assert result.returncode == ExitCode.BLOCKED
    assert "added by its author @alice" in result.stderr
    assert "approved" not in _body(fake)
    fake.pulls[PR].update(merge_commit_sha=MERGE, merged_at="2026-01-02T00:00:00Z")
    fake.set_branch("main", MERGE)
    assert project.gridsync("reviewed-plan", env=push_env(project, fake)).returncode == 0
    assert outputs(project)["allow_replace"] == "false"


# --- reviewed-plan -------------------------------------------------------------------------------


# --- apply: the step summary, outputs and the comment on the merged pull request -----------------


def test_apply_reports_to_the_summary_outputs_and_the_merged_pull_request(
    project: Project, fake: FakeGitHub
) -> None:
    project.cluster("ml-a")
    fake.add_pull(PR, head_sha=HEAD, merge_sha=MERGE)
    assert (
        project.gridsync("plan", "--comment", "--pr", str(PR), env=pr_env(project, fake)).returncode
        == 0
    )
    plan_id = outputs(project)["plan_id"]
    result = project.gridsync(
        "apply",
        "--auto-approve",
        "--comment",
        "--expect-plan-id",
        plan_id,
        env=push_env(project, fake),
    )
    assert result.returncode == 0, result.stderr
    assert outputs(project) == {
        "result": "applied",
        "applied": "1",
        "created": "1",
        "updated": "0",
        "replaced": "0",
        "deleted": "0",
        "failed": "0",
        "not_attempted": "0",
        "plan_id": plan_id,
    }
    summary = (project.root.parent / "summary.md").read_text()
    assert "### Apply complete: 1 succeeded, 0 failed." in summary
    body = _body(fake)  # still one comment: the plan's, now the apply result
    assert "**gridsync apply** · commit `" + MERGE + "`" in body
    assert "[workflow run](https://github.example/acme/infra/actions/runs/4242)" in body
    assert "✅ ok" in body and "ml-a" in body and body.endswith(f"plan_id: {plan_id}\n")
    assert "ext-e2e-secret" not in body + summary


def test_a_stale_apply_says_why_on_the_pull_request(project: Project, fake: FakeGitHub) -> None:
    project.cluster("ml-a")
    fake.add_pull(PR, head_sha=HEAD, merge_sha=MERGE)
    result = project.gridsync(
        "apply",
        "--auto-approve",
        "--comment",
        "--expect-plan-id",
        "0" * 16,
        env=push_env(project, fake),
    )
    assert result.returncode == ExitCode.STALE_PLAN
    body = _body(fake)
    assert "### Apply refused: stale plan" in body and "(exit 4)" in body
    assert "Nothing was changed." in body
    assert outputs(project)["result"] == "stale"


def test_apply_with_nothing_to_do_says_so(project: Project, fake: FakeGitHub) -> None:
    project.cluster("ml-a")  # applied already: a project with no cluster file is an error
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    result = project.gridsync("apply", "--auto-approve", env=push_env(project, fake))
    assert result.returncode == 0
    assert outputs(project)["result"] == "nothing"
    assert "nothing to do" in (project.root.parent / "summary.md").read_text()


# --- validate --comment, and the plan back once fixed --------------------------------------------


def test_validation_errors_replace_the_comment_until_a_fix_brings_the_plan_back(
    project: Project, fake: FakeGitHub
) -> None:
    project.cluster("ml-a")
    fake.add_pull(PR, head_sha=HEAD, merged=False)
    env = pr_env(project, fake)
    assert project.gridsync("plan", "--comment", env=env).returncode == 0
    project.write("clusters/bad.yaml", "apiVersion: gridsync/v1\nkind: Cluster\nname: Bad_Name\n")
    failed = project.gridsync("validate", "--comment", env=env)
    assert failed.returncode == ExitCode.ERROR
    body = _body(fake)
    assert "**gridsync: validation failed** · commit `" + HEAD + "`" in body
    assert "**clusters/bad.yaml:3:7**" in body and "plan_id" not in body
    (project.root / "clusters" / "bad.yaml").unlink()
    assert project.gridsync("validate", "--comment", env=env).returncode == 0
    assert project.gridsync("plan", "--comment", env=env).returncode == 0
    body = _body(fake)
    assert "**gridsync plan**" in body and "validation failed" not in body and "ml-a" in body
    assert len(fake.comments[PR]) == 1


# --- changes only ---------------------------------------------------------------------------------


def test_changes_only_posts_nothing_for_no_changes_and_marks_an_older_plan_outdated(
    project: Project, fake: FakeGitHub
) -> None:
    project.cluster("ml-base")  # applied: a project with no cluster file is an error
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    fake.add_pull(PR, head_sha=HEAD, merged=False)
    env = pr_env(project, fake)
    assert project.gridsync("plan", "--comment", "--changes-only", env=env).returncode == 0
    assert fake.writes() == []  # nothing to say, nothing said
    project.cluster("ml-a")
    assert project.gridsync("plan", "--comment", "--changes-only", env=env).returncode == 0
    assert "**gridsync plan**" in _body(fake)
    (project.root / "clusters" / "ml-a.yaml").unlink()  # the next push reverts it
    assert project.gridsync("plan", "--comment", "--changes-only", env=env).returncode == 0
    body = _body(fake)
    assert "**gridsync plan (outdated)**" in body and "No changes." in body
    assert [m for m, _ in fake.writes()] == ["POST", "PATCH"]


# --- drift --github ------------------------------------------------------------------------------


def test_drift_writes_the_report_to_the_summary_and_outputs(
    project: Project, fake: FakeGitHub
) -> None:
    project.cluster("ml-a")
    result = project.gridsync("drift", env=push_env(project, fake))
    assert result.returncode == ExitCode.CHANGES
    assert outputs(project) == {
        "drifted": "true",
        "out_of_band": "0",
        "not_applied": "1",
        "items": "1",
    }
    assert "### gridsync drift: 1 item(s)" in (project.root.parent / "summary.md").read_text()


def test_validation_errors_are_reported_even_when_the_comment_cannot_be_posted(
    project: Project, fake: FakeGitHub
) -> None:
    project.write("clusters/bad.yaml", "apiVersion: gridsync/v1\nkind: Cluster\nname: Bad_Name\n")
    env = push_env(project, fake)  # a push: no pull request to comment on
    failed = project.gridsync("validate", "--comment", env=env)
    assert failed.returncode == ExitCode.ERROR
    assert "clusters/bad.yaml:3:7: error" in failed.stderr
    assert "not posted on the pull request: no pull request to comment on" in failed.stderr
