"""The one atomic write (gridsync.atomicfile): synced file and folder, mode, cleanup on failure,
and no other file replacement anywhere in the package."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

import gridsync
from gridsync.atomicfile import write_atomic


def test_replaces_the_file_with_a_private_mode_unless_told(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    target.write_text("old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    write_atomic(target, b"newer", mode=0o644)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["a.json"]


def test_syncs_the_file_and_then_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomic(tmp_path / "a", b"x")
    assert synced == ["file", "dir"]


def test_a_failed_rename_leaves_the_target_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # os.replace of a file over a directory fails
    (target / "inside").write_text("kept")
    with pytest.raises(OSError):
        write_atomic(target, b"x")
    assert sorted(os.listdir(tmp_path)) == ["taken"]
    assert (target / "inside").read_text() == "kept"


def test_an_interrupt_while_writing_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a"
    target.write_bytes(b"old")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    assert os.listdir(tmp_path) == ["a"] and target.read_bytes() == b"old"


def test_no_other_module_replaces_files_itself() -> None:
    package = Path(gridsync.__file__).parent
    pattern = re.compile(
        r"\bos\.replace\(|\bos\.rename\(|\.rename\(|mkstemp\(|NamedTemporaryFile\("
    )
    found = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["atomicfile.py"]
