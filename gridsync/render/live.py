"""Live clusters for people (`gridsync live --output table`, as `grid clusters` shows them) and for
programs (`--output json`, a snapshot without secrets that `plan --live FILE` reads)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from gridsync.live.backend import LiveCluster, LiveState
from gridsync.live.snapshot import to_snapshot
from gridsync.model import ClusterType

_TYPE_WORDS: dict[str, str] = {ClusterType.BYOC: "byoc", ClusterType.GLOBAL: "grid-cloud"}
_HEADER = ("id", "name", "type", "status", "created")


def render_table(live: LiveState, now: datetime) -> str:
    """`id | name | type | status | created` with the `grid clusters` words; ASCII so CI logs keep it."""
    rows = [_HEADER, *(_row(c, now) for c in live.clusters)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = [rule, _line(rows[0], widths), rule, *(_line(r, widths) for r in rows[1:]), rule]
    if live.context:
        lines.append(f"cluster context: {live.context}")
    return "\n".join(lines) + "\n"


def render_json(live: LiveState, source: str) -> str:
    return json.dumps(to_snapshot(live, source), indent=2) + "\n"


def _row(cluster: LiveCluster, now: datetime) -> tuple[str, ...]:
    kind = _TYPE_WORDS.get(cluster.cluster_type, "unknown")
    return (cluster.id, cluster.name, kind, cluster.status, humanize(cluster.created_at, now))


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"


def humanize(created_at: str, now: datetime) -> str:
    """RFC 3339 -> `2 days ago`, like the grid CLI; `-` when unknown."""
    try:
        then = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return "-"
    seconds = max(0, int((now - then.astimezone(UTC)).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' * (count != 1)} ago"
    return "just now"
