"""Validation findings as `path:line:col: severity: yaml.path: message`, one a line, errors first
counted at the end."""

from __future__ import annotations

from collections.abc import Iterable

from gridsync.errors import Diagnostic

_COLORS = {"error": "31", "warning": "33", "note": "36"}


def render_diagnostics(diagnostics: Iterable[Diagnostic], *, color: bool = False) -> str:
    lines = [_line(d, color) for d in sorted(diagnostics)]
    return "\n".join(lines) + "\n" if lines else ""


def _line(diagnostic: Diagnostic, color: bool) -> str:
    text = diagnostic.format()
    if not color:
        return text
    code = _COLORS.get(diagnostic.severity, "0")
    where = f"{diagnostic.path}:{diagnostic.line}:{diagnostic.col}:"
    return text.replace(
        f"{where} {diagnostic.severity}:",
        f"\x1b[1m{where}\x1b[0m \x1b[{code}m{diagnostic.severity}:\x1b[0m",
        1,
    )


def error_summary(diagnostics: Iterable[Diagnostic]) -> str:
    errors = [d for d in diagnostics if d.severity == "error"]
    files = {d.path for d in errors}
    return f"{len(errors)} error{'s' * (len(errors) != 1)} in {len(files)} file{'s' * (len(files) != 1)}."


def render_markdown(diagnostics: Iterable[Diagnostic]) -> str:
    """Validation errors for the pull-request comment: the count, then one item per finding."""
    from gridsync.render.markdown import md_escape

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
