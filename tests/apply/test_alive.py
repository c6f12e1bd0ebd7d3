"""Long work shows it is alive, and a fleet's apply record costs a write per round: the executor
against the real local control plane (real SQLite, real time, a fast clock)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from factories import desired, state

from gridsync.apply.executor import Executor
from gridsync.apply.heartbeat import elapsed_text
from gridsync.apply.outcome import Progress, WaitPolicy
from gridsync.apply.record import AppliedRecord, FileStore, RecordJournal
from gridsync.commands.apply import progress_interval
from gridsync.config.desired import LocalBackendSettings
from gridsync.errors import UsageError
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.plan.changes import Plan
from gridsync.plan.diff import Policy, compute_plan
from gridsync.render.progress import TtyProgress

SLOW = LocalBackendSettings(
    state=Path("grid.db"), queued_seconds=0.0, provision_seconds=0.4, delete_seconds=0.4
)
QUICK = WaitPolicy(timeout=10, poll_min=0.02, poll_max=0.05, heartbeat=0.15)


class Lines(Progress):
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self.ticks: list[float] = []

    def event(self, name: str, message: str) -> None:
        self.lines.append((name, message))

    def tick(self, elapsed: float) -> None:
        self.ticks.append(elapsed)


class CountingStore(FileStore):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        super().write(data)


@pytest.fixture
def plane(tmp_path: Path) -> LocalControlPlane:
    return LocalControlPlane(SLOW, root=tmp_path)


def plan_for(plane: LocalControlPlane, *clusters: Any, **policy: Any) -> Plan:
    return compute_plan(state(*clusters), plane.list_clusters(), Policy(**policy), "test")


def still(progress: Lines, name: str) -> list[str]:
    return [m for n, m in progress.lines if n == name and m.startswith("still ")]


def test_a_line_per_cluster_still_provisioning_and_still_deleting(
    plane: LocalControlPlane,
) -> None:
    progress = Lines()
    plan = plan_for(plane, desired("ml-a"), desired("ml-b"))
    assert Executor(plane, 4, QUICK, progress).run(plan).ok
    for name in ("ml-a", "ml-b"):
        lines = still(progress, name)
        assert lines and all(m.startswith("still creating (") for m in lines), progress.lines
        assert lines[0].endswith("s elapsed)")
    assert progress.ticks == sorted(progress.ticks) and len(progress.ticks) > 5  # between polls

    progress = Lines()
    plan = plan_for(plane, prune=True, managed=("ml-*",), allow_prune_all=True)
    assert Executor(plane, 4, QUICK, progress).run(plan).ok
    assert still(progress, "ml-a") and all(
        m.startswith("still deleting (") for m in still(progress, "ml-a")
    )


def test_no_still_lines_when_the_interval_is_off_or_the_work_is_short(
    plane: LocalControlPlane,
) -> None:
    progress = Lines()
    off = WaitPolicy(timeout=10, poll_min=0.02, poll_max=0.05, heartbeat=0)
    assert Executor(plane, 4, off, progress).run(plan_for(plane, desired("ml-a"))).ok
    assert not still(progress, "ml-a") and ("ml-a", "running") in progress.lines


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.4, "0s"), (45, "45s"), (600, "10m"), (630.9, "10m30s"), (3600, "1h"), (3900, "1h5m")],
)
def test_elapsed_text(seconds: float, text: str) -> None:
    assert elapsed_text(seconds) == text


def test_the_status_line_ticks_between_poll_rounds() -> None:
    stream = io.StringIO()
    progress = TtyProgress(stream)
    progress.waiting({"ml-a": "pending", "ml-b": "queued"}, 1.2)
    assert stream.getvalue().endswith("waiting for 2 cluster(s) after 1s: 1 pending, 1 queued")
    progress.tick(1.9)  # the same second: nothing redrawn
    before = stream.getvalue()
    assert before.count("waiting for") == 1
    progress.tick(2.1)
    assert stream.getvalue().endswith(
        "\r\x1b[Kwaiting for 2 cluster(s) after 2s: 1 pending, 1 queued"
    )
    progress.waiting({}, 3.0)
    progress.tick(4.0)  # nothing waited for: no status line comes back
    assert "after 4s" not in stream.getvalue()


def test_progress_interval_from_the_environment() -> None:
    assert progress_interval({}) == 300.0
    assert progress_interval({"GRIDSYNC_PROGRESS_INTERVAL": "2m"}) == 120.0
    assert progress_interval({"GRIDSYNC_PROGRESS_INTERVAL": "0"}) == 0.0
    with pytest.raises(UsageError) as caught:
        progress_interval({"GRIDSYNC_PROGRESS_INTERVAL": "soon"})
    assert "GRIDSYNC_PROGRESS_INTERVAL='soon'" in caught.value.message
    assert "5m" in caught.value.hint


def test_a_fleet_costs_a_record_write_per_round_not_per_cluster(
    plane: LocalControlPlane, tmp_path: Path
) -> None:
    names = [f"ml-{i:02d}" for i in range(30)]
    store = CountingStore(tmp_path / "applied.json")
    plan = plan_for(plane, *(desired(n) for n in names))
    progress = Lines()
    journal = RecordJournal(AppliedRecord(store))
    assert Executor(plane, 30, QUICK, progress, journal=journal).run(plan).ok
    assert set(json.loads(store.path.read_text())["clusters"]) == set(names)
    assert 1 <= store.writes <= 3, store.writes  # all settle in one round, written within 1 s

    store.writes = 0
    plan = plan_for(plane, prune=True, managed=("ml-*",), allow_prune_all=True)
    journal = RecordJournal(AppliedRecord(store))
    assert Executor(plane, 30, QUICK, Lines(), journal=journal).run(plan).ok
    assert json.loads(store.path.read_text())["clusters"] == {}
    assert store.writes <= 4, store.writes  # one write ahead for the launch, then the gone


def test_an_update_only_plan_returns_the_live_state_after_without_a_list_call(
    plane: LocalControlPlane,
) -> None:
    assert Executor(plane, 4, QUICK).run(plan_for(plane, desired("ml-a"), desired("ml-b"))).ok
    before = plane.list_clusters()
    plan = plan_for(plane, desired("ml-a", cost_savings=True), desired("ml-b"))
    result = Executor(plane, 4, QUICK).run(plan, before)
    assert result.ok and result.live_after is not None
    after = result.live_after.by_name()
    assert after["ml-a"].spec is not None and after["ml-a"].spec.cost_savings
    assert after["ml-b"] == before.by_name()["ml-b"]
    assert result.live_after.clusters == plane.list_clusters().clusters
