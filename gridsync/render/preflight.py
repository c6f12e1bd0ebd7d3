"""Preflight findings per cluster, errors and warnings first in each."""

from __future__ import annotations

from collections.abc import Sequence

from gridsync.escapes import clean
from gridsync.infra.aws import Finding
from gridsync.painter import PLAIN, Painter, Style

_ORDER = {"error": 0, "warning": 1, "ok": 2}
_STYLES = {"error": Style.RED, "warning": Style.YELLOW, "ok": Style.GREEN}


def render_findings(
    results: Sequence[tuple[str, str, Sequence[Finding]]], paint: Painter = PLAIN
) -> str:
    lines = []
    for cluster, region, findings in results:
        lines.append(f"{clean(cluster)} ({clean(region)}):")
        for finding in sorted(findings, key=lambda f: _ORDER.get(f.severity, 3)):
            label = paint(f"{finding.severity:<7}", _STYLES.get(finding.severity))
            lines.append(f"  {label} {clean(finding.check)}: {clean(finding.message)}")
    errors = sum(f.severity == "error" for _, _, fs in results for f in fs)
    warnings = sum(f.severity == "warning" for _, _, fs in results for f in fs)
    lines.append(f"Preflight: {errors} error(s), {warnings} warning(s).")
    return "\n".join(lines) + "\n"
