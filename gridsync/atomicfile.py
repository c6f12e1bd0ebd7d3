"""The one atomic file write: every file gridsync replaces (a saved plan, the apply record, a run
config it re-points, Grid's settings.json, Terraform's settings and CLI configuration) goes here.

A temporary file in the same folder is written, flushed and fsynced, given its mode, renamed over
the target, and then the folder is fsynced so the rename itself survives a crash. A reader, or a
run killed half way, sees the old file or the new one, never a mix; on any failure (an OSError, an
interrupt) the temporary file is removed and the target is left as it was. `create_new` makes a
set of new files (`gridsync import`) all or none, never replacing one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data`; `mode` None keeps the temporary file's private 0600."""
    import tempfile  # here: every command imports this module (gridsync.output), few write

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    sync_dir(path.parent)


def create_new(files: Mapping[Path, bytes]) -> None:
    """Create every file or none, never replacing one that exists.

    Each file goes to a temporary file beside its target, fsynced, then is hard-linked into
    place: a link fails when the name exists, even one created a moment ago by someone else. On
    any failure the files and folders made so far are removed again.
    """
    made: list[Path] = []  # files linked into place and folders created, in order
    temps: list[Path] = []
    try:
        for path, data in files.items():
            made.extend(_make_parents(path.parent))
            temp = path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            temps.append(temp)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for temp, path in zip(temps, files, strict=True):
            os.link(temp, path)
            made.append(path)
    except BaseException:
        for temp in temps:
            temp.unlink(missing_ok=True)
        for path in reversed(made):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        raise
    for temp in temps:
        temp.unlink(missing_ok=True)
    for folder in {path.parent for path in files}:
        sync_dir(folder)


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; the ones created, outermost first."""
    missing = [p for p in (folder, *folder.parents) if not os.path.lexists(p)]
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))


def sync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (where the platform allows opening a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
