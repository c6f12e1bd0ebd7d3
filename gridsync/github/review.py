"""What the apply on merge and the fork plan ask GitHub, in place of the workflows' `gh api` + jq:
the merged pull request of a commit, the plan reviewed on it, whether a commit is still its
branch's head, and the newest trusted run of the drift workflow (the live snapshot for forks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from gridsync.errors import GridsyncError
from gridsync.github.api import GitHub
from gridsync.github.approval import Approval, label_approval
from gridsync.github.comment import ReadRecord, find_comment, read_record
from gridsync.github.context import PullRequest, pull_from

DRIFT_WORKFLOW = "gridsync-drift.yml"
TRUSTED_EVENTS = ("schedule", "workflow_dispatch")  # never an event a pull request can start


class Reviewed(NamedTuple):
    """The pull request a commit came from and what was reviewed on it."""

    pull: PullRequest | None
    record: ReadRecord | None = None
    approval: Approval | None = None


class SnapshotRun(NamedTuple):
    run_id: int
    taken_at: str  # when the run started (run_started_at), as GitHub says it


def merged_pull(github: GitHub, sha: str) -> PullRequest | None:
    """The merged pull request commit `sha` came from (its merge or head commit); None when
    `sha` was pushed without one."""
    for data in github.commit_pulls(sha):
        pull = pull_from(data)
        if pull is not None and pull.merged:
            return pull
    return None


def pull_for(github: GitHub, sha: str) -> PullRequest | None:
    """The pull request of commit `sha`: the merged one, else an open one whose head it is."""
    pulls = [p for p in (pull_from(d) for d in github.commit_pulls(sha)) if p is not None]
    merged = [p for p in pulls if p.merged]
    heads = [p for p in pulls if p.head_sha == sha]
    found = merged or heads
    return found[0] if found else None


def reviewed(github: GitHub, sha: str, project: str | None) -> Reviewed:
    """The merged pull request of `sha`, gridsync's own sticky comment on it (for `project`) read
    back, and whether a replace was approved on it by the review label."""
    pull = merged_pull(github, sha)
    if pull is None:
        return Reviewed(None)
    comment = find_comment(github, pull.number, project=project)
    record = read_record(comment.get("body")) if comment is not None else None
    return Reviewed(pull, record, label_approval(github, pull))


def is_head(github: GitHub, branch: str, sha: str) -> bool:
    """Whether `sha` is still the head commit of `branch`."""
    return github.commit_sha(branch).casefold() == sha.casefold()


def snapshot_run(github: GitHub, workflow: str, branch: str) -> SnapshotRun:
    """The newest successful run of `workflow` on `branch` started by its schedule or by hand in
    this repository: never a run a pull request (or a fork) could have started."""
    params = {"branch": branch, "status": "success"}
    for run in github.workflow_runs(workflow, params):
        if _trusted(run, github.repository, branch):
            return SnapshotRun(int(run["id"]), str(run.get("run_started_at") or ""))
    raise GridsyncError(
        f"no successful {workflow} run on {branch} started by schedule or workflow_dispatch",
        hint=f"run {workflow} once (Actions, the workflow, Run workflow): it publishes the snapshot",
    )


def _trusted(run: Mapping[str, Any], repository: str, branch: str) -> bool:
    head = run.get("head_repository")
    name = head.get("full_name") if isinstance(head, dict) else None
    return (
        run.get("event") in TRUSTED_EVENTS
        and run.get("conclusion") == "success"
        and run.get("head_branch") == branch
        and isinstance(name, str)
        and name.casefold() == repository.casefold()
        and isinstance(run.get("id"), int)
    )
