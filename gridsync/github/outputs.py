"""GitHub Actions output of a run (`--github`, on when GITHUB_ACTIONS=true): annotations, the
step summary and step outputs of plan, validate, apply and drift. The sticky pull-request comment
is commands/pr_comment.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from gridsync.apply.outcome import ApplyResult
from gridsync.console import Console
from gridsync.errors import Diagnostic
from gridsync.plan.changes import Plan
from gridsync.plan.drift import DriftReport
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


def emit_apply(
    plan: Plan | None, result: ApplyResult | None, code: int, text: str, env: Mapping[str, str]
) -> None:
    """`text` (apply_markdown) in the step summary; result, applied, created, updated, replaced,
    deleted, failed, not_attempted and plan_id as step outputs."""
    from gridsync.github.actions import apply_outputs, set_outputs, step_summary

    if env.get("GITHUB_STEP_SUMMARY"):
        step_summary(text, Path(env["GITHUB_STEP_SUMMARY"]))
    if env.get("GITHUB_OUTPUT"):
        set_outputs(apply_outputs(plan, result, code), Path(env["GITHUB_OUTPUT"]))


def apply_markdown(result: ApplyResult | None, code: int, error: str) -> str:
    """What apply did, or (no result) why it did not run: `error` is the message."""
    from gridsync.render.summary import render_refusal_markdown, render_summary_markdown

    if result is not None:
        return render_summary_markdown(result)
    return render_refusal_markdown(code, error)


def emit_drift(report: DriftReport, env: Mapping[str, str]) -> None:
    """The drift report in the step summary; drifted, out_of_band, not_applied, items as outputs."""
    from gridsync.github.actions import drift_outputs, set_outputs, step_summary
    from gridsync.render.drift import render_markdown

    if env.get("GITHUB_STEP_SUMMARY"):
        step_summary(render_markdown(report), Path(env["GITHUB_STEP_SUMMARY"]))
    if env.get("GITHUB_OUTPUT"):
        set_outputs(drift_outputs(report), Path(env["GITHUB_OUTPUT"]))
