"""gridsync.collector: reading pauses the cycle collector and freezes what it read."""

from __future__ import annotations

import gc
from pathlib import Path

from gridsync import collector
from gridsync.config import load
from gridsync.config.desired import ProjectSettings


class _Value:
    """A container the collector tracks (a plain object with a __dict__)."""


def test_paused_collects_nothing_inside_and_freezes_what_is_alive() -> None:
    assert gc.isenabled()
    collections: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        frozen_before = gc.get_freeze_count()
        with collector.paused():
            assert not gc.isenabled()
            kept = [[_Value()] for _ in range(3 * collector.THRESHOLD[0])]
        assert collections == []  # more than a threshold's worth of containers, no collection
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen_before + len(kept)
        tracked = {id(o) for o in gc.get_objects()}
        assert id(kept[0]) not in tracked and id(kept[-1][0]) not in tracked
    finally:
        gc.callbacks.remove(seen)
        gc.unfreeze()
    assert id(kept[0]) in {id(o) for o in gc.get_objects()}


def test_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_reading_a_project_freezes_its_values(tmp_path: Path) -> None:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "a.yaml").write_text(
        "apiVersion: gridsync/v1\nkind: Cluster\nname: a\nprovider: aws\nregion: us-east-1\n"
        "role_arn: arn:aws:iam::123456789012:role/grid\nexternal_id: ext-123456\n"
        "instance_types: [t3.large]\n",
        encoding="utf-8",
    )
    gc.unfreeze()
    desired = load.load_desired(ProjectSettings(root=tmp_path), {})
    assert [c.name for c in desired.clusters] == ["a"]
    assert gc.isenabled()
    assert id(desired.clusters[0]) not in {id(o) for o in gc.get_objects()}
