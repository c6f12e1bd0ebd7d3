"""The executor against the real local control plane (a real SQLite file, real time, fast clock)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from factories import desired, state

from gridsync.apply.executor import Executor
from gridsync.apply.outcome import ApplyResult, Progress, Status, WaitPolicy
from gridsync.apply.record import AppliedRecord, FileStore, RecordJournal
from gridsync.config.desired import LocalBackendSettings
from gridsync.errors import GridsyncError
from gridsync.live.backend import LiveState
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.plan.changes import Plan
from gridsync.plan.diff import Memory, Policy, compute_plan
from gridsync.spec import ClusterSpec

FAST = LocalBackendSettings(
    state=Path("grid.db"), queued_seconds=0.05, provision_seconds=0.1, delete_seconds=0.1
)
QUICK = WaitPolicy(timeout=10, poll_min=0.02, poll_max=0.05)


class Counting:
    """The real backend, counting calls and the most calls in flight at once."""

    def __init__(self, inner: LocalControlPlane, latency: float = 0.0) -> None:
        self.inner = inner
        self.latency = latency
        self.calls: list[str] = []
        self.inflight = 0
        self.max_inflight = 0
        self.lock = threading.Lock()

    @property
    def description(self) -> str:
        return self.inner.description

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        changes = name in (
            "create",
            "update",
            "delete",
        )  # what --parallelism bounds; polls are apart
        with self.lock:
            self.calls.append(name)
            self.inflight += changes
            self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            time.sleep(self.latency)
            return getattr(self.inner, name)(*args, **kwargs)
        finally:
            with self.lock:
                self.inflight -= changes

    def list_clusters(self) -> LiveState:
        return self._call("list_clusters")  # type: ignore[no-any-return]

    def get(self, cluster_id: str) -> Any:
        return self._call("get", cluster_id)

    def create(self, name: str, spec: ClusterSpec, base: Any = None) -> Any:
        return self._call("create", name, spec, base)

    def update(self, cluster_id: str, spec: ClusterSpec) -> Any:
        return self._call("update", cluster_id, spec)

    def delete(self, cluster_id: str, *, force: bool = False) -> None:
        self._call("delete", cluster_id, force=force)

    def set_context(self, cluster_id: str) -> None:
        self._call("set_context", cluster_id)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def plane(tmp_path: Path) -> LocalControlPlane:
    return LocalControlPlane(FAST, root=tmp_path)


def plan_for(plane: LocalControlPlane | Counting, *clusters: Any, **policy: Any) -> Plan:
    return compute_plan(state(*clusters), plane.list_clusters(), Policy(**policy), "test")


def run(backend: Any, plan: Plan, **kwargs: Any) -> ApplyResult:
    return Executor(backend, waits=kwargs.pop("waits", QUICK), **kwargs).run(plan)


def statuses(result: ApplyResult) -> dict[str, str]:
    return {o.name: str(o.status) for o in result.outcomes}


def test_creates_reach_running_with_one_list_call_per_poll_round(plane: LocalControlPlane) -> None:
    backend = Counting(plane)
    plan = plan_for(plane, *(desired(f"c{i}") for i in range(6)))
    result = run(backend, plan, parallelism=3)
    assert result.ok and statuses(result) == {f"c{i}": "succeeded" for i in range(6)}
    assert {c.name: c.phase for c in plane.list_clusters().clusters if c.name.startswith("c")} == {
        f"c{i}": "CLUSTER_STATE_RUNNING" for i in range(6)
    }
    assert backend.calls.count("create") == 6
    assert set(backend.calls) == {"create", "list_clusters"}  # waiting never asks per cluster


def test_parallelism_bounds_calls_in_flight(plane: LocalControlPlane) -> None:
    backend = Counting(plane, latency=0.05)
    plan = plan_for(plane, *(desired(f"c{i}") for i in range(8)))
    assert run(backend, plan, parallelism=2).ok
    assert backend.max_inflight == 2


def test_a_failed_create_does_not_stop_the_others(plane: LocalControlPlane) -> None:
    plane.inject_failure("b", "quota exceeded: vCPU limit")
    result = run(plane, plan_for(plane, desired("a"), desired("b"), desired("c")))
    assert statuses(result) == {"a": "succeeded", "b": "failed", "c": "succeeded"}
    (failed,) = [o for o in result.outcomes if o.status == Status.FAILED]
    assert "quota exceeded: vCPU limit" in failed.detail
    assert not result.ok


def test_replace_deletes_waits_until_gone_then_creates(plane: LocalControlPlane) -> None:
    assert run(plane, plan_for(plane, desired("a"))).ok
    plan = plan_for(plane, desired("a", region="us-west-2"), allow_replace=True)
    result = run(plane, plan)
    assert statuses(result) == {"a": "succeeded"}
    cluster = plane.get("a")
    assert cluster.spec is not None and cluster.spec.region == "us-west-2"
    assert cluster.phase == "CLUSTER_STATE_RUNNING"


def test_update_and_delete(plane: LocalControlPlane) -> None:
    assert run(plane, plan_for(plane, desired("a"), desired("ml-old"))).ok
    plan = plan_for(
        plane, desired("a", cost_savings=True), prune=True, managed=("ml-*",), allow_prune_all=True
    )  # ml-old is the only managed cluster: deleting it empties the managed set
    assert run(plane, plan).ok
    live = plane.list_clusters().by_name()
    assert "ml-old" not in live
    assert live["a"].spec is not None and live["a"].spec.cost_savings


def test_a_create_whose_cluster_exists_is_adopted_not_duplicated(plane: LocalControlPlane) -> None:
    plan = plan_for(plane, desired("a"))
    plane.create("a", desired("a").spec)  # e.g. an earlier run died after its request landed
    result = run(plane, plan)
    assert result.ok
    assert [c.name for c in plane.list_clusters().clusters].count("a") == 1


def test_stop_before_launch_leaves_everything_not_attempted(plane: LocalControlPlane) -> None:
    executor = Executor(plane, waits=QUICK)
    executor.stop.set()
    result = executor.run(plan_for(plane, desired("a"), desired("b")))
    assert result.interrupted and statuses(result) == {"a": "not attempted", "b": "not attempted"}
    assert [c.name for c in plane.list_clusters().clusters] == ["grid-cloud"]


def test_interrupt_while_waiting_reports_incomplete(tmp_path: Path) -> None:
    slow = LocalControlPlane(
        LocalBackendSettings(queued_seconds=30, provision_seconds=30), root=tmp_path
    )

    class StopWhenCreated(Progress):
        def event(self, name: str, message: str) -> None:
            if message == "create requested":
                executor.stop.set()

    executor = Executor(slow, waits=QUICK, progress=StopWhenCreated())
    result = executor.run(plan_for(slow, desired("a")))
    assert result.interrupted and statuses(result) == {"a": "incomplete"}
    assert slow.get("a").phase == "CLUSTER_STATE_QUEUED"  # the request landed; a rerun waits for it


def test_wait_timeout_is_incomplete(plane: LocalControlPlane, tmp_path: Path) -> None:
    slow = LocalControlPlane(
        LocalBackendSettings(state=Path("slow.db"), queued_seconds=60, provision_seconds=60),
        root=tmp_path,
    )
    result = run(
        slow,
        plan_for(slow, desired("a")),
        waits=WaitPolicy(timeout=0.2, poll_min=0.02, poll_max=0.05),
    )
    assert statuses(result) == {"a": "incomplete"}
    assert "timed out" in result.outcomes[0].detail


def test_no_wait_returns_after_the_request(tmp_path: Path) -> None:
    slow = LocalControlPlane(
        LocalBackendSettings(queued_seconds=60, provision_seconds=60), root=tmp_path
    )
    result = run(slow, plan_for(slow, desired("a")), waits=WaitPolicy(wait=False))
    assert result.ok and slow.get("a").phase == "CLUSTER_STATE_QUEUED"


def test_context_is_set_after_the_cluster_runs(plane: LocalControlPlane) -> None:
    result = run(plane, plan_for(plane, desired("a", context=True)))
    assert result.ok and result.context is not None and result.context.status == Status.SUCCEEDED
    assert plane.list_clusters().context == "a"


def test_context_not_set_when_its_cluster_failed(plane: LocalControlPlane) -> None:
    plane.inject_failure("a", "bad role")
    result = run(plane, plan_for(plane, desired("a", context=True)))
    assert result.context is not None and result.context.status == Status.NOT_ATTEMPTED
    assert plane.list_clusters().context is None


def test_blocked_changes_are_never_executed(plane: LocalControlPlane) -> None:
    assert run(plane, plan_for(plane, desired("a"))).ok
    plan = plan_for(plane, desired("a", region="us-west-2"))  # replace without --allow-replace
    assert plan.blocked
    result = run(plane, plan)
    assert result.outcomes == ()
    assert plane.get("a").spec.region == "us-east-1"  # type: ignore[union-attr]


class SlowList(Counting):
    """List calls take `list_latency`; creates are quick. Records when each call started and ended."""

    def __init__(self, inner: LocalControlPlane, list_latency: float) -> None:
        super().__init__(inner)
        self.list_latency = list_latency
        self.spans: list[tuple[str, float, float]] = []

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        if name == "list_clusters":
            time.sleep(self.list_latency)
        try:
            return super()._call(name, *args, **kwargs)
        finally:
            with self.lock:
                self.spans.append((name, started, time.monotonic()))


def test_creates_go_on_while_a_poll_round_is_out(plane: LocalControlPlane) -> None:
    # One worker, 12 creates of ~10 ms each, and list calls of 0.3 s from the first poll round on
    # (20 ms in): the creates must not wait for the round to be answered.
    backend = SlowList(plane, list_latency=0.0)
    plan = plan_for(plane, *(desired(f"c{i:02}") for i in range(12)))
    backend.latency, backend.list_latency = 0.01, 0.3
    waits = WaitPolicy(10, poll_min=0.02, poll_max=0.05, poll_submitting=0.0)
    result = run(backend, plan, parallelism=1, waits=waits)
    assert result.ok
    lists = [(a, b) for name, a, b in backend.spans if name == "list_clusters"]
    creates = [(a, b) for name, a, b in backend.spans if name == "create"]
    first_list = min(lists)
    during = [c for c in creates if first_list[0] < c[0] < first_list[1]]
    assert len(during) >= 5, f"{len(during)} of 12 creates started while the first list was out"


def test_the_last_poll_round_is_the_live_state_after_apply(plane: LocalControlPlane) -> None:
    backend = Counting(plane)
    result = run(backend, plan_for(plane, desired("a"), desired("b")))
    assert result.ok and result.live_after is not None
    phases = {c.name: c.phase for c in result.live_after.clusters}
    assert phases["a"] == phases["b"] == "CLUSTER_STATE_RUNNING"
    last_list = len(backend.calls) - 1 - backend.calls[::-1].index("list_clusters")
    assert "create" not in backend.calls[last_list:]


def test_no_live_state_after_apply_when_a_call_finished_after_the_last_round(
    plane: LocalControlPlane,
) -> None:
    assert run(plane, plan_for(plane, desired("a"))).ok
    no_wait = WaitPolicy(10, poll_min=0.02, poll_max=0.05, wait=False)
    result = run(plane, plan_for(plane, desired("a", cost_savings=True)), waits=no_wait)
    assert result.ok and result.live_after is None  # an update, no poll round after it


def test_an_executor_stopped_early_runs_only_the_next_plan_next_time(
    plane: LocalControlPlane,
) -> None:
    backend = Counting(plane)
    executor = Executor(backend, parallelism=1, waits=QUICK)
    executor.stop.set()
    stopped = executor.run(plan_for(plane, desired("a"), desired("b")))
    assert stopped.interrupted and backend.calls.count("create") == 0
    executor.stop.clear()
    assert executor.run(plan_for(plane, desired("c"))).ok
    assert {c.name for c in plane.list_clusters().clusters} == {"grid-cloud", "c"}


# --- the apply record, kept true as changes settle ------------------------------------------------


class WatchedStore:
    """A real record file; each write notes what live state held when it was written."""

    def __init__(self, path: Path, plane: LocalControlPlane, fail: bool = False) -> None:
        self.inner = FileStore(path)
        self.plane = plane
        self.fail = fail
        self.writes: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.untouched: list[set[str]] = []  # per write: the live clusters not asked to go

    @property
    def where(self) -> str:
        return self.inner.where

    def read(self) -> bytes | None:
        return self.inner.read()

    def write(self, data: bytes) -> None:
        if self.fail:
            raise GridsyncError("disk full")
        clusters = self.plane.list_clusters().clusters
        live = {c.name: c.status for c in clusters}
        self.writes.append((json.loads(data)["clusters"], live))
        self.untouched.append({c.name for c in clusters if not c.terminating})
        self.inner.write(data)


def test_a_delete_is_recorded_before_it_is_requested_and_forgotten_once_gone(
    plane: LocalControlPlane, tmp_path: Path
) -> None:
    assert run(plane, plan_for(plane, desired("a"), desired("ml-old"))).ok
    store = WatchedStore(tmp_path / "applied.json", plane)
    plan = plan_for(
        plane, desired("a", cost_savings=True), prune=True, managed=("ml-*",), allow_prune_all=True
    )
    result = run(plane, plan, journal=RecordJournal(AppliedRecord(store)))
    assert result.ok
    marked = next(i for i, (entries, _) in enumerate(store.writes) if "ml-old" in entries)
    entries, live = store.writes[marked]
    assert entries["ml-old"]["deleting"] is True and live["ml-old"] == "running"  # not yet asked
    assert "ml-old" not in store.writes[-1][0]  # forgotten once gone
    updated = [e["a"] for e, _ in store.writes if "a" in e]
    assert updated and updated[0]["public"]["cost_savings"] is True  # as soon as it settled


def test_many_deletes_take_few_writes_ahead_each_before_it_is_requested(
    plane: LocalControlPlane, tmp_path: Path
) -> None:
    names = [f"ml-{i:02d}" for i in range(24)]
    assert run(plane, plan_for(plane, *(desired(n) for n in names))).ok
    store = WatchedStore(tmp_path / "applied.json", plane)
    plan = plan_for(plane, prune=True, managed=("ml-*",), allow_prune_all=True)
    journal = RecordJournal(AppliedRecord(store))
    executor = Executor(plane, parallelism=4, waits=QUICK, journal=journal)
    assert executor.run(plan).ok and not plane.list_clusters().by_name().keys() & set(names)
    marked: dict[str, int] = {}  # each cluster -> the first write marking it
    for index, (entries, _) in enumerate(store.writes):
        for name, entry in entries.items():
            if entry.get("deleting"):
                marked.setdefault(name, index)
    assert set(marked) == set(names)
    for name, index in marked.items():  # marked while it was still there, not yet asked to go
        assert name in store.untouched[index], (name, index)
    # A freed slot launches one delete; a write marks it and the next ones (a wave, or a
    # second's worth): 24 deletes at parallelism 4 take a few writes, where one per launch took 21.
    ahead = sorted(set(marked.values()))
    assert len(ahead) <= 6, ahead
    # The first write, before any rate is known: the first launch and one wave, nothing more.
    entries, _ = store.writes[ahead[0]]
    early = [n for n, e in entries.items() if e.get("deleting") and n in store.untouched[ahead[0]]]
    assert len(early) == 2 * 4, early


def test_deletes_are_written_ahead_about_once_a_second_however_many_there_are(
    plane: LocalControlPlane, tmp_path: Path
) -> None:
    """Past the first wave, a write ahead marks what a second launches at the rate so far: 120
    deletes at parallelism 4 (30 waves of 20 ms) take a few writes, where a wave at a time
    took 23, each marking a cluster before it is asked to go."""
    names = [f"ml-{i:03d}" for i in range(120)]
    assert run(plane, plan_for(plane, *(desired(n) for n in names)), parallelism=30).ok
    store = WatchedStore(tmp_path / "applied.json", plane)
    plan = plan_for(plane, prune=True, managed=("ml-*",), allow_prune_all=True)
    journal = RecordJournal(AppliedRecord(store))
    backend = Counting(plane, latency=0.02)
    assert run(backend, plan, parallelism=4, journal=journal).ok
    assert backend.calls.count("delete") == 120
    marked: dict[str, int] = {}
    for index, (entries, _) in enumerate(store.writes):
        for name, entry in entries.items():
            if entry.get("deleting"):
                marked.setdefault(name, index)
    assert set(marked) == set(names)
    assert all(name in store.untouched[index] for name, index in marked.items())
    assert len(set(marked.values())) <= 5, sorted(set(marked.values()))


def test_a_delete_whose_record_cannot_be_written_first_is_not_requested(
    plane: LocalControlPlane, tmp_path: Path
) -> None:
    assert run(plane, plan_for(plane, desired("a"), desired("ml-old"))).ok
    store = WatchedStore(tmp_path / "applied.json", plane, fail=True)
    plan = plan_for(plane, desired("a"), prune=True, managed=("ml-*",), allow_prune_all=True)
    result = run(plane, plan, journal=RecordJournal(AppliedRecord(store)))
    assert statuses(result) == {"ml-old": "failed"}
    assert "could not be written first: disk full" in result.outcomes[0].detail
    assert not plane.get("ml-old").terminating


def test_apply_waits_for_a_deletion_an_earlier_apply_asked_for(plane: LocalControlPlane) -> None:
    assert run(plane, plan_for(plane, desired("a"), desired("ml-old"))).ok
    plane.delete("ml-old")  # the earlier apply was killed after asking
    live = plane.list_clusters()
    memory = Memory(deleting=frozenset({"ml-old"}))
    plan = compute_plan(state(desired("a")), live, Policy(), "test", memory=memory)
    assert [(t.name, t.by_gridsync) for t in plan.awaited] == [("ml-old", True)]
    result = run(plane, plan)
    assert statuses(result) == {"ml-old": "succeeded"}
    assert "ml-old" not in plane.list_clusters().by_name()
