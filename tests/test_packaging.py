"""The wheel ships every package, the schemas and the license (packages are found by their
__init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from importlib.resources import files
from pathlib import Path

import gridsync

PACKAGE = Path(gridsync.__file__).parent
ROOT = Path(__file__).resolve().parents[1]


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


def test_a_built_wheel_carries_the_license_and_the_schemas(tmp_path: Path) -> None:
    """Built as an index would get it: pip builds the wheel with setuptools from the README's
    wheelhouse (offline), so the build-system floor is what the wheelhouse holds."""
    wheelhouse = Path(sys.prefix) / "wheelhouse"
    assert wheelhouse.is_dir(), f"no {wheelhouse}: build it as the README's test command does"
    offline = ["--no-deps", "--no-index", "--find-links", str(wheelhouse)]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", *offline, "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    (wheel,) = tmp_path.glob("gridsync-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        license_text = archive.read(f"{dist_info}/licenses/LICENSE").decode()
        shipped = {n: archive.read(n) for n in names if n.startswith("gridsync/schemas/")}
    assert license_text == (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata
    for name, url in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "urls"
    ].items():
        assert f"Project-URL: {name}, {url}" in metadata
    expected = {
        f"gridsync/schemas/{p.name}": p.read_bytes() for p in (ROOT / "schemas").glob("*.json")
    }
    assert len(expected) >= 4
    assert shipped == expected
