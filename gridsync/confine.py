"""Paths that repository files name stay inside the project, after symlinks are resolved.

Whoever opens a pull request controls every file in it, symlinks included, so a path written in
YAML (`backend.local.state`, a module, a var file) or found inside a module is checked where it
is used: resolved, it must lie under the resolved project root. A directory tree that gridsync
copies (a Terraform module) is walked first: a symlink in it that leaves the project, dangles or
loops is refused, naming the link, before anything is copied.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple


def is_inside(root: Path, path: Path) -> bool:
    """Whether `path` (symlinks resolved, whether or not it exists) lies under `root`; a symlink
    loop on the way is not inside."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (RuntimeError, OSError):  # RuntimeError: a symlink loop (Python 3.11)
        return False


def shown(root: Path, path: Path) -> str:
    """`path` relative to the root when it is under it (as written, links not resolved)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


class _Dir(NamedTuple):
    path: Path  # as reached, links not resolved
    real: Path  # resolved
    ancestors: frozenset[Path]  # resolved directories above it on the way from the top


def tree_problem(root: Path, top: Path, skip: Callable[[str], bool]) -> str:
    """Why the tree at `top` must not be copied ("" when it may): a symlink in it that leads
    outside `root`, dangles, or loops back to a directory it is in. Names for which `skip` is
    true are not looked at (they are not copied)."""
    real_root = root.resolve()
    pending = [_Dir(top, top.resolve(), frozenset())]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current.path) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            return f"cannot list {shown(root, current.path)}: {exc.strerror or exc}"
        for entry in entries:
            if skip(entry.name):
                continue
            path = current.path / entry.name
            problem, child = _entry(root, real_root, current, path, entry)
            if problem:
                return problem
            if child is not None:
                pending.append(child)
    return ""


def _entry(
    root: Path, real_root: Path, parent: _Dir, path: Path, entry: os.DirEntry[str]
) -> tuple[str, _Dir | None]:
    """A problem with one entry, or the directory to walk into (None for a file)."""
    ancestors = parent.ancestors | {parent.real}
    if not entry.is_symlink():
        if entry.is_dir(follow_symlinks=False):
            return "", _Dir(path, parent.real / entry.name, ancestors)
        return "", None
    target = _target(root, path)
    if isinstance(target, str):
        return target, None
    if not target.is_relative_to(real_root):
        return f"symlink {shown(root, path)} leads outside the project (to {target})", None
    if not target.is_dir():
        return "", None
    if target in ancestors or any(a.is_relative_to(target) for a in ancestors):
        return f"symlink loop: {shown(root, path)} points back to a directory it is in", None
    return "", _Dir(path, target, ancestors)


def _target(root: Path, path: Path) -> Path | str:
    """The symlink's resolved target, or why it cannot be followed."""
    try:
        return path.resolve(strict=True)
    except RuntimeError:
        return f"symlink loop: {shown(root, path)}"
    except FileNotFoundError:
        return f"broken symlink {shown(root, path)}: {os.readlink(path)!r} does not exist"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symlink loop: {shown(root, path)}"
        return f"cannot follow the symlink {shown(root, path)}: {exc.strerror or exc}"
