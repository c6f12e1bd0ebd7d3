"""The sticky pull-request comment as the pull request's record: the latest plan, validation
errors, a plan with no changes (the older comment marked outdated), or an apply's result.

The pull request is `--pr`, else the event's (GITHUB_EVENT_PATH), else (for an apply on merge)
the merged pull request of GITHUB_SHA. The review label that approves a replace is read here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from gridsync.console import Console
from gridsync.errors import Diagnostic, ExitCode, GridsyncError, UsageError
from gridsync.github.api import GitHub
from gridsync.github.comment import Record, record_body, upsert_comment
from gridsync.github.context import event_pull, run_info
from gridsync.plan import planfile
from gridsync.plan.changes import Plan

OUTDATED = (
    "> This pull request's earlier plan is **outdated**: the latest plan, below, has no changes."
)


def comment(
    plan_file: Path,
    pr: int | None,
    project: str | None,
    env: Mapping[str, str],
    console: Console,
    *,
    changes_only: bool = False,
) -> int:
    """Post or update the sticky comment from a plan saved with `plan --out`."""
    plan = planfile.load_plan(plan_file)
    post_plan(plan, plan.plan_id, pr, project, env, console, changes_only=changes_only)
    return ExitCode.OK


def post_plan(
    plan: Plan,
    plan_id: str,
    pr: int | None,
    project: str | None,
    env: Mapping[str, str],
    console: Console,
    *,
    changes_only: bool = False,
) -> None:
    """The plan as the comment; with `changes_only`, a plan with no changes posts nothing and
    marks an existing comment outdated instead."""
    if changes_only and not plan.has_changes:
        record = Record("outdated", OUTDATED, plan_id, project, run_info(env), plan=plan)
        _post(record, pr, env, console, create=False)
        return
    _post(Record("plan", "", plan_id, project, run_info(env), plan=plan), pr, env, console)


def post_errors(
    diagnostics: Iterable[Diagnostic],
    pr: int | None,
    project: str | None,
    env: Mapping[str, str],
    console: Console,
) -> None:
    """Validation errors (path:line:col) in place of the plan, until a push fixes them. A
    failure to post is a warning: the caller goes on to report the errors themselves."""
    from gridsync.render.diagnostics import render_markdown

    text = render_markdown(diagnostics)
    try:
        _post(Record("validate", text, "", project, run_info(env)), pr, env, console)
    except GridsyncError as exc:
        console.log(f"warning: the validation errors were not posted on the pull request: {exc}")


def post_failure(
    error: GridsyncError,
    pr: int | None,
    project: str | None,
    env: Mapping[str, str],
    console: Console,
) -> None:
    """Why no plan could be made (a backend refused or unreachable, Terraform failing...), in place
    of an older plan, so the pull request never shows a plan that is no longer true."""
    from gridsync.render.markdown import code_block

    text = "No plan could be made:\n\n" + code_block(str(error))
    try:
        _post(Record("error", text, "", project, run_info(env)), pr, env, console)
    except GridsyncError as exc:
        console.log(f"warning: the error was not posted on the pull request: {exc}")


def post_apply(
    text: str,
    plan_id: str,
    pr: int | None,
    project: str | None,
    env: Mapping[str, str],
    console: Console,
) -> None:
    """An apply's result (or why it did not run) on the pull request it came from."""
    record = Record("apply", text, plan_id, project, run_info(env))
    _post(record, pr, env, console, merged=True)


def _post(
    record: Record,
    pr: int | None,
    env: Mapping[str, str],
    console: Console,
    *,
    create: bool = True,
    merged: bool = False,
) -> None:
    with GitHub.from_env(env) as github:
        number = _number(pr, env, github if merged else None)
        if number is None and merged:
            console.log("No pull request for this commit: the apply result is not posted.")
            return
        if number is None:
            raise UsageError(
                "no pull request to comment on", hint="pass --pr N, or run on a pull_request event"
            )
        body = record_body(record)
        outcome = upsert_comment(github, number, body, project=record.project, create=create)
    what = "nothing to mark outdated" if outcome == "none" else f"{record.kind} comment {outcome}"
    console.log(f"Pull request #{number}: {what}.")


def _number(pr: int | None, env: Mapping[str, str], github: GitHub | None) -> int | None:
    """--pr, else the event's pull request, else (with `github`) the merged one of GITHUB_SHA."""
    if pr is not None:
        return pr
    pull = event_pull(env)
    if pull is not None:
        return pull.number
    sha = env.get("GITHUB_SHA", "").strip()
    if github is None or not sha:
        return None
    from gridsync.github.review import merged_pull

    found = merged_pull(github, sha)
    return found.number if found is not None else None


def replace_approval(env: Mapping[str, str], console: Console) -> str:
    """On a pull request labelled gridsync:allow-replace by someone other than its author, how
    the plan shows the approval ("label gridsync:allow-replace (added by @bob)"); else ""."""
    from gridsync.github.approval import LABEL, label_approval

    pull = event_pull(env)
    if pull is None or LABEL not in pull.labels:
        return ""
    if not env.get("GITHUB_TOKEN", "").strip():
        console.log(
            f"warning: the pull request has the {LABEL} label, but without GITHUB_TOKEN "
            "gridsync cannot check who added it: replaces stay blocked"
        )
        return ""
    with GitHub.from_env(env) as github:
        approval = label_approval(github, pull)
    console.log(("" if approval.approved else "warning: ") + approval.why)
    return approval.text
