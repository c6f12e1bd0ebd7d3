"""The drift report as text (CI logs) and Markdown (the drift issue)."""

from __future__ import annotations

from gridsync.escapes import clean
from gridsync.plan.drift import NOT_APPLIED, OUT_OF_BAND, DriftReport

_TITLES = {
    OUT_OF_BAND: "Changed in Grid outside gridsync (live differs from what gridsync last applied)",
    NOT_APPLIED: "Merged but not applied (apply would change these)",
}


def render_text(report: DriftReport) -> str:
    lines = [f"gridsync drift against {clean(report.backend)}", ""]
    if not report.drifted:
        lines.append("No drift: live state is what gridsync last applied, and nothing is pending.")
    for kind, title in _TITLES.items():
        items = report.of_kind(kind)
        if items:
            lines += [f"{title}:", *(f"  {clean(i.name)}: {clean(i.detail)}" for i in items), ""]
    if not report.has_record:
        lines.append(
            "note: no apply record yet, so changes made outside gridsync cannot be told apart."
        )
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(report: DriftReport) -> str:
    lines = [
        f"### gridsync drift: {len(report.items)} item(s)",
        "",
        f"Live state: {clean(report.backend)}.",
    ]
    for kind, title in _TITLES.items():
        items = report.of_kind(kind)
        if items:
            lines += [
                "",
                f"**{title}**",
                "",
                *(f"- `{clean(i.name)}`: {clean(i.detail)}" for i in items),
            ]
    if not report.has_record:
        lines += ["", "_No apply record yet: changes made outside gridsync cannot be told apart._"]
    return "\n".join(lines) + "\n"
