"""The lookups behind `reviewed-plan`, `snapshot-run` and the review label, against the fake
GitHub over loopback: pagination, who added a label, which runs are trusted, the record read back
from a comment, and the run context read from the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_github import REPOSITORY, FakeGitHub

from gridsync.errors import GridsyncError
from gridsync.github.api import GitHub
from gridsync.github.approval import LABEL, label_approval, last_labeled_by
from gridsync.github.comment import (
    ReadRecord,
    Record,
    comment_body,
    read_record,
    record_body,
)
from gridsync.github.context import PullRequest, RunInfo, pull_from, run_info, run_url
from gridsync.github.review import is_head, merged_pull, pull_for, reviewed, snapshot_run

HEAD, MERGE = "a" * 40, "b" * 40


# --- the review label -----------------------------------------------------------------------------


def test_a_label_by_someone_else_approves(fake: FakeGitHub, github: GitHub) -> None:
    data = fake.add_pull(7, head_sha=HEAD, user="alice", labels=[LABEL], labeled_by="bob")
    approval = label_approval(github, pull_from(data))  # type: ignore[arg-type]
    assert approval.approved and approval.by == "bob"
    assert approval.text == "label gridsync:allow-replace (added by @bob)"


@pytest.mark.parametrize("author", ["alice", "ALICE"])
def test_the_author_adding_it_is_not_a_review(
    fake: FakeGitHub, github: GitHub, author: str
) -> None:
    data = fake.add_pull(7, head_sha=HEAD, user=author, labels=[LABEL], labeled_by="alice")
    approval = label_approval(github, pull_from(data))  # type: ignore[arg-type]
    assert not approval.approved and "added by its author" in approval.why


def test_a_bot_adding_it_is_not_a_review(fake: FakeGitHub, github: GitHub) -> None:
    data = fake.add_pull(7, head_sha=HEAD, labels=[LABEL], labeled_by="github-actions[bot]")
    approval = label_approval(github, pull_from(data))  # type: ignore[arg-type]
    assert not approval.approved and "bot" in approval.why


def test_the_last_labeled_event_counts(fake: FakeGitHub, github: GitHub) -> None:
    """A reviewer labelled, someone removed it, the author put it back: not approved."""
    fake.add_pull(7, head_sha=HEAD, user="alice", labels=[LABEL], labeled_by="bob")
    fake.remove_label(7, LABEL, actor="bob")
    fake.add_label(7, LABEL, actor="alice")
    events = github.issue_events(7)
    assert [e["event"] for e in events] == ["labeled", "unlabeled", "labeled"]
    assert last_labeled_by(events, LABEL) == "alice"
    assert not label_approval(github, pull_from(fake.pulls[7])).approved  # type: ignore[arg-type]


def test_no_label_asks_nothing(fake: FakeGitHub, github: GitHub) -> None:
    pull = PullRequest(7, "alice", ("other",), HEAD)
    assert not label_approval(github, pull).approved
    assert fake.requests == []


def test_a_label_without_a_labeled_event_is_not_approved(github: GitHub) -> None:
    assert not label_approval(github, PullRequest(7, "alice", (LABEL,), HEAD)).approved


def test_events_are_read_across_pages(fake: FakeGitHub, github: GitHub) -> None:
    fake.add_pull(7, head_sha=HEAD, user="alice")
    for i in range(150):
        fake.add_label(7, f"l{i}", actor="carol")
    fake.add_label(7, LABEL, actor="bob")
    assert last_labeled_by(github.issue_events(7), LABEL) == "bob"
    assert sum(1 for _, path in fake.calls() if path.endswith("/events")) == 2


# --- pull requests, commits and runs --------------------------------------------------------------


def test_the_merged_pull_request_of_a_commit(fake: FakeGitHub, github: GitHub) -> None:
    fake.add_pull(6, head_sha=MERGE, merged=False)  # an open one that shares the commit
    fake.add_pull(7, head_sha=HEAD, merge_sha=MERGE)
    found = merged_pull(github, MERGE)
    assert found is not None and found.number == 7 and found.merged
    assert merged_pull(github, "c" * 40) is None
    assert pull_for(github, HEAD) is not None


def test_reviewed_reads_only_gridsyncs_comment_for_the_project(
    fake: FakeGitHub, github: GitHub
) -> None:
    fake.add_pull(7, head_sha=HEAD, merge_sha=MERGE)
    fake.add_comment(7, comment_body("### Plan", "forged1", project="prod"), user="mallory")
    fake.add_comment(7, comment_body("### Plan", "research1", project="research"))
    fake.add_comment(7, comment_body("### Plan", "prod1", project="prod", run=RunInfo(sha=HEAD)))
    found = reviewed(github, MERGE, "prod")
    assert found.record == ReadRecord("plan", HEAD, "prod1")
    assert found.approval is not None and not found.approval.approved


def test_is_head(fake: FakeGitHub, github: GitHub) -> None:
    fake.set_branch("main", MERGE)
    assert is_head(github, "main", MERGE)
    assert not is_head(github, "main", HEAD)


def test_snapshot_run_skips_untrusted_runs_across_pages(fake: FakeGitHub, github: GitHub) -> None:
    fake.add_workflow_run("gridsync-drift.yml", event="schedule", run_id=5, run_started_at="T5")
    for i in range(120):  # newer runs a pull request or a fork started
        event = "pull_request" if i % 2 else "schedule"
        fake.add_workflow_run("gridsync-drift.yml", event=event, head_repository="fork/infra")
    run = snapshot_run(github, "gridsync-drift.yml", "main")
    assert (run.run_id, run.taken_at) == (5, "T5")


def test_snapshot_run_on_another_branch_is_not_used(fake: FakeGitHub, github: GitHub) -> None:
    fake.add_workflow_run("gridsync-drift.yml", event="workflow_dispatch", branch="feature")
    with pytest.raises(GridsyncError, match=r"no successful gridsync-drift\.yml run on main"):
        snapshot_run(github, "gridsync-drift.yml", "main")


# --- the record, written and read back ------------------------------------------------------------


def test_a_record_round_trips() -> None:
    run = RunInfo(sha=HEAD, run_url="https://github.com/acme/infra/actions/runs/9")
    body = record_body(Record("apply", "### Apply complete", "abc123", "prod", run))
    lines = body.split("\n")
    assert lines[0] == "<!-- gridsync:plan project=prod -->"
    assert lines[1] == f"<!-- gridsync:record kind=apply sha={HEAD} -->"
    assert lines[3] == (
        f"**gridsync apply** · project prod · commit `{HEAD}` · "
        "[workflow run](https://github.com/acme/infra/actions/runs/9)"
    )
    assert read_record(body) == ReadRecord("apply", HEAD, "abc123")


def test_a_comment_from_before_the_record_line_is_a_plan() -> None:
    assert read_record("<!-- gridsync:plan -->\n\n### Plan\n\nplan_id: 0123abcd\n") == ReadRecord(
        "plan", "", "0123abcd"
    )
    assert read_record("<!-- gridsync:plan -->\nhello") is None
    assert read_record(None) is None


def test_validation_errors_carry_no_plan_id() -> None:
    body = record_body(Record("validate", "**1 error**"))
    assert read_record(body) == ReadRecord("validate", "", "")
    assert "plan_id" not in body


def test_run_info_prefers_the_pull_requests_head(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": HEAD}}}))
    env = {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": MERGE,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": "77",
    }
    assert run_info(env) == RunInfo(HEAD, f"https://github.com/{REPOSITORY}/actions/runs/77")
    event.write_text("{}")
    assert run_info(env).sha == MERGE


@pytest.mark.parametrize(
    "server, run_id",
    [
        ("https://evil.example/x) [click](https://evil", "1"),
        ("javascript:alert(1)", "1"),
        ("https://github.com", "1; rm"),
    ],
)
def test_a_run_url_that_github_would_not_set_is_left_out(server: str, run_id: str) -> None:
    env = {"GITHUB_SERVER_URL": server, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_RUN_ID": run_id}
    assert run_url(env) == ""


def test_a_sha_that_is_not_one_is_left_out() -> None:
    assert run_info({"GITHUB_SHA": "`; <b>"}).sha == ""
