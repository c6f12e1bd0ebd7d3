"""The wheel ships every package and the schemas (packages are found by their __init__.py)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import gridsync

PACKAGE = Path(gridsync.__file__).parent


def test_every_folder_of_code_is_a_package() -> None:
    folders = {p.parent for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    assert folders, "no code found"
    assert [f for f in folders if not (f / "__init__.py").exists()] == []


def test_schemas_load_as_package_data() -> None:
    names = {p.name for p in (files("gridsync") / "schemas").iterdir()}
    assert {
        "cluster.schema.json",
        "gridsync.schema.json",
        "plan.schema.json",
        "runconfig.schema.json",
    } <= names
