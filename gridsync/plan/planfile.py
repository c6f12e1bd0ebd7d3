"""Saved plans: the JSON plan plus what it was computed from, never a secret.

A saved plan does not carry the values to write (they may be secret). `apply PLANFILE` re-reads the
desired files and live state, plans again, and goes ahead only when the new plan is the one that
was saved: same live fingerprint, same desired fingerprint, same plan id. Anything else is a stale
plan, refused with its own exit code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from gridsync.errors import GridsyncError, StalePlan
from gridsync.output import write_atomic
from gridsync.plan.changes import Plan
from gridsync.plan.contract import PLAN_FILE_HINT as _HINT
from gridsync.plan.contract import check_version, plan_from_dict, plan_to_dict


class SavedPlan(NamedTuple):
    plan_id: str
    live_fingerprint: str
    desired_fingerprint: str
    created_at: str


def save(plan: Plan, path: Path, desired_fingerprint: str) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a plan file; every
    registered secret masked (`gridsync.output`)."""
    from gridsync import __version__

    data = plan_to_dict(plan)
    data["saved"] = {
        "desired_fingerprint": desired_fingerprint,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gridsync_version": __version__,
    }
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def read(path: Path) -> Mapping[str, Any]:
    """A plan file's JSON, once its format version is one this gridsync reads (the one reader of
    plan files: `apply PLANFILE` and `comment --plan-file` both go through it)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        # ValueError: JSONDecodeError and UnicodeDecodeError, and an integer past Python's 4300
        # digits; RecursionError: arrays or objects nested past the interpreter's stack.
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise GridsyncError(
            f"cannot read plan file {path}: {reason}",
            hint="pass a file written by `gridsync plan --out FILE`",
        ) from exc
    return check_version(data, str(path))


def load(path: Path) -> SavedPlan:
    data = read(path)
    try:
        saved = data["saved"]
        return SavedPlan(
            data["plan_id"],
            data["live_fingerprint"],
            saved["desired_fingerprint"],
            saved["created_at"],
        )
    except KeyError as exc:
        raise GridsyncError(
            f"{path} is not a saved gridsync plan (missing {exc})", hint=_HINT
        ) from exc
    except (TypeError, AttributeError) as exc:  # `saved` is not an object
        raise GridsyncError(
            f"{path} is not a saved gridsync plan (its 'saved' is not an object)", hint=_HINT
        ) from exc


def load_plan(path: Path) -> Plan:
    """The renderable plan of a plan file, with its plan_id as saved (values are masked, so it
    cannot be recomputed)."""
    data = read(path)
    try:
        return plan_from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GridsyncError(f"{path} is not a gridsync plan: {exc}", hint=_HINT) from exc


def check_fresh(saved: SavedPlan, plan: Plan, desired_fingerprint: str) -> None:
    """Refuse (StalePlan) unless `plan`, computed now, is the plan that was saved."""
    hint = "run `gridsync plan --out FILE` again, review it, then apply the new file"
    if saved.desired_fingerprint != desired_fingerprint:
        raise StalePlan(
            f"the cluster files changed since the plan was saved ({saved.created_at})", hint=hint
        )
    if saved.live_fingerprint != plan.live_fingerprint:
        raise StalePlan(
            f"live state changed since the plan was saved ({saved.created_at})", hint=hint
        )
    if saved.plan_id != plan.plan_id:
        raise StalePlan(
            f"the changes differ from the saved plan ({saved.plan_id} != {plan.plan_id})", hint=hint
        )
