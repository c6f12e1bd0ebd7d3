"""What every plan renderer shares: labels, counts, value formatting, masking and ANSI colour.

Renderers read `Change.fields` (masked here where `sensitive`) and never `Change.desired`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

from gridsync.escapes import clean as clean  # re-exported: every renderer escapes with it
from gridsync.painter import Style
from gridsync.plan.changes import (
    ACTION_ORDER,
    Action,
    Change,
    ContextChange,
    FieldChange,
    Plan,
    RunEdit,
    TerraformStep,
    Value,
)
from gridsync.plan.contract import SENSITIVE as SENSITIVE  # the plan's contract: masked values
from gridsync.plan.contract import masked as masked
from gridsync.plan.contract import summary_counts as summary_counts
from gridsync.spec import field_of, short_phase

SENSITIVE_CHANGED = "(sensitive value changed)"
KNOWN_AFTER_APPLY = "(known after apply)"
NO_CONTEXT = "(none)"
ABSENT = "(none)"
FORCES_REPLACEMENT = "(forces replacement)"

SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.NOOP: "=",
}
VERBS = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.REPLACE: "must be replaced",
    Action.DELETE: "will be deleted",
    Action.NOOP: "is unchanged",
}
# Counted in the summary line, in this order (no-op is not part of it).
SUMMARY_ACTIONS = tuple(a for a in ACTION_ORDER if a != Action.NOOP)

# --- counts and labels -------------------------------------------------------------------------


def summary_line(plan: Plan) -> str:
    """`Plan: 1 to create, 0 to update, 0 to replace, 2 to delete.`"""
    counts = plan.count()
    parts = [f"{counts[action]} to {action.value}" for action in SUMMARY_ACTIONS]
    return f"Plan: {', '.join(parts)}."


def terraform_text(step: TerraformStep) -> str:
    """`Terraform: 3 to add, ... (terraform apply first)` for a cluster's Terraform step."""
    if step.apply:
        return f"{step.summary} (terraform apply first)"
    if step.destroy:
        return f"{step.summary} (terraform destroy once the cluster is gone)"
    return step.summary


def run_edit_target(edit: RunEdit) -> str:
    """What a run config will point to: the cluster id, or the name while the id is unknown."""
    return edit.after_id or f"{edit.cluster} {KNOWN_AFTER_APPLY}"


def run_edits_line(plan: Plan) -> str:
    return f"Run configs: {len(plan.run_edits)} to edit."


def shortened_list(items: Sequence[str], most: int = 10) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def unchanged_count(plan: Plan) -> int:
    return plan.count()[Action.NOOP]


def no_changes_text(plan: Plan) -> str:
    count = unchanged_count(plan)
    verb = "matches" if count == 1 else "match"
    return f"No changes. {plural(count, 'declared cluster')} {verb} live state."


def blocked_text(plan: Plan) -> str:
    """One sentence for a plan with blocked changes ("" when none is blocked)."""
    count = len(plan.blocked)
    if not count:
        return ""
    verb = "breaks" if count == 1 else "break"
    return f"{plural(count, 'change')} {verb} a safety rule; apply will refuse this plan."


def teardown_text(plan: Plan) -> str:
    """The clusters being torn down, each saying whether apply waits for it."""
    return ", ".join(
        f"{t.name} (deleted by gridsync; apply waits until it is gone)"
        if t.by_gridsync
        else f"{t.name} (not deleted by this project's applies; left to finish)"
        for t in plan.terminating
    )


def unchanged_text(plan: Plan) -> str:
    return f"{plural(unchanged_count(plan), 'cluster')} unchanged."


def is_provisioning(change: Change) -> bool:
    """A no-op whose live cluster is still being provisioned (apply waits for it)."""
    return change.action == Action.NOOP and change.waits


def provisioning_text(change: Change) -> str:
    return f"provisioning: {short_phase(change.live_phase or '')}; apply waits for it"


def listed_changes(plan: Plan) -> tuple[Change, ...]:
    """The changes shown one by one: every non-NOOP change and every provisioning NOOP."""
    return tuple(c for c in plan.changes if c.action != Action.NOOP or is_provisioning(c))


def headline(change: Change) -> str:
    """`will be deleted: undeclared; prune is on` (the verb, then the reason if any)."""
    verb = VERBS[change.action]
    return f"{verb}: {change.reason}" if change.reason else verb


def context_move(context: ContextChange) -> str:
    """`prod-2 -> ml-prod-use1`, with `(known after apply)` when the new id is not known yet."""
    text = f"{context.before or NO_CONTEXT} -> {context.after}"
    return f"{text} {KNOWN_AFTER_APPLY}" if context.after_id is None else text


# --- values ------------------------------------------------------------------------------------


def is_raw(field: FieldChange) -> bool:
    """Whether the field's values are shown as text (an instance type's description)."""
    row = field_of(field.field)
    return row is not None and row.raw


# json.dumps(value, ensure_ascii=False), without building an encoder for every value.
_JSON = json.JSONEncoder(ensure_ascii=False).encode


def format_value(value: Value, *, raw: bool = False) -> str:
    """A value as shown to people: strings JSON-quoted (unless `raw`), booleans `true`/`false`."""
    if value is None:
        return ABSENT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return clean(value if raw else _JSON(value))


class FieldKind(StrEnum):
    ADDED = "+"
    REMOVED = "-"
    CHANGED = "~"


class ShownField(NamedTuple):
    """A FieldChange made safe to show: masked, formatted, classified."""

    kind: FieldKind
    name: str
    before: str  # "" when ADDED or masked
    after: str  # "" when REMOVED
    forces_replace: bool = False
    masked: bool = False  # a sensitive value changed: `after` is SENSITIVE_CHANGED, no before


def show_field(field: FieldChange) -> ShownField:
    name, forces = clean(field.field), field.forces_replace
    if field.known_after_apply:
        return ShownField(FieldKind.ADDED, name, "", KNOWN_AFTER_APPLY, forces)
    kind = _kind(field)
    if field.sensitive and kind == FieldKind.CHANGED:
        return ShownField(kind, name, "", SENSITIVE_CHANGED, forces, masked=True)
    if field.sensitive:
        return ShownField(kind, name, *_sides(kind, SENSITIVE, SENSITIVE), forces)
    raw = is_raw(field)
    # Only the sides shown are formatted (a create shows thousands of fields, all added).
    before = "" if kind == FieldKind.ADDED else format_value(field.before, raw=raw)
    after = "" if kind == FieldKind.REMOVED else format_value(field.after, raw=raw)
    return ShownField(kind, name, before, after, forces)


def _kind(field: FieldChange) -> FieldKind:
    if field.before is None and field.after is not None:
        return FieldKind.ADDED
    if field.after is None and field.before is not None:
        return FieldKind.REMOVED
    return FieldKind.CHANGED


def _sides(kind: FieldKind, before: str, after: str) -> tuple[str, str]:
    if kind == FieldKind.ADDED:
        return "", after
    if kind == FieldKind.REMOVED:
        return before, ""
    return before, after


T = TypeVar("T")


def once_per_field(function: Callable[..., T]) -> Callable[..., T]:
    """`function(field, *args)`, computed once per distinct field and arguments: a fleet's creates
    repeat the same regions and instance types (12,094 fields, 1,079 distinct, in a 1,000-cluster
    plan). Which side is a boolean is part of the key (True == 1, shown `true` and `1`); a field
    whose value cannot be hashed (a plan file edited by hand) is computed without the cache."""

    @functools.lru_cache(maxsize=8192)
    def cached(field: FieldChange, before_bool: bool, after_bool: bool, *args: Any) -> T:
        return function(field, *args)

    def call(field: FieldChange, *args: Any) -> T:
        try:
            return cached(
                field, field.before.__class__ is bool, field.after.__class__ is bool, *args
            )
        except TypeError as exc:
            # The cache's own hashing of the key fails with no Python frame below this one; a
            # TypeError from `function` comes through `cached` and is not this cache's business.
            if exc.__traceback__ is not None and exc.__traceback__.tb_next is not None:
                raise
            return function(field, *args)

    return call


def shown_fields(fields: Iterable[FieldChange]) -> tuple[ShownField, ...]:
    return tuple(_shown(f) for f in fields)


_shown = once_per_field(show_field)


# --- colour ------------------------------------------------------------------------------------


ACTION_COLORS = {
    Action.CREATE: Style.GREEN,
    Action.UPDATE: Style.YELLOW,
    Action.REPLACE: Style.MAGENTA,
    Action.DELETE: Style.RED,
}
KIND_COLORS = {
    FieldKind.ADDED: Style.GREEN,
    FieldKind.REMOVED: Style.RED,
    FieldKind.CHANGED: Style.YELLOW,
}
