"""Live clusters for people (`gridsync live --output table`, as `grid clusters` shows them) and for
programs (`--output json`, a snapshot without secrets that `plan --live FILE` reads)."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, datetime

from gridsync.live.backend import LiveCluster, LiveState
from gridsync.live.snapshot import to_snapshot
from gridsync.spec import ClusterType

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
    """RFC 3339 -> what `grid clusters` shows (arrow 1.4's `humanize()` in English): `just now`,
    `44 seconds ago`, `a minute ago`, `2 months ago`, `4 years ago`; `-` when unknown."""
    try:
        then = datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return "-"
    delta = round((then - now).total_seconds())
    if abs(delta) < 10:
        return "just now"
    earlier, later = sorted((then, now))
    words = _distance(abs(delta), _calendar_months(earlier, later))
    return f"in {words}" if delta > 0 else f"{words} ago"


_MINUTE, _HOUR, _DAY, _WEEK = 60, 3600, 86400, 604800
_MONTH, _YEAR = 86400 * 30.5, 86400 * 365


def _distance(diff: int, months: int) -> str:
    """arrow's `auto` granularity, step by step, in its English words."""
    steps: tuple[tuple[float, str, int], ...] = (
        (_MINUTE, "{} seconds", 1),
        (_MINUTE * 2, "a minute", 0),
        (_HOUR, "{} minutes", _MINUTE),
        (_HOUR * 2, "an hour", 0),
        (_DAY, "{} hours", _HOUR),
        (_DAY * 2, "a day", 0),
        (_WEEK, "{} days", _DAY),
    )
    for limit, words, unit in steps:
        if diff < limit:
            return words.format(max(diff // unit, 1 if unit == 1 else 2)) if unit else words
    if months >= 1 and diff < _YEAR:
        return "a month" if months == 1 else f"{months} months"
    if diff < _WEEK * 2:
        return "a week"
    if diff < _MONTH:
        return f"{max(diff // _WEEK, 2)} weeks"
    if diff < _YEAR * 2:
        return "a year"
    return f"{max(diff // _YEAR, 2)} years"


def _calendar_months(earlier: datetime, later: datetime) -> int:
    """Whole calendar months between two times, a part over 14 days counted as one (max 12)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if _add_months(earlier, months) > later:
        months -= 1
    if (later - _add_months(earlier, months)).days > 14:
        months += 1
    return min(months, 12)


def _add_months(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
