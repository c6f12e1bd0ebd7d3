"""The plan as JSON, for machines: documented by schemas/plan.schema.json.

The JSON has its own versioned shape (`format_version`); it changes only with that version.
Sensitive values are written as "(sensitive)" (null stays null); `Change.desired` is never read.
"""

from __future__ import annotations

import json
from typing import Any

from gridsync.model import Source
from gridsync.plan.model import (
    Change,
    ContextChange,
    FieldChange,
    Note,
    Plan,
    RunEdit,
    TerraformStep,
)
from gridsync.render.common import masked, summary_counts

FORMAT_VERSION = "1.2"


def render_plan(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2, sort_keys=False) + "\n"


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
        "live_phase": change.live_phase,
        "fields": [_field(field) for field in change.fields],
        "terraform": _terraform(change.terraform),
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
