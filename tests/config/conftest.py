"""Fixtures for the config tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    return Project(root)
