"""Preflight findings per cluster, errors and warnings first in each."""

from __future__ import annotations

from collections.abc import Sequence

from gridsync.infra.aws import Finding
from gridsync.render.common import clean

_ORDER = {"error": 0, "warning": 1, "ok": 2}
_COLORS = {"error": "31", "warning": "33", "ok": "32"}


def render_findings(
    results: Sequence[tuple[str, str, Sequence[Finding]]], *, color: bool = False
) -> str:
    lines = []
    for cluster, region, findings in results:
        lines.append(f"{clean(cluster)} ({clean(region)}):")
        for finding in sorted(findings, key=lambda f: _ORDER.get(f.severity, 3)):
            label = f"{finding.severity:<7}"
            if color:
                label = f"\x1b[{_COLORS.get(finding.severity, '0')}m{label}\x1b[0m"
            lines.append(f"  {label} {clean(finding.check)}: {clean(finding.message)}")
    errors = sum(f.severity == "error" for _, _, fs in results for f in fs)
    warnings = sum(f.severity == "warning" for _, _, fs in results for f in fs)
    lines.append(f"Preflight: {errors} error(s), {warnings} warning(s).")
    return "\n".join(lines) + "\n"
