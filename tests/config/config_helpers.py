"""Helpers for the config tests (the project itself is tests/builders.Project)."""

from __future__ import annotations

from pathlib import Path

from gridsync.errors import Diagnostic

DATA = Path(__file__).resolve().parents[1] / "data" / "config"

# A valid cluster document; line N of the text is line N of the file.
BASE = """\
apiVersion: gridsync/v1
kind: Cluster
name: ml-a
provider: aws
region: us-east-1
role_arn: arn:aws:iam::123456789012:role/grid
external_id: ext-1
"""


def find(
    diagnostics: tuple[Diagnostic, ...], line: int, col: int | None, fragment: str
) -> Diagnostic:
    """The diagnostic at (line, col) whose message contains `fragment`; fails with all of them shown."""
    for d in diagnostics:
        if d.line == line and (col is None or d.col == col) and fragment in d.message:
            return d
    shown = "\n".join(d.format() for d in diagnostics)
    raise AssertionError(f"no diagnostic at {line}:{col} containing {fragment!r} in:\n{shown}")
