"""The plan as terminal text: what `gridsync plan` prints by default.

Deterministic; coloured only through an enabled `Painter` (gridsync.painter). The last line is always the summary,
`Plan: N to create, N to update, N to replace, N to delete.`
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gridsync.escapes import clean, is_plain
from gridsync.painter import PLAIN, Painter, Style
from gridsync.plan.changes import Action, Change, ContextChange, FieldChange, Plan, RunEdit
from gridsync.render.common import (
    ACTION_COLORS,
    FORCES_REPLACEMENT,
    KIND_COLORS,
    SYMBOLS,
    FieldKind,
    ShownField,
    blocked_text,
    context_move,
    headline,
    is_provisioning,
    listed_changes,
    no_changes_text,
    once_per_field,
    provisioning_text,
    run_edit_target,
    run_edits_line,
    shortened_list,
    show_field,
    shown_fields,
    summary_line,
    teardown_text,
    terraform_text,
    unchanged_count,
    unchanged_text,
)
from gridsync.spec import Source

HEADER_WIDTH = 64  # where the source column starts on a header line (further right if needed)
FIELD_INDENT = " " * 6
NL = "\n"


def render_plan(plan: Plan, paint: Painter = PLAIN) -> str:
    return "".join(plan_pieces(plan, paint))


def plan_pieces(plan: Plan, paint: Painter = PLAIN) -> Iterator[str]:
    """The text plan a section at a time (a blank line between two, every line without trailing
    spaces), for a writer that need not hold all of it: a plan of 12,000 run config edits is
    200,000 lines, three times their size again as line strings and the joined text."""
    first = True
    for lines in _sections(plan, paint):
        if lines:
            yield ("" if first else "\n") + (lines if isinstance(lines, str) else _joined(lines))
            first = False


def _sections(plan: Plan, paint: Painter) -> Iterator[list[str] | str]:
    """Each section's lines, or its text when it is made whole (a run config edit's)."""
    yield [paint(f"gridsync plan against {clean(plan.backend)}", Style.BOLD)]
    if not plan.has_changes:
        yield [no_changes_text(plan)]
    for change in listed_changes(plan):
        yield _change_lines(change, paint)
    for edit in plan.run_edits:
        yield _run_edit_text(edit, paint)
    if plan.context is not None:
        yield [_context_line(plan.context, paint)]
    yield _run_target_lines(plan)
    yield _footer_lines(plan, paint)
    yield _total_lines(plan, paint)


def _joined(lines: list[str]) -> str:
    """The lines, each without trailing spaces (a line may hold several), and a final newline."""
    out: list[str] = []
    for line in lines:
        if "\n" in line:
            out.extend(part.rstrip() for part in line.split("\n"))
        else:
            out.append(line.rstrip())
    return "\n".join(out) + "\n"


def _symbol(symbol: str, color: Style | None, paint: Painter) -> str:
    """The action symbol, right-aligned in three columns."""
    return " " * (3 - len(symbol)) + paint(symbol, color)


def _with_source(line: str, plain_len: int, source: Source | None) -> str:
    """The line with the source right of it, from column HEADER_WIDTH when the line is shorter."""
    if source is None:
        return line
    return f"{line}{' ' * max(HEADER_WIDTH - plain_len, 2)}{clean(str(source))}"


def _change_lines(change: Change, paint: Painter) -> list[str]:
    name, symbol = clean(change.name), SYMBOLS[change.action]
    if is_provisioning(change):
        return [f"{_symbol(symbol, None, paint)} {name}  ({provisioning_text(change)})"]
    rest = clean(headline(change))
    head = (
        f"{_symbol(symbol, ACTION_COLORS[change.action], paint)} {paint(name, Style.BOLD)}  {rest}"
    )
    lines = [_with_source(head, 4 + len(name) + 2 + len(rest), change.source)]
    if change.terraform is not None:
        lines.append(FIELD_INDENT + paint(clean(terraform_text(change.terraform)), Style.BOLD))
    if change.action == Action.CREATE:
        lines.extend(_create_lines(change.fields))
    else:
        lines.extend(_field_lines(shown_fields(change.fields), change.action, paint))
    for why in change.blocks:
        lines.append(FIELD_INDENT + paint(f"blocked: {clean(why)}", Style.RED))
    if change.approved:
        lines.append(FIELD_INDENT + f"approved by {clean(change.approved)}")
    return lines


def _field_lines(fields: Sequence[ShownField], action: Action, paint: Painter) -> list[str]:
    """One line per field, values aligned; a create lists its fields without +/-/~ markers."""
    marked = action != Action.CREATE
    width = max((len(f.name) for f in fields), default=0) + 1
    lines = []
    for field in fields:
        label = f"{field.name}:".ljust(width)
        if marked:
            label = f"{paint(field.kind.value, KIND_COLORS[field.kind])} {label}"
        lines.append(f"{FIELD_INDENT}{label} {_field_value(field)}")
    return lines


def _create_lines(fields: Sequence[FieldChange]) -> list[str]:
    """A create's field lines (_field_lines without markers, so without colour): a line depends
    on the field and the column width alone, and a fleet's creates repeat their fields (Grid's
    default instance types, regions), so each (field, width) is formatted once."""
    width = max((len(clean(f.field)) for f in fields), default=0) + 1
    return [_create_line(field, width) for field in fields]


@once_per_field
def _create_line(field: FieldChange, width: int) -> str:
    shown = show_field(field)
    return f"{FIELD_INDENT}{f'{shown.name}:'.ljust(width)} {_field_value(shown)}"


def _field_value(field: ShownField) -> str:
    if field.kind == FieldKind.ADDED or field.masked:
        value = field.after
    elif field.kind == FieldKind.REMOVED:
        value = field.before
    else:
        value = f"{field.before} -> {field.after}"
    return f"{value} {FORCES_REPLACEMENT}" if field.forces_replace else value


def _context_line(context: ContextChange, paint: Painter) -> str:
    text = f"cluster context: {clean(context_move(context))}"
    head = f"{_symbol(SYMBOLS[Action.UPDATE], Style.YELLOW, paint)} {text}"
    return _with_source(head, 4 + len(text), context.source)


def _run_edit_text(edit: RunEdit, paint: Painter) -> str:
    """A run config edit's section: its header, then its unified diff, coloured by line.

    Uncoloured, a diff whose every row is already what `clean` and `_joined` make of it
    (printable ASCII, no trailing blank) is indented in one piece: a plan shows thousands of
    them, and row by row took a tenth of such a plan's time."""
    diff = edit.diff
    if paint.enabled or not _plain_rows(diff):
        return _joined(_run_edit_lines(edit, paint))
    head = _run_edit_head(edit, paint).rstrip()
    return f"{head}\n{FIELD_INDENT}{diff[:-1].replace(NL, NL + FIELD_INDENT)}\n"


def _plain_rows(diff: str) -> bool:
    """Whether every row of `diff` is printable ASCII without a trailing blank, the last ended."""
    return diff.endswith(NL) and " \n" not in diff and is_plain("".join(diff.split(NL)))


def _run_edit_head(edit: RunEdit, paint: Painter) -> str:
    head = f"{_symbol(SYMBOLS[Action.UPDATE], Style.YELLOW, paint)} {paint(clean(edit.path), Style.BOLD)}"
    target = f"  compute.provider.cluster -> {clean(run_edit_target(edit))}"
    return _with_source(head + target, 4 + len(edit.path) + len(target), edit.source)


def _run_edit_lines(edit: RunEdit, paint: Painter) -> list[str]:
    lines = [_run_edit_head(edit, paint)]
    if not paint.enabled:
        lines.extend(FIELD_INDENT + clean(row) for row in edit.diff.splitlines())
        return lines
    for row in edit.diff.splitlines():
        color = Style.GREEN if row.startswith("+") else Style.RED if row.startswith("-") else None
        lines.append(
            FIELD_INDENT + paint(clean(row), None if row.startswith(("+++", "---")) else color)
        )
    return lines


def _run_target_lines(plan: Plan) -> list[str]:
    if not plan.run_targets:
        return []
    lines = ["Run configs by cluster (after this plan):"]
    for cluster, paths in plan.run_targets:
        lines.append(f"  {clean(cluster)}: {clean(shortened_list(paths))}")
    return lines


def _footer_lines(plan: Plan, paint: Painter) -> list[str]:
    lines = []
    if plan.terminating:
        lines.append(f"Being torn down (terminating): {clean(teardown_text(plan))}")
    if plan.unmanaged:
        names = ", ".join(clean(name) for name in plan.unmanaged)
        lines.append(f"Unmanaged clusters (left alone): {names}")
    for note in plan.notes:
        where = f"{clean(str(note.source))}: " if note.source else ""
        severity = paint(
            f"{clean(note.severity)}:", Style.YELLOW if note.severity == "warning" else None
        )
        lines.append(f"{severity} {where}{clean(note.message)}")
    return lines


def _total_lines(plan: Plan, paint: Painter) -> list[str]:
    lines = []
    if plan.has_changes and unchanged_count(plan):
        lines.append(unchanged_text(plan))
    if plan.blocked:
        lines.append(paint(f"Blocked: {blocked_text(plan)}", Style.RED))
    if plan.run_edits:
        lines.append(run_edits_line(plan))
    lines.append(paint(summary_line(plan), Style.BOLD))
    return lines
