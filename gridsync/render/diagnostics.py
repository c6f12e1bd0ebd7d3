"""Validation findings as `path:line:col: severity: yaml.path: message`, one a line, errors first
counted at the end."""

from __future__ import annotations

from collections.abc import Iterable

from gridsync.errors import Diagnostic
from gridsync.escapes import clean
from gridsync.painter import PLAIN, Painter, Style

_STYLES = {"error": Style.RED, "warning": Style.YELLOW, "note": Style.CYAN}


def render_diagnostics(diagnostics: Iterable[Diagnostic], paint: Painter = PLAIN) -> str:
    lines = [_line(d, paint) for d in sorted(diagnostics)]
    return "\n".join(lines) + "\n" if lines else ""


def _line(diagnostic: Diagnostic, paint: Painter) -> str:
    text = diagnostic.format()
    if not paint.enabled:
        return text
    where = f"{clean(diagnostic.path)}:{diagnostic.line}:{diagnostic.col}:"
    severity = f"{diagnostic.severity}:"
    return text.replace(
        f"{where} {severity}",
        f"{paint(where, Style.BOLD)} {paint(severity, _STYLES.get(diagnostic.severity))}",
        1,
    )


def error_summary(diagnostics: Iterable[Diagnostic]) -> str:
    errors = [d for d in diagnostics if d.severity == "error"]
    files = {d.path for d in errors}
    return f"{len(errors)} error{'s' * (len(errors) != 1)} in {len(files)} file{'s' * (len(files) != 1)}."


def render_markdown(diagnostics: Iterable[Diagnostic]) -> str:
    """Validation errors for the pull-request comment: the count, then one item per finding."""
    from gridsync.escapes import md_escape

    found = sorted(diagnostics)
    errors = [d for d in found if d.severity == "error"]
    lines = [
        f"**{md_escape(error_summary(found))}** Fix them and push: the plan comes back here.",
        "",
    ]
    for d in [*errors, *(d for d in found if d.severity != "error")]:
        where = md_escape(f"{d.path}:{d.line}:{d.col}")
        path = f"{md_escape(d.yaml_path)}: " if d.yaml_path else ""
        lines.append(f"- `{d.severity}` **{where}** {path}{md_escape(d.message)}")
    return "\n".join(lines) + "\n"
