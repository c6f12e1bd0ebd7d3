"""`.gridsync/`: the folder of gridsync's own state in a project (local control plane, lock, apply
record, Terraform work dirs). It is private to its owner and ignores itself in git.

A pull request can commit `.gridsync` (or something under it) as a symlink. gridsync never
follows one there: `.gridsync` and every path under it that gridsync opens, creates or chmods
must not be a symlink (`refuse_symlinks`), so a link can neither move its state elsewhere nor
have gridsync chmod or write a target outside the project.
"""

from __future__ import annotations

import os
from pathlib import Path

from gridsync.errors import UnsafePath

NAME = ".gridsync"
_IGNORE_ALL = "# gridsync's local state: never commit it\n*\n"


def ensure_dir(path: Path, *, private: bool = False) -> Path:
    """Create `path` (and its parents). A `.gridsync` folder on the way gets a `.gitignore` that
    ignores everything in it, and mode 0700; `private` makes `path` itself 0700 too. A symlink
    at or under `.gridsync` is refused (UnsafePath), never followed."""
    refuse_symlinks(path)
    path.mkdir(parents=True, exist_ok=True)
    refuse_symlinks(path)  # what mkdir found or made on the way
    for folder in (path, *path.parents):
        if folder.name == NAME:
            _own(folder)
            break
    if private:
        os.chmod(path, 0o700)
    return path


def refuse_symlinks(path: Path) -> None:
    """Raise UnsafePath when `.gridsync` on the way to `path`, or any path below it down to
    `path` itself, is a symlink. Paths with no `.gridsync` component are not checked here."""
    parts = path.parts
    if NAME not in parts:
        return
    start = parts.index(NAME)
    for end in range(start + 1, len(parts) + 1):
        component = Path(*parts[:end])
        if component.is_symlink():
            raise UnsafePath(
                f"{component} is a symbolic link; gridsync never follows a link in its state "
                f"folder {NAME}/ (it could lead outside the project)",
                hint=f"remove the link; {NAME}/ is local state and is never committed",
            )


def _own(folder: Path) -> None:
    ignore = folder / ".gitignore"
    refuse_symlinks(ignore)
    if not ignore.exists():
        ignore.write_text(_IGNORE_ALL, encoding="utf-8")
    if folder.stat().st_mode & 0o077:
        os.chmod(folder, 0o700)
