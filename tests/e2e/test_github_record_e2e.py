"""The pull request's record and the workflow lookups, as real `gridsync` subprocesses against the
fake GitHub on loopback and the local control plane: the review label that approves a replace,
`reviewed-plan`, `apply --comment`, `validate --comment`, the changes-only comment, `snapshot-run`,
and the step summary and outputs of apply and drift."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import Project

sys.path.insert(0, str(Path(__file__).parents[1] / "github"))
from fake_github import REPOSITORY, TOKEN, FakeGitHub

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
    tmp = project.root.parent
    (tmp / "event.json").write_text(json.dumps(event))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "GITHUB_OUTPUT": str(tmp / "output.txt"),
        "GITHUB_EVENT_PATH": str(tmp / "event.json"),
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": fake.url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "4242",
        **extra,
    }


def pr_env(project: Project, fake: FakeGitHub) -> dict[str, str]:
    """A `pull_request` run of PR 7 (as GitHub: GITHUB_SHA is the test merge commit)."""
    return _env(project, fake, fake.pull_request_event(PR), GITHUB_SHA="c" * 40)


def push_env(project: Project, fake: FakeGitHub, sha: str = MERGE) -> dict[str, str]:
    """A `push` run on main after the merge."""
    event = {"ref": "refs/heads/main", "repository": {"default_branch": "main"}}
    return _env(project, fake, event, GITHUB_SHA=sha, GITHUB_REF_NAME="main")


def outputs(project: Project) -> dict[str, str]:
    path = project.root.parent / "output.txt"
    found = dict(line.split("=", 1) for line in path.read_text().splitlines())
    path.unlink()
    return found


def stdout_values(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and "::" not in line
    )


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
    assert values == stdout_values(found.stdout)
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


def test_reviewed_plan_without_a_pull_request_or_a_plan_is_a_notice(
    project: Project, fake: FakeGitHub
) -> None:
    fake.set_branch("main", MERGE)
    alone = project.gridsync("reviewed-plan", env=push_env(project, fake))
    assert alone.returncode == 0, alone.stderr
    assert "::notice title=No pull request::" in alone.stdout
    assert outputs(project) == {
        "pr": "",
        "plan_id": "",
        "allow_replace": "false",
        "current": "true",
        "comment": "",
        "plan_sha": "",
    }
    fake.add_pull(PR, head_sha=HEAD, merge_sha=MERGE)
    fake.add_comment(PR, "<!-- gridsync:plan -->\nplan_id: forged", user="mallory")
    none = project.gridsync("reviewed-plan", env=push_env(project, fake))
    assert none.returncode == 0
    assert "::notice title=No reviewed plan::pull request #7" in none.stdout
    assert outputs(project)["plan_id"] == ""  # someone else's comment never counts


def test_reviewed_plan_of_an_old_commit_is_not_current(project: Project, fake: FakeGitHub) -> None:
    fake.add_pull(PR, head_sha=HEAD, merge_sha=MERGE)
    fake.set_branch("main", "d" * 40)  # another merge came after
    result = project.gridsync("reviewed-plan", env=push_env(project, fake))
    assert result.returncode == 0
    assert stdout_values(result.stdout)["current"] == "false"
    assert "::notice title=Not the head::" in result.stdout


def test_reviewed_plan_fails_on_a_github_error(project: Project, fake: FakeGitHub) -> None:
    fake.answer_next(404, {"message": "Not Found"}, path="/commits/")
    result = project.gridsync("reviewed-plan", env=push_env(project, fake))
    assert result.returncode == ExitCode.ERROR
    # the token only in the ::add-mask:: line that registers it with the runner
    shown = "".join(
        line for line in result.stderr.splitlines(True) if not line.startswith("::add-mask::")
    )
    assert "HTTP 404" in shown and TOKEN not in shown


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


# --- snapshot-run -------------------------------------------------------------------------------


def test_snapshot_run_finds_the_newest_trusted_drift_run(
    project: Project, fake: FakeGitHub
) -> None:
    fake.add_workflow_run("gridsync-drift.yml", event="schedule", run_id=11, run_started_at="T1")
    fake.add_workflow_run(
        "gridsync-drift.yml", event="workflow_dispatch", run_id=12, run_started_at="T2"
    )
    fake.add_workflow_run("gridsync-drift.yml", event="pull_request", run_id=13)
    fake.add_workflow_run(
        "gridsync-drift.yml", event="schedule", run_id=14, head_repository="fork/infra"
    )
    fake.add_workflow_run("gridsync-drift.yml", event="schedule", run_id=15, conclusion="failure")
    fake.add_workflow_run("gridsync-plan.yml", event="schedule", run_id=16)
    result = project.gridsync("snapshot-run", env=push_env(project, fake))
    assert result.returncode == 0, result.stderr
    assert stdout_values(result.stdout) == {"run_id": "12", "taken_at": "T2"}
    assert outputs(project) == {"run_id": "12", "taken_at": "T2"}
    assert (
        "taken at T2 (run 12 of gridsync-drift.yml)"
        in (project.root.parent / "summary.md").read_text()
    )
    (query,) = [r.params for r in fake.requests if r.path.endswith("/runs")]
    assert query["branch"] == "main" and query["status"] == "success"


def test_snapshot_run_says_to_run_the_drift_workflow_once(
    project: Project, fake: FakeGitHub
) -> None:
    fake.add_workflow_run("gridsync-drift.yml", event="pull_request")
    result = project.gridsync("snapshot-run", env=push_env(project, fake))
    assert result.returncode == ExitCode.ERROR
    assert "run gridsync-drift.yml once" in result.stderr


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
