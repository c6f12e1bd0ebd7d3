"""GitHub Actions output of a run (`--github`, on when GITHUB_ACTIONS=true), and the sticky
pull-request comment (`gridsync comment`, `plan --comment`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from gridsync.console import Console
from gridsync.errors import Diagnostic, ExitCode, GridsyncError, UsageError
from gridsync.plan.model import Plan
from gridsync.render import markdown


def emit_plan(plan: Plan, env: Mapping[str, str], console: Console) -> None:
    """Annotations for blocked changes, deletes and replaces; the markdown plan in the step
    summary; has_changes, creates, updates, replaces, deletes and plan_id as step outputs."""
    from gridsync.github.actions import (
        annotations_for_plan,
        format_annotations,
        plan_outputs,
        set_outputs,
        step_summary,
    )

    text = format_annotations(annotations_for_plan(plan))
    if text:
        console.command(text)
    if env.get("GITHUB_STEP_SUMMARY"):
        step_summary(markdown.render_plan(plan), Path(env["GITHUB_STEP_SUMMARY"]))
    if env.get("GITHUB_OUTPUT"):
        set_outputs(plan_outputs(plan), Path(env["GITHUB_OUTPUT"]))


def emit_diagnostics(diagnostics: Iterable[Diagnostic], console: Console) -> None:
    from gridsync.github.actions import annotations_for_diagnostics, format_annotations

    text = format_annotations(annotations_for_diagnostics(diagnostics))
    if text:
        console.command(text)


def comment(
    plan_file: Path, pr: int | None, project: str | None, env: Mapping[str, str], console: Console
) -> int:
    """Post or update the sticky comment from a plan saved with `plan --out`."""
    from gridsync.render.json_format import plan_from_dict

    try:
        data = json.loads(plan_file.read_text(encoding="utf-8"))
        plan, plan_id = plan_from_dict(data), str(data["plan_id"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GridsyncError(
            f"{plan_file} is not a gridsync plan: {exc}",
            hint="write one with `gridsync plan --out FILE`",
        ) from exc
    post_comment(plan, plan_id, pr, project, env, console)
    return ExitCode.OK


def post_comment(
    plan: Plan,
    plan_id: str,
    pr: int | None,
    project: str | None,
    env: Mapping[str, str],
    console: Console,
) -> None:
    from gridsync.github.actions import pr_number_from_event
    from gridsync.github.api import GitHub
    from gridsync.github.comment import comment_body, upsert_comment

    number = pr
    if number is None and env.get("GITHUB_EVENT_PATH"):
        number = pr_number_from_event(Path(env["GITHUB_EVENT_PATH"]))
    if number is None:
        raise UsageError(
            "no pull request to comment on", hint="pass --pr N, or run on a pull_request event"
        )
    body = comment_body(markdown.render_plan(plan), plan_id, project=project)
    with GitHub.from_env(env) as github:
        outcome = upsert_comment(github, number, body, project=project)
    console.log(f"Pull request #{number}: plan comment {outcome}.")
