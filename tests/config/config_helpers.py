"""Helpers for the config tests: a project in tmp_path, loaded through the public API."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from gridsync.config.desired import DesiredState
from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.errors import ConfigError, Diagnostic

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


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def load(self, env: Mapping[str, str] | None = None) -> DesiredState:
        return load_desired(load_project(self.root), env or {})

    def errors(self, env: Mapping[str, str] | None = None) -> tuple[Diagnostic, ...]:
        with pytest.raises(ConfigError) as caught:
            self.load(env)
        return caught.value.diagnostics


def find(
    diagnostics: tuple[Diagnostic, ...], line: int, col: int | None, fragment: str
) -> Diagnostic:
    """The diagnostic at (line, col) whose message contains `fragment`; fails with all of them shown."""
    for d in diagnostics:
        if d.line == line and (col is None or d.col == col) and fragment in d.message:
            return d
    shown = "\n".join(d.format() for d in diagnostics)
    raise AssertionError(f"no diagnostic at {line}:{col} containing {fragment!r} in:\n{shown}")
