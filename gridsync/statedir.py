"""`.gridsync/`: the folder of gridsync's own state in a project (local control plane, lock, apply
record, Terraform work dirs). It is private to its owner and ignores itself in git."""

from __future__ import annotations

import os
from pathlib import Path

NAME = ".gridsync"
_IGNORE_ALL = "# gridsync's local state: never commit it\n*\n"


def ensure_dir(path: Path, *, private: bool = False) -> Path:
    """Create `path` (and its parents). A `.gridsync` folder on the way gets a `.gitignore` that
    ignores everything in it, and mode 0700; `private` makes `path` itself 0700 too."""
    path.mkdir(parents=True, exist_ok=True)
    for folder in (path, *path.parents):
        if folder.name == NAME:
            _own(folder)
            break
    if private:
        os.chmod(path, 0o700)
    return path


def _own(folder: Path) -> None:
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text(_IGNORE_ALL, encoding="utf-8")
    if folder.stat().st_mode & 0o077:
        os.chmod(folder, 0o700)
