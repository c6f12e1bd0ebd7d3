"""`path_matches` (a path not written yet, `gridsync import`) reads a glob as discovery does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gridsync.config.discover import discover, literal_glob, path_matches

FILES = (
    "clusters/a.yaml",
    "clusters/team/b.yaml",
    "clusters/team/deep/c.yml",
    "other/d.yaml",
    "top.yaml",
    "clusters/[x].yaml",
)
GLOBS = (
    "clusters/*.yaml",
    "clusters/**/*.yaml",
    "clusters/**/*.y*ml",
    "**/*.yaml",
    "*.yaml",
    "clusters/team/*",
    "./clusters/**/deep/*.yml",
)


@pytest.mark.parametrize("glob", GLOBS)
def test_a_glob_matches_the_paths_discovery_finds(tmp_path: Path, glob: str) -> None:
    for rel in FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    found, problems = discover(tmp_path, (glob,))
    assert not problems
    on_disk = {f.rel for f in found if os.path.isfile(f.path)}  # import writes files only
    assert on_disk == {rel for rel in FILES if path_matches(rel, glob)}


def test_a_literal_glob_matches_only_its_path() -> None:
    assert path_matches("clusters/[x].yaml", literal_glob("clusters/[x].yaml"))
    assert not path_matches("clusters/x.yaml", literal_glob("clusters/[x].yaml"))
