"""Writing planned run config edits: only `compute.provider.cluster` changes, atomically."""

from __future__ import annotations

from pathlib import Path

from gridsync.atomicfile import write_atomic
from gridsync.errors import GridsyncError
from gridsync.plan.changes import RunEdit
from gridsync.plan.runs import CLUSTER_PATH
from gridsync.yamledit import get_scalar, set_scalar


def write_run_edit(root: Path, edit: RunEdit, cluster_id: str) -> bool:
    """Set the file's cluster to `cluster_id`. False when it already was (nothing written).

    Refuses when the value moved since the plan (someone else edited it): rerun plan.
    """
    path = root / edit.path
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GridsyncError(f"cannot read {edit.path}: {exc}") from exc
    current, line, _ = get_scalar(text, CLUSTER_PATH)
    if current == cluster_id:
        return False
    if current != edit.before:
        raise GridsyncError(
            f"{edit.path}:{line}: compute.provider.cluster is {current!r} now, the plan saw "
            f"{edit.before!r}; not changed. Run plan again."
        )
    _write_atomically(path, edit.path, set_scalar(text, CLUSTER_PATH, cluster_id))
    return True


def _write_atomically(path: Path, rel: str, text: str) -> None:
    """A failed write (a read-only folder, a full disk, the file gone) fails this edit alone:
    the file is as it was (atomicfile), the clusters are applied, the other edits go on, and
    the summary says what to fix; a rerun converges."""
    try:
        write_atomic(path, text.encode("utf-8"), mode=path.stat().st_mode & 0o7777)
    except OSError as exc:
        raise GridsyncError(
            f"cannot write {rel}: {exc.strerror or exc}; it is unchanged. Make it and its "
            "folder writable, then run apply again."
        ) from exc
