"""The plan's JSON contract: its shape, its version, to and from a dict, the version check.

Documented by schemas/plan.schema.json (one test validates emitted plans against it). The shape
changes only with `FORMAT_VERSION`: a minor version adds, a major one breaks, and readers refuse
another major version. Sensitive values are written as "(sensitive)" (null stays null);
`Change.desired` is never read. Saved plans (`planfile`), the JSON renderer and the
pull-request comment of a saved plan all go through this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridsync.errors import GridsyncError
from gridsync.plan.changes import (
    ACTION_ORDER,
    Action,
    Change,
    ContextChange,
    FieldChange,
    Note,
    Plan,
    RunEdit,
    Teardown,
    TerraformStep,
    Value,
)
from gridsync.spec import Source

FORMAT_VERSION = "1.4"
SENSITIVE = "(sensitive)"
PLAN_FILE_HINT = "write one with `gridsync plan --out FILE`"


def masked(value: Value, sensitive: bool) -> Value:
    """The value as written to machine formats: a sensitive value becomes SENSITIVE, None stays."""
    return SENSITIVE if sensitive and value is not None else value


def summary_counts(plan: Plan) -> dict[str, int]:
    """Every action, zeros included, keyed by its value, in ACTION_ORDER."""
    counts = plan.count()
    return {action.value: counts[action] for action in ACTION_ORDER}


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "backend": plan.backend,
        "live_fingerprint": plan.live_fingerprint,
        "plan_id": plan.plan_id,
        "has_changes": plan.has_changes,
        "summary": summary_counts(plan),
        "changes": [_change(change) for change in plan.changes],
        "context": _context(plan.context),
        "unmanaged": list(plan.unmanaged),
        "notes": [_note(note) for note in plan.notes],
        "run_edits": [_run_edit(edit) for edit in plan.run_edits],
        "run_targets": {cluster: list(paths) for cluster, paths in plan.run_targets},
        "terminating": [_teardown(t) for t in plan.terminating],
    }


def _teardown(teardown: Teardown) -> dict[str, Any]:
    return {
        "name": teardown.name,
        "cluster_id": teardown.cluster_id,
        "deleted_by_gridsync": teardown.by_gridsync,
    }


def _run_edit(edit: RunEdit) -> dict[str, Any]:
    return {
        "path": edit.path,
        "cluster": edit.cluster,
        "before": edit.before,
        "after_id": edit.after_id,
        "diff": edit.diff,
        "source": _source(edit.source),
    }


def _source(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {"path": source.path, "line": source.line, "col": source.col}


def _change(change: Change) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "name": change.name,
        "cluster_id": change.cluster_id,
        "reason": change.reason,
        "source": _source(change.source),
        "blocked": change.blocked or None,
        "blocked_reasons": list(change.blocks),
        "live_phase": change.live_phase,
        "fields": [_field(field) for field in change.fields],
        "terraform": _terraform(change.terraform),
        "approved": change.approved or None,
    }


def _terraform(step: TerraformStep | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {"summary": step.summary, "apply": step.apply, "destroy": step.destroy}


def _field(field: FieldChange) -> dict[str, Any]:
    return {
        "field": field.field,
        "before": masked(field.before, field.sensitive),
        "after": masked(field.after, field.sensitive),
        "sensitive": field.sensitive,
        "forces_replace": field.forces_replace,
        "known_after_apply": field.known_after_apply,
    }


def _context(context: ContextChange | None) -> dict[str, Any] | None:
    if context is None:
        return None
    return {
        "before": context.before,
        "after": context.after,
        "after_id": context.after_id,
        "source": _source(context.source),
    }


def _note(note: Note) -> dict[str, Any]:
    return {"severity": note.severity, "message": note.message, "source": _source(note.source)}


# --- reading it back (a saved plan rendered again, e.g. as the pull-request comment) -------------


def check_version(data: Any, where: str) -> Mapping[str, Any]:
    """`data` as a plan document, once its format version is one this gridsync reads: the one
    version check of every reader (`planfile.read`). Raises GridsyncError naming `where`."""
    version = data.get("format_version") if isinstance(data, dict) else None
    if not isinstance(version, str):
        raise GridsyncError(
            f"{where} is not a gridsync plan (no format_version)", hint=PLAN_FILE_HINT
        )
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise GridsyncError(
            f"plan file {where} has format {version}, this gridsync reads {FORMAT_VERSION}",
            hint="plan again with this gridsync",
        )
    return data  # type: ignore[no-any-return]


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    """The renderable Plan a JSON plan describes. Secrets were never in it, so neither are they
    here; its `plan_id` is the one the JSON records (values are masked, so it cannot be
    recomputed). Raises KeyError/TypeError/ValueError on a document that is not a plan."""
    return Plan(
        backend=data["backend"],
        changes=tuple(_change_from(c) for c in data["changes"]),
        context=_context_from(data["context"]),
        unmanaged=tuple(data["unmanaged"]),
        terminating=tuple(
            Teardown(t["name"], t["cluster_id"], t["deleted_by_gridsync"])
            for t in data.get("terminating", ())
        ),
        notes=tuple(
            Note(n["severity"], n["message"], _source_from(n["source"])) for n in data["notes"]
        ),
        live_fingerprint=data["live_fingerprint"],
        run_edits=tuple(
            RunEdit(
                e["path"],
                e["cluster"],
                e["before"],
                e["after_id"],
                e["diff"],
                _source_from(e["source"]),
            )
            for e in data.get("run_edits", ())
        ),
        run_targets=tuple(
            (name, tuple(paths)) for name, paths in data.get("run_targets", {}).items()
        ),
        recorded_id=str(data["plan_id"]),
    )


def _source_from(data: Mapping[str, Any] | None) -> Source | None:
    return None if data is None else Source(data["path"], data["line"], data["col"])


def _blocks_from(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Every reason (1.4), or the one text an older plan file (1.2, 1.3) holds."""
    if "blocked_reasons" in data:
        return tuple(data["blocked_reasons"])
    return (data["blocked"],) if data["blocked"] else ()


def _change_from(data: Mapping[str, Any]) -> Change:
    terraform = data.get("terraform")
    return Change(
        action=Action(data["action"]),
        name=data["name"],
        cluster_id=data["cluster_id"],
        fields=tuple(_field_from(f) for f in data["fields"]),
        reason=data["reason"],
        source=_source_from(data["source"]),
        blocks=_blocks_from(data),
        live_phase=data["live_phase"],
        terraform=TerraformStep(terraform["summary"], terraform["apply"], terraform["destroy"])
        if terraform
        else None,
        approved=data.get("approved") or "",
    )


def _field_from(data: Mapping[str, Any]) -> FieldChange:
    return FieldChange(
        data["field"],
        data["before"],
        data["after"],
        data["sensitive"],
        data["forces_replace"],
        known_after_apply=data.get("known_after_apply", False),
    )


def _context_from(data: Mapping[str, Any] | None) -> ContextChange | None:
    if data is None:
        return None
    return ContextChange(
        data["before"], data["after"], data["after_id"], _source_from(data.get("source"))
    )
