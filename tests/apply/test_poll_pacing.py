"""Poll rounds while a large plan is still being submitted come at most every
`WaitPolicy.poll_submitting` (each round lists every cluster); once the last call is sent they
follow poll_max again, so the last clusters are seen RUNNING as soon as before."""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from factories import desired, state

from gridsync.apply.executor import Executor
from gridsync.apply.outcome import WaitPolicy
from gridsync.config.desired import LocalBackendSettings
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.plan.diff import Policy, compute_plan

CLOCK = LocalBackendSettings(
    state=Path("grid.db"), queued_seconds=0.0, provision_seconds=0.05, delete_seconds=0.05
)


class Timed:
    """The real local control plane; creates take `latency`, list calls `list_latency`; every
    call's start time kept."""

    def __init__(self, inner: LocalControlPlane, latency: float, list_latency: float = 0.0) -> None:
        self.inner, self.latency, self.list_latency = inner, latency, list_latency
        self.starts: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    @property
    def description(self) -> str:
        return self.inner.description

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.starts.append((name, time.monotonic()))
            if name in ("create", "list_clusters"):
                time.sleep(self.latency if name == "create" else self.list_latency)
            return method(*args, **kwargs)

        return call


def _apply(tmp_path: Path, poll_submitting: float) -> tuple[list[float], list[float], float]:
    """15 creates of 20 ms one after another; poll_max 10 ms. The start of each list call and of
    each create, and when the apply ended."""
    plane = LocalControlPlane(CLOCK, root=tmp_path / str(poll_submitting))
    backend = Timed(plane, latency=0.02)
    plan = compute_plan(
        state(*(desired(f"c{i:02}") for i in range(15))), plane.list_clusters(), Policy(), "test"
    )
    waits = WaitPolicy(10, poll_min=0.01, poll_max=0.01, poll_submitting=poll_submitting)
    assert Executor(backend, parallelism=1, waits=waits).run(plan).ok
    ended = time.monotonic()
    lists = [t for name, t in backend.starts if name == "list_clusters"]
    creates = [t for name, t in backend.starts if name == "create"]
    return lists, creates, ended


def test_rounds_are_sparse_while_creates_are_queued_and_follow_poll_max_after(
    tmp_path: Path,
) -> None:
    gap = 0.25
    lists, creates, ended = _apply(tmp_path, poll_submitting=gap)
    # Until the second to last create starts, the last one is still queued (one worker).
    during = [t for t in lists if t < creates[-2]]
    assert all(b - a >= gap for a, b in itertools.pairwise(during)), during
    after = [t for t in lists if t >= creates[-1]]
    assert after and after[0] - creates[-1] < gap  # waiting starts at poll_max, not the gap
    assert ended - creates[-1] < 1.0


def test_without_the_gap_rounds_come_at_poll_max_throughout(tmp_path: Path) -> None:
    lists, creates, _ = _apply(tmp_path, poll_submitting=0.0)
    assert len([t for t in lists if t < creates[-2]]) >= 5


def test_rounds_start_poll_max_apart_however_long_a_list_call_takes(tmp_path: Path) -> None:
    """The interval runs from one round's start to the next, not from an answer to the next
    call: a list call of 60 ms does not stretch poll_max (80 ms) to 140 ms."""
    settings = LocalBackendSettings(
        state=Path("grid.db"), queued_seconds=0.0, provision_seconds=0.6, delete_seconds=0.05
    )
    plane = LocalControlPlane(settings, root=tmp_path)
    backend = Timed(plane, latency=0.0, list_latency=0.06)
    plan = compute_plan(state(desired("c00")), plane.list_clusters(), Policy(), "test")
    waits = WaitPolicy(10, poll_min=0.08, poll_max=0.08, poll_submitting=0.0)
    assert Executor(backend, parallelism=1, waits=waits).run(plan).ok
    lists = [t for name, t in backend.starts if name == "list_clusters"]
    gaps = [b - a for a, b in itertools.pairwise(lists)]
    assert len(gaps) >= 3 and min(gaps) >= 0.05  # never more often (thread start times vary)
    assert statistics.median(gaps) < 0.12, gaps
