"""`gridsync plan`: compare desired with live state and show what apply would do."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from gridsync import statedir
from gridsync.backends import open_backend
from gridsync.config.discover import path_matches
from gridsync.config.project import PROJECT_FILE
from gridsync.confine import is_inside
from gridsync.console import Console
from gridsync.errors import ConfigError, ExitCode, GridsyncError, PlanBlocked, UsageError
from gridsync.escapes import clean
from gridsync.plan import planfile
from gridsync.plan.changes import Note, Plan
from gridsync.plan.diff import Memory, desired_fingerprint
from gridsync.prepare.against import plan_against
from gridsync.prepare.inputs import Inputs, Target, load_inputs, require_files
from gridsync.prepare.memory import own_record, read_memory
from gridsync.render import formats

# GitHub's client and outputs (gridsync.commands.pr_comment, github_out) are imported where
# --github or --comment asks for them: apply imports this module, and a plain plan or apply
# does without them.


class PlanOptions(NamedTuple):
    format: str = formats.DEFAULT
    out: Path | None = None
    detailed_exitcode: bool = False
    allow_replace: bool = False
    backend: str | None = None  # --backend; None: GRIDSYNC_BACKEND, gridsync.yaml, auto
    live: Path | None = None  # --live FILE: plan against a snapshot instead of a backend
    github: bool = False  # annotations, step summary and step outputs (GitHub Actions)
    comment: bool = False  # post the plan as the sticky pull-request comment
    pr: int | None = None  # the pull request to comment on (default: from GITHUB_EVENT_PATH)
    changes_only: bool = False  # comment: post nothing for no changes; mark an older one outdated
    allow_prune_all: bool = False  # --allow-prune-all: a prune may delete every managed cluster


def plan(target: Target, options: PlanOptions, env: Mapping[str, str], console: Console) -> int:
    inputs = _inputs(target, options, env, console)
    require_files(inputs, allow_prune_all=options.allow_prune_all)
    if options.out is not None:
        refuse_project_file(options.out, inputs, options.live)
    memory, note = _memory(inputs, env, snapshot=options.live is not None)
    # On a pull request, the review label approves a replace as --allow-replace does.
    approved_by = ""
    if options.github and not options.allow_replace:
        from gridsync.commands.pr_comment import replace_approval

        approved_by = replace_approval(env, console)
    try:
        result = _plan(inputs, options, env, approved_by, memory)
    except GridsyncError as exc:
        if options.comment:
            from gridsync.commands.pr_comment import post_failure

            post_failure(exc, options.pr, inputs.settings.project, env, console)
        raise
    if note is not None:
        result = replace(result, notes=(note, *result.notes))
    console.results(formats.render_pieces(result, options.format, console.paint))
    if options.github:
        from gridsync.github.outputs import emit_plan

        emit_plan(result, env, console)
    if options.comment:
        from gridsync.commands.pr_comment import post_plan

        project = inputs.settings.project
        post_plan(
            result,
            result.plan_id,
            options.pr,
            project,
            env,
            console,
            changes_only=options.changes_only,
        )
    raise_if_blocked(result)
    if options.out is not None:
        planfile.save(result, options.out, desired_fingerprint(inputs.desired))
        console.log(
            f"Saved the plan to {options.out}; apply it with `gridsync apply {options.out}`."
        )
    if options.detailed_exitcode and result.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK


def refuse_project_file(out: Path, inputs: Inputs, live: Path | None) -> None:
    """--out names a file that is not a saved plan: saving the plan there would replace it (a
    cluster file, a run config, gridsync.yaml, the local control plane's state or the apply record
    under .gridsync/, the --live snapshot, a module, any other file) or add a file the next run
    reads as one (a new path the cluster or run globs match). A saved plan is replaced as it
    always was. Checked before planning, so nothing is written; UsageError naming what it is."""
    settings = inputs.settings
    target = Path(os.path.realpath(out))
    root = Path(os.path.realpath(settings.root))
    what = ""
    if live is not None and target == Path(os.path.realpath(live)):
        what = "the --live snapshot this plan reads"
    elif is_inside(root, target):
        rel = target.relative_to(root).as_posix()
        files, runs = set(inputs.desired.files), {run.path for run in inputs.desired.runs}
        state = Path(os.path.realpath(root / settings.backend.local.state))
        if rel == PROJECT_FILE:
            what = "the project settings"
        elif rel == statedir.NAME or rel.startswith(f"{statedir.NAME}/") or target == state:
            what = "gridsync's own state (the local control plane, the apply record, the lock)"
        elif rel in files or any(path_matches(rel, glob) for glob in settings.cluster_globs):
            what = "a cluster file"
        elif rel in runs or any(path_matches(rel, glob) for glob in settings.run_globs):
            what = "a run config"
    # (click refuses a folder)
    if not what and os.path.lexists(target) and not _is_saved_plan(target):
        what = "a file that is not a saved plan"
    if what:
        raise UsageError(
            f"--out {clean(str(out))} is {what}: a plan saved there would replace it, or be "
            "read as one by the next run",
            hint="save the plan under a new name outside the cluster and run config folders, "
            "e.g. --out plan.json",
        )


def _is_saved_plan(path: Path) -> bool:
    try:
        planfile.load(path)
    except GridsyncError:
        return False
    return True


def _plan(
    inputs: Inputs,
    options: PlanOptions,
    env: Mapping[str, str],
    approved_by: str,
    memory: Memory,
) -> Plan:
    backend = open_backend(inputs.settings, options.backend, env, live_file=options.live)
    try:
        return plan_against(
            inputs,
            backend,
            env,
            allow_replace=options.allow_replace or bool(approved_by),
            snapshot=options.live,
            memory=memory,
            allow_prune_all=options.allow_prune_all,
            approved_by=approved_by,
        )
    finally:
        backend.close()


def _memory(
    inputs: Inputs, env: Mapping[str, str], *, snapshot: bool
) -> tuple[Memory, Note | None]:
    """The apply records and the fleet, as far as plan can read them. Plan never fails on them:
    apply reads them strictly before it changes anything, and refuses what they forbid."""
    settings = inputs.settings
    uses_s3 = bool(settings.lock and settings.lock.startswith("s3://"))
    if snapshot and uses_s3:
        why = "a --live plan reads no S3 object (it has no cloud credentials by design)"
        return Memory(), Note("note", f"the apply record was not read: {why}; apply checks it")
    try:
        return read_memory(settings, env, own_record(settings).load()), None
    except GridsyncError as exc:
        message = (
            f"the apply record could not be read ({exc.message}); protections it remembers are "
            "not shown here, and apply refuses until it can be read"
        )
        return Memory(), Note("warning", message)


def _inputs(
    target: Target, options: PlanOptions, env: Mapping[str, str], console: Console
) -> Inputs:
    """The desired state; with --comment, validation errors also replace the sticky comment."""
    try:
        return load_inputs(target, env, console)
    except ConfigError as exc:
        if options.comment:
            from gridsync.commands.pr_comment import post_errors

            post_errors(exc.diagnostics, options.pr, target.project, env, console)
        raise


def raise_if_blocked(plan: Plan) -> None:
    blocked = plan.blocked
    if blocked:
        reasons = "\n".join(f"  {c.name}: {c.blocked}" for c in blocked)
        raise PlanBlocked(
            f"the plan is blocked by {len(blocked)} safety rule(s); nothing will be applied:\n{reasons}"
        )
