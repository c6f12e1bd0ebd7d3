"""`gridsync reviewed-plan` and `gridsync snapshot-run`: what the apply-on-merge job and the fork
plan job ask GitHub, as step outputs (--github) and `key=value` lines on stdout.

Both read GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_TOKEN (github/api.py); a GitHub API error
is exit 1, everything else (no pull request, no reviewed plan) exit 0 with a notice.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gridsync.console import Console
from gridsync.errors import ExitCode, UsageError
from gridsync.github.actions import Annotation, format_annotation, set_outputs, step_summary
from gridsync.github.api import GitHub
from gridsync.github.context import default_branch
from gridsync.github.review import is_head, reviewed, snapshot_run


def reviewed_plan(
    sha: str | None,
    branch: str | None,
    project: str | None,
    env: Mapping[str, str],
    console: Console,
    *,
    github: bool,
) -> int:
    """pr, plan_id, allow_replace, current, comment and plan_sha of commit `sha` (GITHUB_SHA)."""
    sha = _required(sha or env.get("GITHUB_SHA", ""), "--sha", "GITHUB_SHA")
    branch = _required(branch or env.get("GITHUB_REF_NAME", ""), "--branch", "GITHUB_REF_NAME")
    with GitHub.from_env(env) as client:
        current = is_head(client, branch, sha)
        found = reviewed(client, sha, project)
    record, approval = found.record, found.approval
    values = {
        "pr": str(found.pull.number) if found.pull else "",
        "plan_id": record.plan_id if record else "",
        "allow_replace": "true" if approval is not None and approval.approved else "false",
        "current": "true" if current else "false",
        "comment": record.kind if record else "",
        "plan_sha": record.sha if record else "",
    }
    if found.pull is None:
        _notice(console, github, "No pull request", f"{sha} was pushed without a pull request.")
    elif not values["plan_id"]:
        why = f"pull request #{found.pull.number} has no gridsync plan comment"
        _notice(console, github, "No reviewed plan", f"{why}{_for(project)}.")
    if approval is not None and found.pull is not None:
        console.log(approval.why)
    if not current:
        _notice(console, github, "Not the head", f"{sha} is no longer the head of {branch}.")
    _emit(values, env, console, github=github)
    return ExitCode.OK


def snapshot(
    workflow: str, branch: str | None, env: Mapping[str, str], console: Console, *, github: bool
) -> int:
    """run_id and taken_at of the newest trusted successful run of `workflow`."""
    branch = _required(
        branch or default_branch(env), "--branch", "the event's repository.default_branch"
    )
    with GitHub.from_env(env) as client:
        run = snapshot_run(client, workflow, branch)
    _emit({"run_id": str(run.run_id), "taken_at": run.taken_at}, env, console, github=github)
    if github and env.get("GITHUB_STEP_SUMMARY"):
        step_summary(
            f"Planned against the live snapshot taken at {run.taken_at} (run {run.run_id} of "
            f"{workflow}): clusters changed since then are not seen, and role ARNs and external "
            "ids are not compared.\n",
            Path(env["GITHUB_STEP_SUMMARY"]),
        )
    return ExitCode.OK


def _required(value: str, option: str, source: str) -> str:
    if not value.strip():
        raise UsageError(f"{option} is needed", hint=f"pass {option}, or set {source}")
    return value.strip()


def _for(project: str | None) -> str:
    return f" for project {project}" if project else ""


def _notice(console: Console, github: bool, title: str, message: str) -> None:
    if github:
        console.result(format_annotation(Annotation("notice", message, title=title)))
    else:
        console.log(f"{title}: {message}")


def _emit(
    values: dict[str, str], env: Mapping[str, str], console: Console, *, github: bool
) -> None:
    console.result("".join(f"{key}={value}\n" for key, value in values.items()))
    if github and env.get("GITHUB_OUTPUT"):
        set_outputs(values, Path(env["GITHUB_OUTPUT"]))
