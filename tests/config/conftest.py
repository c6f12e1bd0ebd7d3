"""Fixtures for the config tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.at(tmp_path / "project")
