"""The commands that talk to GitHub, called in-process against the fake GitHub on loopback:
`reviewed-plan`, `snapshot-run` and `comment` (moved here from subprocess runs that checked
command logic only; the review journeys stay in tests/e2e/test_github_record_e2e.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import Project, key_values

sys.path.insert(0, str(Path(__file__).parents[1] / "github"))
from fake_github import TOKEN, FakeGitHub

from gridsync.commands.plan import PlanOptions, plan
from gridsync.commands.pr_comment import comment
from gridsync.commands.review import reviewed_plan, snapshot
from gridsync.errors import ExitCode

PR = 7
HEAD = "a" * 40  # the pull request's head commit
MERGE = "b" * 40  # its merge commit on main
NO_RECORD = {"pr": "", "plan_id": "", "allow_replace": "false", "current": "true"}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub().running() as server:
        yield server


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.at(tmp_path / "repo", settings=True)


def push_env(project: Project, fake: FakeGitHub, sha: str = MERGE) -> dict[str, str]:
    """A `push` run on main after the merge."""
    event = {"ref": "refs/heads/main", "repository": {"default_branch": "main"}}
    return fake.actions_env(project.root.parent, event, GITHUB_SHA=sha, GITHUB_REF_NAME="main")


def outputs(project: Project) -> dict[str, str]:
    return FakeGitHub.step_outputs(project.root.parent)


def _reviewed(project: Project, fake: FakeGitHub) -> tuple[int, str]:
    done = project.call(reviewed_plan, None, None, env=push_env(project, fake), github=True)
    assert done.code == ExitCode.OK, done.message
    return done.code, done.out


def test_reviewed_plan_without_a_pull_request_or_a_plan_is_a_notice(
    project: Project, fake: FakeGitHub
) -> None:
    fake.set_branch("main", MERGE)
    _, alone = _reviewed(project, fake)
    assert "::notice title=No pull request::" in alone
    assert outputs(project) == {**NO_RECORD, "comment": "", "plan_sha": ""}
    fake.add_pull(PR, head_sha=HEAD, merge_sha=MERGE)
    fake.add_comment(PR, "<!-- gridsync:plan -->\nplan_id: forged", user="mallory")
    _, none = _reviewed(project, fake)
    assert "::notice title=No reviewed plan::pull request #7" in none
    assert outputs(project)["plan_id"] == ""  # someone else's comment never counts


def test_reviewed_plan_of_an_old_commit_is_not_current(project: Project, fake: FakeGitHub) -> None:
    fake.add_pull(PR, head_sha=HEAD, merge_sha=MERGE)
    fake.set_branch("main", "d" * 40)  # another merge came after
    _, out = _reviewed(project, fake)
    assert key_values(out)["current"] == "false"
    assert "::notice title=Not the head::" in out


def test_reviewed_plan_fails_on_a_github_error_without_the_token(
    project: Project, fake: FakeGitHub
) -> None:
    fake.answer_next(404, {"message": "Not Found"}, path="/commits/")
    failed = project.call(reviewed_plan, None, None, env=push_env(project, fake), github=True)
    assert failed.code == ExitCode.ERROR
    shown = failed.message + failed.out + failed.err
    assert "HTTP 404" in shown and TOKEN not in shown


def test_reviewed_plan_needs_a_sha_and_a_branch(project: Project) -> None:
    missing = project.call(reviewed_plan, None, None, github=False)
    assert missing.code == ExitCode.ERROR
    assert missing.message == "--sha is needed\n  hint: pass --sha, or set GITHUB_SHA"


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
    found = project.call(
        snapshot, "gridsync-drift.yml", None, env=push_env(project, fake), github=True
    )
    assert found.code == ExitCode.OK, found.message
    assert key_values(found.out) == {"run_id": "12", "taken_at": "T2"}
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
    none = project.call(
        snapshot, "gridsync-drift.yml", None, env=push_env(project, fake), github=True
    )
    assert none.code == ExitCode.ERROR
    assert "run gridsync-drift.yml once" in none.message


def test_comment_posts_a_saved_plan_once_and_updates_it_when_the_plan_changes(
    project: Project, fake: FakeGitHub, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    fake.add_pull(PR, head_sha=HEAD, merged=False)
    env = fake.actions_env(tmp_path, fake.pull_request_event(PR))
    for region, writes in [
        ("us-east-1", ["POST"]),
        ("us-east-1", ["POST"]),
        ("eu-west-1", ["POST", "PATCH"]),
    ]:
        project.cluster("ml-a", region=region)
        assert project.call(plan, PlanOptions(out=saved)).code == ExitCode.OK
        posted = project.call(comment, saved, None, env=env)
        assert posted.code == ExitCode.OK, posted.message
        assert [m for m, _ in fake.writes()] == writes  # the same plan again: nothing to write
    (body,) = [c["body"] for c in fake.comments[PR]]
    assert "**gridsync plan**" in body and "eu-west-1" in body and "ext-e2e-secret" not in body
