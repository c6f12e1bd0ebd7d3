"""Offline live state: snapshots that `gridsync live` writes and `plan --live FILE` reads.

A JSON snapshot has the shape of Grid's list response (`{"clusters": [...], "defaultCluster": ...}`)
plus a `gridsync` object (what it was taken from, the cluster context). It never holds secrets:
`roleArn` and `externalId` are left out, so a plan against a snapshot does not compare them.
`plan --live` also reads the text table `grid clusters` prints; that has no specs, so only
existence and status are compared. Either way the backend description says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gridsync.errors import GridsyncError, UsageError
from gridsync.live import wire
from gridsync.live.backend import Blueprint, LiveCluster, LiveState
from gridsync.spec import (
    FIELD_NAMES,
    PRIVATE_FIELDS,
    ClusterSpec,
    ClusterType,
    Phase,
    default_of,
)

ALL_FIELDS = frozenset(FIELD_NAMES)


def to_snapshot(live: LiveState, source: str) -> dict[str, Any]:
    """The live clusters as a JSON-ready snapshot, without secrets."""
    snapshot: dict[str, Any] = {"clusters": [cluster_to_wire(c) for c in live.clusters]}
    if live.default_cluster:
        snapshot["defaultCluster"] = live.default_cluster
    meta: dict[str, Any] = {"snapshotOf": source}
    if live.context:
        meta["context"] = live.context
    snapshot["gridsync"] = meta
    return snapshot


def cluster_to_wire(cluster: LiveCluster) -> dict[str, Any]:
    """A Grid wire Cluster for a snapshot: managed fields only, secrets left out."""
    spec: dict[str, Any] = {
        "clusterType": cluster.cluster_type,
        "desiredState": cluster.desired_state,
    }
    if cluster.spec is not None:
        public = replace(cluster.spec, **{f: default_of(f) for f in PRIVATE_FIELDS})
        spec = wire.spec_to_wire(public, base=spec)
    out: dict[str, Any] = {"id": cluster.id, "name": cluster.name}
    if cluster.created_at:
        out["createdAt"] = cluster.created_at
    out["spec"] = spec
    out["status"] = {
        "phase": cluster.phase,
        **({"reason": cluster.reason} if cluster.reason else {}),
    }
    return out


@dataclass
class SnapshotBackend:
    """A read-only Backend over a saved snapshot: enough to plan, never to apply."""

    state: LiveState
    description: str

    def list_clusters(self) -> LiveState:
        return self.state

    def get(self, cluster_id: str) -> LiveCluster:
        return self.state.by_id()[cluster_id]

    def blueprint(self, document: object) -> Blueprint:
        raise self._read_only()

    def create(
        self, name: str, spec: ClusterSpec, blueprint: Blueprint | None = None
    ) -> LiveCluster:
        raise self._read_only()

    def update(self, cluster_id: str, spec: ClusterSpec) -> LiveCluster:
        raise self._read_only()

    def delete(self, cluster_id: str, *, force: bool = False) -> None:
        raise self._read_only()

    def set_context(self, cluster_id: str) -> None:
        raise self._read_only()

    def close(self) -> None:
        pass

    def _read_only(self) -> UsageError:
        return UsageError("a live-state snapshot is read-only: plan against it, apply against Grid")


def load_snapshot(path: Path) -> SnapshotBackend:
    """A JSON snapshot or the text of `grid clusters`, told apart by their first character."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GridsyncError(f"cannot read live snapshot {path}: {exc}") from exc
    if text.lstrip().startswith("{"):
        return SnapshotBackend(
            _from_json(text, path), f"snapshot {path} (role_arn and external_id not compared)"
        )
    return SnapshotBackend(
        _from_table(text, path), f"`grid clusters` table {path} (existence and status only)"
    )


def _from_json(text: str, path: Path) -> LiveState:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GridsyncError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
    except (ValueError, RecursionError) as exc:  # an integer past 4300 digits; deep nesting
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise GridsyncError(
            f"{path}: not a live snapshot: {reason}",
            hint="write one with `gridsync live --output json > FILE`",
        ) from exc
    clusters = data.get("clusters") if isinstance(data, dict) else None
    if not isinstance(clusters, list) or not all(isinstance(c, dict) for c in clusters):
        raise GridsyncError(
            f"{path} is not a live snapshot: expected an object with a 'clusters' list",
            hint="write one with `gridsync live --output json > FILE`",
        )
    live = [_snapshot_cluster(c) for c in clusters]
    meta = data.get("gridsync") if isinstance(data.get("gridsync"), Mapping) else {}
    return LiveState(
        clusters=tuple(sorted((c for c in live if c.phase != Phase.DELETED), key=lambda c: c.name)),
        context=meta.get("context") if isinstance(meta.get("context"), str) else None,
        default_cluster=data.get("defaultCluster")
        if isinstance(data.get("defaultCluster"), str)
        else None,
    )


def _snapshot_cluster(obj: Mapping[str, Any]) -> LiveCluster:
    cluster = wire.cluster_from_wire(obj)
    spec = obj.get("spec")
    spec_wire: Mapping[str, Any] = spec if isinstance(spec, Mapping) else {}
    unknown = frozenset(f for f in PRIVATE_FIELDS if not wire.has_wire_value(spec_wire, f))
    return cluster._replace(unknown=unknown)


# --- the `grid clusters` text table ---------------------------------------------------------------

_SEPARATORS = re.compile(r"[│┃|]")
_STATUS = {
    "queued": (Phase.RUNNING, Phase.QUEUED),
    "pending": (Phase.RUNNING, Phase.PENDING),
    "running": (Phase.RUNNING, Phase.RUNNING),
    "failed": (Phase.RUNNING, Phase.FAILED),
    "deleted": (Phase.DELETED, Phase.DELETED),
    "terminating": (Phase.DELETED, Phase.UNSPECIFIED),
}
_TYPES = {"byoc": ClusterType.BYOC, "grid-cloud": ClusterType.GLOBAL}


_READ_COLUMNS = ("id", "name", "type", "status")  # what a plan reads; `created` may wrap freely
_CUT = ("…", "...")


@dataclass
class _Row:
    line: int  # 1-based line of the row's first text line
    cells: list[str]
    wrapped: set[int]  # columns continued on a further line


def _from_table(text: str, path: Path) -> LiveState:
    header, rows = _table_rows(text)
    if header is None or "id" not in header:
        raise GridsyncError(
            f"{path} is neither a JSON snapshot nor a `grid clusters` table (no header with 'id')",
            hint="save `grid clusters` output or `gridsync live --output json`",
        )
    for row in rows:
        _check_readable(header, row, path)
    clusters = [_table_cluster(dict(zip(header, r.cells, strict=False)), path) for r in rows]
    return LiveState(
        tuple(sorted((c for c in clusters if c.phase != Phase.DELETED), key=lambda c: c.name))
    )


def _table_rows(text: str) -> tuple[list[str] | None, list[_Row]]:
    """The header and the rows. A row wraps onto lines whose status cell is empty (status words
    never wrap); those lines are kept as continuations, marked, never guessed back together."""
    header: list[str] | None = None
    rows: list[_Row] = []
    status = -1
    for number, line in enumerate(text.splitlines(), start=1):
        if not _SEPARATORS.search(line):
            continue
        cells = [c.strip() for c in _SEPARATORS.split(line)[1:-1]]
        if header is None:
            header = [c.lower() for c in cells]
            status = header.index("status") if "status" in header else -1
        elif rows and 0 <= status < len(cells) and not cells[status]:
            rows[-1].wrapped |= {i for i, cell in enumerate(cells) if cell}
        elif any(cells):
            rows.append(_Row(number, cells, set()))
    return header, rows


def _check_readable(header: list[str], row: _Row, path: Path) -> None:
    """Refuse a row whose id, name, type or status is cut with "…" or wrapped: taking either for
    the real value would plan a delete of a cluster that does not exist and a create of one that
    does."""
    for column in _READ_COLUMNS:
        if column not in header:
            continue
        index = header.index(column)
        cell = row.cells[index] if index < len(row.cells) else ""
        how = (
            "cut"
            if cell.endswith(_CUT)
            else "wrapped onto the next line"
            if index in row.wrapped
            else None
        )
        if how is not None:
            raise GridsyncError(
                f"{path}:{row.line}: the {column} {cell!r} is {how} in this `grid clusters` table "
                "(rich narrows it to the terminal, 80 columns through a pipe), so its real value "
                "cannot be read; gridsync will not plan from a guess",
                hint="save the table wider, `COLUMNS=250 grid clusters > FILE`, or better a "
                "snapshot with `gridsync live --output json > FILE`",
            )


def _table_cluster(cells: Mapping[str, str], path: Path) -> LiveCluster:
    status = cells.get("status", "").lower()
    if status not in _STATUS:
        raise GridsyncError(
            f"{path}: cluster {cells.get('id')!r} has a status gridsync does not know: {status!r}"
        )
    desired_state, phase = _STATUS[status]
    kind = cells.get("type", "byoc").lower()
    cluster_type = _TYPES.get(kind, ClusterType.UNSPECIFIED)
    if "type" not in cells and (cells["id"] == "prod-2" or cells["id"].startswith("grid-cloud")):
        cluster_type = ClusterType.GLOBAL
    return LiveCluster(
        id=cells["id"],
        name=cells.get("name") or cells["id"],
        cluster_type=cluster_type,
        desired_state=desired_state,
        phase=phase,
        unknown=ALL_FIELDS,
    )
