"""End-to-end runs of the real `gridsync` command in a throwaway project on the local control plane."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import Project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    proj = Project.at(tmp_path / "repo", settings=True)
    yield proj
    proj.stop()
