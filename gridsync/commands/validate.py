"""`gridsync validate`: check every desired-state file offline; no credentials, no live state.

In a fleet (gridsync.yaml `projects:`) without --project, every project is validated and every
error of every project is reported before the exit.
"""

from __future__ import annotations

from collections.abc import Mapping

from gridsync.config.desired import DesiredState
from gridsync.config.project import load_project
from gridsync.console import Console
from gridsync.errors import ConfigError, ExitCode
from gridsync.prepare.inputs import Target, inputs_for


def validate(
    target: Target,
    env: Mapping[str, str],
    console: Console,
    *,
    comment: bool = False,
    pr: int | None = None,
) -> int:
    """Validate; with `comment`, errors replace the sticky pull-request comment (path:line)."""
    try:
        return _validate(target, env, console)
    except ConfigError as exc:
        if comment:
            from gridsync.commands.pr_comment import post_errors

            post_errors(exc.diagnostics, pr, target.project, env, console)
        raise


def _validate(target: Target, env: Mapping[str, str], console: Console) -> int:
    top = load_project(target.root, target.project)
    names = [target.project] if target.project or not top.projects else list(top.projects)
    errors: list[ConfigError] = []
    for name in names:
        settings = load_project(target.root, name) if name else top
        try:
            desired = inputs_for(settings, env, console).desired
            _repointable(desired)
        except ConfigError as exc:
            errors.append(exc)
            continue
        where = f"project {name}: " if name and len(names) > 1 else ""
        clusters, files, runs = len(desired.clusters), len(desired.files), len(desired.runs)
        console.result(
            f"OK: {where}{clusters} cluster(s) in {files} file(s) and {runs} run config(s) are valid."
        )
    if errors:
        raise ConfigError([d for e in errors for d in e.diagnostics])
    return ExitCode.OK


def _repointable(desired: DesiredState) -> None:
    """What a plan would refuse in a bound run config is refused here too. The run config editor
    is imported only when a bound file's value is not its cluster's name (an edit is due)."""
    if not any(run.edit_due for run in desired.runs):
        return
    from gridsync.plan.runs import unrepointable

    if errors := unrepointable(desired):
        raise ConfigError(errors)
