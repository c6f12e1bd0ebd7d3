"""`gridsync drift`: what moved in Grid outside gridsync, and what was merged but not applied.

Exit 2 on either (0 when there is none). With --github, the Markdown report goes to the step
summary and `drifted`, `out_of_band`, `not_applied`, `items` to the step outputs. With --issue, one GitHub issue per project stays open and
current while drift lasts, and is closed when it clears.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from gridsync.backends import open_backend
from gridsync.console import Console
from gridsync.errors import ExitCode
from gridsync.plan.drift import classify
from gridsync.prepare.against import plan_against
from gridsync.prepare.inputs import Target, load_inputs
from gridsync.prepare.memory import own_record, read_memory
from gridsync.render.drift import render_markdown, render_text


class DriftOptions(NamedTuple):
    backend: str | None = None
    issue: bool = False  # keep a GitHub issue open while drift lasts
    markdown: bool = False
    github: bool = False  # the Markdown report in the step summary; drifted and counts as outputs


def drift(target: Target, options: DriftOptions, env: Mapping[str, str], console: Console) -> int:
    inputs = load_inputs(target, env, console)
    settings = inputs.settings
    record = own_record(settings).load()
    memory = read_memory(settings, env, record)
    backend = open_backend(settings, options.backend, env)
    try:
        live = backend.list_clusters()  # one read: the plan and the report see the same state
        plan = plan_against(inputs, backend, env, allow_replace=True, live=live, memory=memory)
    finally:
        backend.close()
    report = classify(plan, live, record)
    console.result(render_markdown(report) if options.markdown else render_text(report))
    if options.github:
        from gridsync.github.outputs import emit_drift

        emit_drift(report, env)
    if options.issue:
        from gridsync.github.api import GitHub
        from gridsync.github.comment import sync_drift_issue

        with GitHub.from_env(env) as github:
            outcome = sync_drift_issue(
                github,
                project=settings.project,
                drifted=report.drifted,
                body=render_markdown(report),
            )
        console.log(f"Drift issue: {outcome}.")
    return ExitCode.CHANGES if report.drifted else ExitCode.OK
