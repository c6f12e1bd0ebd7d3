"""The apply record's writes during a large apply: each write re-masks only the entries that
changed, and a secret registered after an entry was first written is still masked in the next."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import live

import gridsync.apply.record as record_module
from gridsync import redact
from gridsync.apply.record import AppliedRecord, FileStore
from gridsync.spec import ClusterSpec


def test_entries_written_before_a_secret_is_registered_are_masked_after_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".gridsync" / "applied.json"
    record = AppliedRecord(FileStore(path))
    record.update([live("ml-a", region="eu-west-1")], [])
    assert "eu-west-1" in path.read_text()
    redact.register("eu-west-1")
    record.update([live("ml-b")], [])  # ml-a is unchanged, and written again
    written = json.loads(path.read_text())["clusters"]
    assert written["ml-a"]["public"]["region"] == "***"
    assert written["ml-b"]["public"]["region"] == "us-east-1"


def test_unchanged_entries_are_not_masked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = AppliedRecord(FileStore(tmp_path / "applied.json"))
    record.update([live(f"ml-{n}") for n in range(50)], [])
    masked: list[object] = []

    def counting(value: object) -> object:
        masked.append(value)
        return redact.mask_strings(value)

    monkeypatch.setattr(record_module, "mask_strings", counting)
    record.update([live("ml-new")], [])
    assert len(masked) == 1  # the new entry only, not the 50 written before
    assert len(json.loads((tmp_path / "applied.json").read_text())["clusters"]) == 51


def test_a_spec_recorded_again_is_not_digested_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end of an apply records every cluster again, mostly as its poll rounds saw them."""
    record = AppliedRecord(FileStore(tmp_path / "applied.json"))
    seen = [live(f"ml-{n}") for n in range(20)]
    record.update(seen, [])
    digested: list[object] = []
    digest = record_module.spec_digest

    def counting(spec: ClusterSpec) -> str:
        digested.append(spec)
        return digest(spec)

    monkeypatch.setattr(record_module, "spec_digest", counting)
    changed = live("ml-0", region="eu-west-1")
    record.update([changed, *seen[1:]], [])
    assert digested == [changed.spec]
    entries = json.loads((tmp_path / "applied.json").read_text())["clusters"]
    assert entries["ml-0"]["public"]["region"] == "eu-west-1"
