"""The one atomic file write: every file gridsync replaces (a saved plan, the apply record, a run
config it re-points, Grid's settings.json, Terraform's settings and CLI configuration) goes here.

A temporary file in the same folder is written, flushed and fsynced, given its mode, renamed over
the target, and then the folder is fsynced so the rename itself survives a crash. A reader, or a
run killed half way, sees the old file or the new one, never a mix; on any failure (an OSError, an
interrupt) the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data`; `mode` None keeps the temporary file's private 0600."""
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
