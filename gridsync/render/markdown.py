"""The plan as GitHub-flavoured Markdown, for a pull-request comment.

A summary heading, a warning line naming every delete and replace, a table of the changes (deletes
and replaces first), one collapsed ```diff block per change, then the context change, unmanaged
clusters and notes. No ANSI, no trailing spaces; every piece of text that
comes from outside is escaped for where it lands (table cell, HTML summary, fenced block).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from typing import NamedTuple

from gridsync.escapes import clean, md_escape
from gridsync.painter import PLAIN, Painter
from gridsync.plan.changes import Action, Change, Note, Plan, RunEdit
from gridsync.render.common import (
    FORCES_REPLACEMENT,
    SYMBOLS,
    FieldKind,
    ShownField,
    blocked_text,
    context_move,
    headline,
    is_provisioning,
    listed_changes,
    no_changes_text,
    plural,
    provisioning_text,
    run_edit_target,
    run_edits_line,
    shortened_list,
    shown_fields,
    summary_line,
    teardown_text,
    terraform_text,
    unchanged_count,
)

BLOCKED_MARK = "⛔"
WARNING_MARK = "⚠️"
APPROVED_MARK = "✅"
_DESTRUCTIVE = (Action.DELETE, Action.REPLACE)
_NAMED = 10  # destructive changes named in the warning line; the rest are counted
_BACKTICKS = re.compile(r"`+")


class Shortening(NamedTuple):
    """What a shortened Markdown plan keeps, chosen on the plan (gridsync.github.fit fits a
    comment with it): of the changes that are not critical (critical: a delete, a replace or a
    blocked change), the first `rows` table rows and the first `blocks` detail blocks (run config
    edits count as blocks); of the critical ones, the first `critical_blocks` blocks (every
    critical row is always kept). None keeps all. A note counts what is left out, with `hint`
    saying where the whole plan is."""

    rows: int | None = None
    blocks: int | None = None
    critical_blocks: int | None = None
    hint: str = ""


WHOLE = Shortening()


def render_plan(plan: Plan, paint: Painter = PLAIN) -> str:
    return render_shortened(plan, WHOLE)


def render_shortened(plan: Plan, keep: Shortening) -> str:
    """The plan as Markdown with only what `keep` keeps, and notes counting the rest."""
    sections = [_heading(plan)]
    if plan.blocked:
        sections.append(f"> {BLOCKED_MARK} **Blocked:** {md_escape(blocked_text(plan))}")
    if not plan.has_changes:
        sections.append(md_escape(no_changes_text(plan)))
    listed = destructive_first(listed_changes(plan))
    warning = _destructive_warning(listed)
    if warning:
        sections.append(warning)
    if listed:
        rows = _kept(listed, keep.rows, None)
        sections.append(_table(rows))
        if len(rows) < len(listed):
            sections.append(f"> … {plural(len(listed) - len(rows), 'more table row')} not shown")
    blocks = _blocks(plan, listed, keep)
    sections.extend(blocks)
    shown = sum(c.action != Action.NOOP for c in listed) + len(plan.run_edits)
    if len(blocks) < shown:
        hint = f": {md_escape(keep.hint)}" if keep.hint else ""
        sections.append(f"> … {plural(shown - len(blocks), 'more change')} not shown{hint}")
    sections.extend(_footer(plan))
    text = "\n\n".join(sections)
    return "\n".join(line.rstrip() for line in text.split("\n")) + "\n"


def is_critical(change: Change) -> bool:
    """What a shortened plan keeps first: deletes, replaces and blocked changes."""
    return change.action in _DESTRUCTIVE or bool(change.blocked)


def _kept(
    changes: Sequence[Change], others: int | None, critical: int | None
) -> tuple[Change, ...]:
    """`changes` in order, keeping the first `critical` critical ones and `others` of the rest."""
    kept, seen = [], {True: 0, False: 0}
    for change in changes:
        most = critical if is_critical(change) else others
        if most is None or seen[is_critical(change)] < most:
            kept.append(change)
        seen[is_critical(change)] += 1
    return tuple(kept)


def _blocks(plan: Plan, listed: Sequence[Change], keep: Shortening) -> list[str]:
    """The detail blocks kept: of the changes, then of the run config edits (after the changes
    that are not critical, in the same count)."""
    changes = [c for c in listed if c.action != Action.NOOP]
    edits = plan.run_edits
    if keep.blocks is not None:
        edits = edits[: max(0, keep.blocks - sum(not is_critical(c) for c in changes))]
    kept = _kept(changes, keep.blocks, keep.critical_blocks)
    return [*(_details(c) for c in kept), *(_run_edit(edit) for edit in edits)]


def destructive_first(changes: Sequence[Change]) -> tuple[Change, ...]:
    """Deletes and replaces first (in their order), then the rest."""
    first = [c for c in changes if c.action in _DESTRUCTIVE]
    return (*first, *(c for c in changes if c.action not in _DESTRUCTIVE))


def _destructive_warning(changes: Sequence[Change]) -> str:
    """`> ⚠️ **1 to delete, 1 to replace:** ml-old, ml-research (review these first)`."""
    destructive = [c for c in changes if c.action in _DESTRUCTIVE]
    if not destructive:
        return ""
    tally = {a: sum(c.action == a for c in destructive) for a in _DESTRUCTIVE}
    counts = [f"{n} to {a.value}" for a, n in tally.items() if n]
    names = [md_escape(c.name) for c in destructive[:_NAMED]]
    more = len(destructive) - _NAMED
    listed = ", ".join(names) + (f" and {more} more" if more > 0 else "")
    return f"> {WARNING_MARK} **{', '.join(counts)}:** {listed} (review these first)"


def _html(text: str) -> str:
    return html.escape(clean(text), quote=False)


def _heading(plan: Plan) -> str:
    lines = [f"### {summary_line(plan)}", "", f"Live state: {md_escape(plan.backend)}."]
    if plan.has_changes and unchanged_count(plan):
        lines[-1] += f" {plural(unchanged_count(plan), 'cluster')} unchanged."
    return "\n".join(lines)


def _table(changes: Sequence[Change]) -> str:
    rows = ["| | Cluster | Action | Details |", "|---|---|---|---|"]
    rows.extend(_row(change) for change in changes)
    return "\n".join(rows)


@functools.lru_cache(maxsize=8192)  # a shortened plan is rendered a few times (github/fit.py)
def _row(change: Change) -> str:
    symbol = f"`{SYMBOLS[change.action]}`"
    cells = [symbol, md_escape(change.name), change.action.value, _details_cell(change)]
    return f"| {' | '.join(cells)} |"


def _details_cell(change: Change) -> str:
    if is_provisioning(change):
        return md_escape(provisioning_text(change))
    tf = terraform_text(change.terraform) if change.terraform else ""
    parts = [md_escape(part) for part in (change.reason, tf, str(change.source or "")) if part]
    if change.blocked:
        parts.append(f"{BLOCKED_MARK} blocked: {md_escape(change.blocked)}")
    if change.approved:
        parts.append(f"{APPROVED_MARK} approved by {md_escape(change.approved)}")
    return " · ".join(parts)


@functools.lru_cache(maxsize=8192)
def _details(change: Change) -> str:
    summary = f"<code>{SYMBOLS[change.action]}</code> <b>{_html(change.name)}</b> {_html(headline(change))}"
    body = _diff_lines(change)
    fence = _fence(body)
    lines = [f"<details><summary>{summary}</summary>", ""]
    if change.blocked:
        lines += [f"{BLOCKED_MARK} **Blocked:** {md_escape(change.blocked)}", ""]
    if change.approved:
        lines += [f"{APPROVED_MARK} **Approved** by {md_escape(change.approved)}", ""]
    lines += [f"{fence}diff", *body, fence, "", "</details>"]
    return "\n".join(lines)


def _diff_lines(change: Change) -> list[str]:
    if change.action == Action.DELETE:
        ident = f" (id: {clean(change.cluster_id)})" if change.cluster_id else ""
        return [f"- {clean(change.name)}{ident}"]
    if not change.fields:
        return ["  (no managed field differs)"]
    fields = shown_fields(change.fields)
    width = max(len(f.name) for f in fields) + 1
    lines: list[str] = []
    for field in fields:
        lines.extend(_field_diff(field, width))
    return lines


def _field_diff(field: ShownField, width: int) -> list[str]:
    label = f"{field.name}:".ljust(width)
    if field.masked:
        lines = [f"! {label} {field.after}"]
    elif field.kind == FieldKind.ADDED:
        lines = [f"+ {label} {field.after}"]
    elif field.kind == FieldKind.REMOVED:
        lines = [f"- {label} {field.before}"]
    else:
        lines = [f"- {label} {field.before}", f"+ {label} {field.after}"]
    if field.forces_replace:
        lines[-1] += f" {FORCES_REPLACEMENT}"
    return lines


def _run_edit(edit: RunEdit) -> str:
    """A run config edit: its unified diff, which already has +/- in column 0."""
    summary = f"<code>~</code> <b>{_html(edit.path)}</b> compute.provider.cluster → {_html(run_edit_target(edit))}"
    body = [clean(row) for row in edit.diff.splitlines()]
    fence = _fence(body)
    return "\n".join(
        [
            f"<details><summary>{summary}</summary>",
            "",
            f"{fence}diff",
            *body,
            fence,
            "",
            "</details>",
        ]
    )


def code_block(text: str) -> str:
    """`text` verbatim in a fenced block no line of it can close."""
    lines = text.splitlines()
    fence = _fence(lines)
    return "\n".join([fence, *lines, fence]) + "\n"


def _fence(body: Sequence[str]) -> str:
    """A backtick fence longer than any backtick run in the body (at least three)."""
    longest = max((len(run) for line in body for run in _BACKTICKS.findall(line)), default=0)
    return "`" * max(3, longest + 1)


def _footer(plan: Plan) -> list[str]:
    sections = []
    if plan.context is not None:
        where = f" ({md_escape(str(plan.context.source))})" if plan.context.source else ""
        sections.append(f"**Cluster context:** {md_escape(context_move(plan.context))}{where}")
    if plan.terminating:
        sections.append(f"**Being torn down (terminating):** {md_escape(teardown_text(plan))}")
    if plan.unmanaged:
        names = ", ".join(md_escape(name) for name in plan.unmanaged)
        sections.append(f"**Unmanaged clusters (left alone):** {names}")
    if plan.run_edits:
        sections.append(f"**{run_edits_line(plan)}**")
    if plan.run_targets:
        rows = ["**Run configs by cluster (after this plan):**", ""]
        rows += [f"- {md_escape(c)}: {md_escape(shortened_list(p))}" for c, p in plan.run_targets]
        sections.append("\n".join(rows))
    if plan.notes:
        sections.append("\n".join(_note_line(note) for note in plan.notes))
    return sections


def _note_line(note: Note) -> str:
    where = f"{md_escape(str(note.source))}: " if note.source else ""
    return f"- **{md_escape(note.severity)}:** {where}{md_escape(note.message)}"
