"""Run config files in the plan (pure, no I/O): which files to edit, which cluster each targets,
which deletes they block, and which references point nowhere.

A file bound to a declared cluster (the cluster document's `runs:` globs) gets its
`compute.provider.cluster` set to that cluster's id. Every other file keeps its value, which must
name a declared or live cluster (by name or id). A cluster that run configs still target once the
plan is applied is never deleted by that plan, nor replaced when they name its old id.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from gridsync.config.desired import DesiredState, RunConfig
from gridsync.errors import Diagnostic
from gridsync.live.backend import LiveState
from gridsync.plan.changes import Action, Change, RunEdit
from gridsync.spec import Phase
from gridsync.yamledit import EditError, Written, set_scalar

CLUSTER_PATH = ("compute", "provider", "cluster")
KNOWN_AFTER_APPLY = "(known after apply)"
_ID_KNOWN = (Action.NOOP, Action.UPDATE)


class RunPlan(NamedTuple):
    changes: tuple[
        Change, ...
    ]  # the plan's changes, with deletes and replaces blocked by run configs
    edits: tuple[RunEdit, ...]
    targets: tuple[tuple[str, tuple[str, ...]], ...]
    errors: tuple[Diagnostic, ...]


def plan_runs(desired: DesiredState, live: LiveState, changes: Sequence[Change]) -> RunPlan:
    by_name = {c.name: c for c in changes}
    edits: list[RunEdit] = []
    errors: list[Diagnostic] = []
    for run in desired.runs:
        if run.bound_to is None or run.bound_to not in by_name:
            continue
        try:
            edit = _edit(run, by_name[run.bound_to])
        except EditError as exc:
            errors.append(_cannot_set(run, exc))
            continue
        if edit is not None:
            edits.append(edit)
    targets, unknown = _targets(desired, live, {e.path: e for e in edits})
    errors.extend(unknown)
    runs = {run.path: run for run in desired.runs}
    blocked = tuple(_block(c, _holding(c, targets.get(c.name, ()), runs)) for c in changes)
    return RunPlan(
        blocked,
        tuple(edits),
        tuple(sorted((k, tuple(v)) for k, v in targets.items())),
        tuple(errors),
    )


def unrepointable(desired: DesiredState) -> list[Diagnostic]:
    """The bound files a plan could not re-point, known without live state (`gridsync validate`):
    those whose value is not their cluster's name (the id too, in practice: Grid's id is the
    create name) and that gridsync cannot edit, tried as plan_runs tries a create's edit."""
    errors = []
    for run in desired.runs:
        if not run.edit_due:
            continue
        try:
            set_scalar(run.text, CLUSTER_PATH, KNOWN_AFTER_APPLY, _written(run))
        except EditError as exc:
            errors.append(_cannot_set(run, exc))
    return errors


def _cannot_set(run: RunConfig, exc: EditError) -> Diagnostic:
    message = f"cannot set compute.provider.cluster: {exc.message}"
    return Diagnostic(run.path, exc.line, exc.col, message)


def _written(run: RunConfig) -> Written | None:
    """Where the load read the value: an edit is then one splice there (set_scalar checks it)."""
    return None if run.cluster is None else Written(run.source.line, run.source.col, run.cluster)


def _edit(run: RunConfig, change: Change) -> RunEdit | None:
    known_id = change.cluster_id if change.action in _ID_KNOWN else None
    wanted = known_id if known_id is not None else change.name
    if run.cluster == wanted:
        return (
            None  # right already (a cluster created now gets an id equal to its name in practice)
        )
    after = set_scalar(run.text, CLUSTER_PATH, known_id or KNOWN_AFTER_APPLY, _written(run))
    diff = unified_diff(run.text, after, run.path, run.source.line)
    return RunEdit(run.path, change.name, run.cluster, known_id, diff, run.source)


def unified_diff(before: str, after: str, path: str, line: int = 0) -> str:
    """`difflib.unified_diff` of the two texts' lines (a/ and b/ prefixes), without its sequence
    matching when one line changed and neither version of it is found elsewhere in the other text:
    the one hunk difflib then gives (three lines of context) is written directly. `line`: the
    1-based line that likely changed (checked), else it is looked for."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    changed = _one_changed_line(old, new, line - 1)
    if changed is None:
        lines = difflib.unified_diff(old, new, fromfile=f"a/{path}", tofile=f"b/{path}")
        return "".join(lines)
    first, last = max(0, changed - 3), min(len(old), changed + 4)
    return "".join(
        [
            f"--- a/{path}\n+++ b/{path}\n",
            f"@@ -{_range(first, last)} +{_range(first, last)} @@\n",
            *(" " + line for line in old[first:changed]),
            "-" + old[changed],
            "+" + new[changed],
            *(" " + line for line in old[changed + 1 : last]),
        ]
    )


def _one_changed_line(old: list[str], new: list[str], guess: int) -> int | None:
    """The index of the only line that differs, when difflib's matching cannot pair it otherwise
    (no other line equals either version; difflib treats no line as junk below 200 lines)."""
    if len(old) != len(new) or len(old) >= 200:
        return None
    if (
        0 <= guess < len(old)
        and old[guess + 1 :] == new[guess + 1 :]
        and old[:guess] == new[:guess]
    ):
        changed = [guess] if old[guess] != new[guess] else []
    else:
        changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if len(changed) != 1:
        return None
    (index,) = changed
    if old[index] in new or new[index] in old or not old[index].endswith("\n"):
        return None
    return index


def _range(start: int, stop: int) -> str:
    """A hunk range as difflib writes it (1-based start, then the length unless it is 1)."""
    length = stop - start
    return str(start + 1) if length == 1 else f"{start + 1},{length}"


def _targets(
    desired: DesiredState, live: LiveState, edits: dict[str, RunEdit]
) -> tuple[dict[str, list[str]], list[Diagnostic]]:
    """Cluster name -> files targeting it after the plan; and the references that point nowhere."""
    declared = {c.name for c in desired.clusters}
    names = {c.id: c.name for c in live.clusters} | {c.name: c.name for c in live.clusters}
    targets: dict[str, list[str]] = defaultdict(list)
    unknown: list[Diagnostic] = []
    for run in desired.runs:
        if run.path in edits:
            targets[edits[run.path].cluster].append(run.path)
        elif run.bound_to is not None or run.cluster in declared:
            targets[run.bound_to or str(run.cluster)].append(run.path)
        elif run.cluster in names:
            targets[names[run.cluster]].append(run.path)
        elif run.cluster is not None:
            message = (
                f"'{run.cluster}' is not a declared or live cluster; "
                "Grid would fail the run late. Name a cluster from clusters/ or `gridsync live`, "
                "or bind the file to a cluster with its `runs:` globs"
            )
            unknown.append(
                Diagnostic(
                    run.path, run.source.line, run.source.col, message, "compute.provider.cluster"
                )
            )
    return targets, unknown


def _holding(change: Change, files: Sequence[str], runs: dict[str, RunConfig]) -> list[str]:
    """The files that would point nowhere once `change` is applied.

    A delete strands every file that still targets the cluster. A replace keeps the name, so it
    strands only files that name the old id and that apply does not re-point (bound files get the
    new id); a FAILED cluster runs nothing, so it is replaced whatever points at it."""
    if change.action == Action.DELETE:
        return list(files)
    if change.action != Action.REPLACE or change.live_phase == Phase.FAILED:
        return []
    return [
        path
        for path in files
        if runs[path].bound_to != change.name and runs[path].cluster != change.name
    ]


def _block(change: Change, files: Sequence[str]) -> Change:
    if not files:
        return change
    shown = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
    why = (
        f"run configs still point to '{change.name}': {shown}. Bind them to another cluster "
        "(its `runs:` globs) or point them elsewhere in the same change"
    )
    return change.block(why)
