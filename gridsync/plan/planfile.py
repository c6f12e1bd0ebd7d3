"""Saved plans: the JSON plan plus what it was computed from, never a secret.

A saved plan does not carry the values to write (they may be secret). `apply PLANFILE` re-reads the
desired files and live state, plans again, and goes ahead only when the new plan is the one that
was saved: same live fingerprint, same desired fingerprint, same plan id. Anything else is a stale
plan, refused with its own exit code.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gridsync.errors import GridsyncError, StalePlan
from gridsync.plan.model import Plan
from gridsync.render.json_format import FORMAT_VERSION, plan_from_dict, plan_to_dict

_HINT = "write one with `gridsync plan --out FILE`"


@dataclass(frozen=True)
class SavedPlan:
    plan_id: str
    live_fingerprint: str
    desired_fingerprint: str
    created_at: str


def save(plan: Plan, path: Path, desired_fingerprint: str) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a plan file."""
    from gridsync import __version__

    data = plan_to_dict(plan)
    data["saved"] = {
        "desired_fingerprint": desired_fingerprint,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gridsync_version": __version__,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: Path) -> dict[str, Any]:
    """A plan file's JSON, once its format version is one this gridsync reads (the one reader of
    plan files: `apply PLANFILE` and `comment --plan-file` both go through it)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GridsyncError(
            f"cannot read plan file {path}: {exc}",
            hint="pass a file written by `gridsync plan --out FILE`",
        ) from exc
    version = data.get("format_version") if isinstance(data, dict) else None
    if not isinstance(version, str):
        raise GridsyncError(f"{path} is not a gridsync plan (no format_version)", hint=_HINT)
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise GridsyncError(
            f"plan file {path} has format {version}, this gridsync reads {FORMAT_VERSION}",
            hint="plan again with this gridsync",
        )
    return data  # type: ignore[no-any-return]


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
    except (KeyError, TypeError, AttributeError) as exc:
        raise GridsyncError(
            f"{path} is not a saved gridsync plan (missing {exc})", hint=_HINT
        ) from exc


def load_plan(path: Path) -> tuple[Plan, str]:
    """The renderable plan of a plan file, and its plan_id (as saved: values are masked, so it
    cannot be recomputed)."""
    data = read(path)
    try:
        return plan_from_dict(data), str(data["plan_id"])
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
