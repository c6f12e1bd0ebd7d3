"""Drift: live state that moved outside gridsync, and desired state merged but not applied (pure).

A cluster drifted out of band when its live spec no longer matches what gridsync last applied
(the apply record). Desired state is merged but not applied when the plan still has a change for a
cluster whose live spec is as gridsync left it (or that gridsync never applied). Without a record
every change counts as not applied, and the report says the cause is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from gridsync.live.backend import LiveState
from gridsync.plan.changes import Action, Plan
from gridsync.spec import AppliedEntry, public_fields, spec_digest

OUT_OF_BAND = "changed outside gridsync"
NOT_APPLIED = "merged but not applied"


class DriftItem(NamedTuple):
    kind: str  # OUT_OF_BAND or NOT_APPLIED
    name: str  # a cluster name, or a run config path
    detail: str


class DriftReport(NamedTuple):
    backend: str
    items: tuple[DriftItem, ...]
    has_record: bool

    @property
    def drifted(self) -> bool:
        return bool(self.items)

    def of_kind(self, kind: str) -> tuple[DriftItem, ...]:
        return tuple(i for i in self.items if i.kind == kind)


def classify(plan: Plan, live: LiveState, record: Mapping[str, AppliedEntry] | None) -> DriftReport:
    items = [*_out_of_band(live, record or {})]
    moved = {i.name for i in items}
    for change in plan.changes:
        pending = change.action != Action.NOOP or (
            change.terraform is not None and change.terraform.apply
        )
        if pending and change.name not in moved:
            detail = change.action.value + (f": {change.reason}" if change.reason else "")
            items.append(DriftItem(NOT_APPLIED, change.name, detail))
    items += [
        DriftItem(NOT_APPLIED, e.path, f"compute.provider.cluster -> {e.cluster}")
        for e in plan.run_edits
    ]
    if plan.context is not None:
        items.append(DriftItem(NOT_APPLIED, "cluster context", f"-> {plan.context.after}"))
    return DriftReport(plan.backend, tuple(sorted(items)), record is not None)


def _out_of_band(live: LiveState, record: Mapping[str, AppliedEntry]) -> list[DriftItem]:
    by_name = live.by_name()
    items = []
    for name, entry in sorted(record.items()):
        if entry.deleting:  # gridsync asked for its deletion: gone, or going, is as intended
            continue
        cluster = by_name.get(name)
        if cluster is None:
            items.append(DriftItem(OUT_OF_BAND, name, "deleted outside gridsync"))
            continue
        if cluster.spec is None or spec_digest(cluster.spec) == entry.digest:
            continue
        now = public_fields(cluster.spec)
        fields = [k for k in sorted(now) if now[k] != entry.public.get(k)] or [
            "role_arn or external_id"
        ]
        items.append(
            DriftItem(OUT_OF_BAND, name, f"{', '.join(fields)} changed since {entry.applied_at}")
        )
    return items
