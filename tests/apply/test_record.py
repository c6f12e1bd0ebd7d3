"""The apply record: checked whole before use, never downgraded, replaced atomically, and its
errors say how to recover without losing anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import live

from gridsync.apply.record import VERSION, AppliedRecord, FileStore
from gridsync.errors import GridsyncError

ENTRY = {"digest": "ab", "public": {"region": "us-east-1"}, "applied_at": "2026-01-01T00:00:00Z"}


def record_at(tmp_path: Path, data: object | None = None) -> tuple[AppliedRecord, Path]:
    path = tmp_path / ".gridsync" / "applied.json"
    if data is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data if isinstance(data, str) else json.dumps(data))
    return AppliedRecord(FileStore(path)), path


DAMAGED = [
    ("not json", "{", "it is not JSON"),
    ("clusters is a list", {"version": 1, "clusters": []}, "'clusters' must be an object"),
    ("no version", {"clusters": {}}, "'version' is None"),
    ("version is a string", {"version": "2", "clusters": {}}, "'version' is '2'"),
    ("entry lacks a field", {"version": 1, "clusters": {"a": {"digest": "x"}}}, "lacks public"),
    (
        "entry of the wrong type",
        {"version": 2, "clusters": {"a": {**ENTRY, "protect": "yes"}}},
        "clusters.a.protect must be a bool",
    ),
    (
        "unknown entry key",
        {"version": 2, "clusters": {"a": {**ENTRY, "owner": "x"}}},
        "unknown keys owner",
    ),
]


@pytest.mark.parametrize(("data", "why"), [c[1:] for c in DAMAGED], ids=[c[0] for c in DAMAGED])
def test_a_damaged_record_is_refused_with_a_way_out_that_loses_nothing(
    tmp_path: Path, data: object, why: str
) -> None:
    record, path = record_at(tmp_path, data)
    before = path.read_bytes()
    with pytest.raises(GridsyncError) as caught:
        record.load()
    error = caught.value
    assert why in error.message and "nothing was changed" in error.message
    assert "restore it" in error.hint and "move it aside" in error.hint
    assert "delete it" not in str(error)
    assert path.read_bytes() == before


def test_a_record_of_a_newer_version_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    data = {"version": 99, "clusters": {"a": {**ENTRY, "future": True}}, "more": 1}
    record, path = record_at(tmp_path, data)
    before = path.read_bytes()
    with pytest.raises(GridsyncError, match="version 99, written by a newer gridsync"):
        record.update([live("a")], [])
    assert path.read_bytes() == before


def test_a_version_1_record_is_read_and_written_back_as_the_current_version(
    tmp_path: Path,
) -> None:
    record, path = record_at(tmp_path, {"version": 1, "clusters": {"old": ENTRY}})
    assert not record.load()["old"].protect  # type: ignore[index]
    record.update([live("a")], [], protected=["a"])
    data = json.loads(path.read_text())
    assert data["version"] == VERSION
    assert data["clusters"]["old"] == ENTRY and data["clusters"]["a"]["protect"] is True


def test_deletes_are_written_ahead_and_forgotten_once_gone(tmp_path: Path) -> None:
    record, path = record_at(tmp_path)
    record.update([live("a")], [], protected=["a"])
    record.deleting("a")
    record.deleting("never-applied")
    again = AppliedRecord(FileStore(path)).load()  # a fresh reader sees each write at once
    assert again is not None and again["a"].deleting and again["a"].protect
    assert again["never-applied"].deleting and again["never-applied"].digest == ""
    record.forget(["a", "never-applied"])
    assert AppliedRecord(FileStore(path)).load() == {}


def test_a_failed_write_leaves_the_old_record_and_no_temporary_file(tmp_path: Path) -> None:
    """Root ignores file modes, so the writes fail on paths no mode can fix."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the record's folder should be")
    with pytest.raises(GridsyncError) as caught:
        FileStore(blocker / "applied.json").write(b"{}")
    assert "cannot write the apply record" in caught.value.message
    assert "writable" in caught.value.hint and "delete" not in str(caught.value)

    folder = tmp_path / "state"
    (folder / "applied.json").mkdir(parents=True)  # the rename over it fails
    (folder / "applied.json" / "keep").write_text("")
    with pytest.raises(GridsyncError, match="cannot write the apply record"):
        FileStore(folder / "applied.json").write(b"{}")
    assert sorted(p.name for p in folder.iterdir()) == ["applied.json"]  # no temporary left
