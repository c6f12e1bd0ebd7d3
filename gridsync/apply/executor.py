"""Carry out a Plan against a Backend: bounded parallelism, one list call per poll round, a summary.

Each change becomes a chain of steps run in order (a replace is delete, wait until gone, create,
wait until running). Calls run on a thread pool of `parallelism` workers; waiting happens on the
main thread, which lists live clusters once per poll round for every chain that waits, whatever
their number. A failed chain stops alone; independent chains go on. `stop.set()` (the CLI's first
Ctrl-C or SIGTERM, from a signal handler that only stores a flag, so no bookkeeping is ever cut in
half) stops launching, lets the calls in flight settle and returns a summary; `stop.abort()` (a
second signal) stops at once: the main thread, which never blocks longer than WAKE_SECONDS, stops
waiting, and the chains whose calls are still out are reported as possibly in flight. Each call is
a single request, and rerunning re-plans from live state.

The main thread wakes at least every interrupts.WAKE_SECONDS: the progress status line's clock
moves between poll rounds, and every `waits.heartbeat` seconds each change under way gets a "still
creating (10m elapsed)" line (apply/heartbeat.py). The apply record is written by
apply/journaling.py, one write for what settled together. The step calls are apply/calls.py; what
follows the waiting (run configs, the context, outcomes) is apply/finish.py.
"""

from __future__ import annotations

import heapq
import math
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gridsync.apply.calls import Calls
from gridsync.apply.finish import (
    mark_in_flight,
    outcome,
    set_context,
    why_not_running,
    write_run,
)
from gridsync.apply.heartbeat import Heartbeat
from gridsync.apply.journaling import FLUSH_EVERY, Records, updates_only, with_updates
from gridsync.apply.outcome import ApplyResult, Journal, Progress, Status, WaitPolicy
from gridsync.apply.steps import (
    FINISHED,
    STARTING,
    WAITS,
    Chain,
    Clock,
    PollClock,
    Step,
    known,
    steps_for,
    teardown_chains,
)
from gridsync.errors import GridsyncError
from gridsync.interrupts import WAKE_SECONDS, StopRequest
from gridsync.live.backend import Backend, LiveCluster, LiveState
from gridsync.plan.changes import Plan
from gridsync.spec import Phase

if TYPE_CHECKING:  # Terraform and AWS are imported only by applies that use them
    from gridsync.apply.infra import Infra


@dataclass
class Executor:
    backend: Backend
    parallelism: int = 4
    waits: WaitPolicy = field(default_factory=WaitPolicy)
    progress: Progress = field(default_factory=Progress)
    clock: Clock = time.monotonic
    stop: StopRequest = field(default_factory=StopRequest)
    force_delete: bool = False  # Grid forgets deleted clusters at once, leaving cloud resources
    root: Path | None = None  # the project root, for run config edits; None: leave files alone
    infra: Infra | None = None  # Terraform and AWS, for plans with infrastructure
    journal: Journal | None = None  # the apply record, written as each change settles
    _settled_calls: int = field(default=0, init=False)  # calls finished so far
    _ready: list[tuple[int, Chain]] = field(default_factory=list, init=False)  # heap, plan order
    _waiting: dict[Chain, None] = field(default_factory=dict, init=False)  # an ordered set
    # The last poll round's live state while no call has finished since its list call was sent.
    _seen: LiveState | None = field(default=None, init=False)
    _marked: set[Chain] = field(default_factory=set, init=False)  # deletes written ahead
    _deletes: tuple[float, int] | None = field(default=None, init=False)  # first launch, count
    _calls: Calls = field(init=False)
    _records: Records = field(init=False)

    def __post_init__(self) -> None:
        self._calls = Calls(self.backend, self.progress, self.force_delete, self.infra)
        self._records = Records(self.journal, self.progress, self.clock)

    def run(self, plan: Plan, live: LiveState | None = None) -> ApplyResult:
        """Apply `plan`; `live` is the live state it was computed from, when known."""
        chains = [
            Chain(c, steps_for(c, self.waits.wait), cluster_id=c.cluster_id)
            for c in plan.changes
            if not c.blocked
        ]
        chains += teardown_chains(plan)
        chains = [replace(c, order=order) for order, c in enumerate(c for c in chains if c.steps)]
        interrupted = self._drive(chains)
        by_name = {c.change.name: c for c in chains}
        runs = tuple(
            write_run(
                edit,
                by_name,
                interrupted,
                root=self.root,
                waited=self.waits.wait,
                progress=self.progress,
            )
            for edit in plan.run_edits
        )
        context = None
        if plan.context is not None:
            context = set_context(plan, by_name, interrupted, self.backend, self.progress)
        outcomes = tuple(outcome(c) for c in chains)
        return ApplyResult(outcomes, context, interrupted, runs, self._live_after(chains, live))

    def _live_after(self, chains: list[Chain], before: LiveState | None) -> LiveState | None:
        """The last round's live state when no call finished after it was sent; for a plan of
        updates only (nothing waited for), the state the plan was made from with each update's
        answer in place, so no list call is needed to record it. After a stop, when nothing more
        may be waited for (a second signal must find no list call to wait out): only the clusters
        seen RUNNING after their last call, which is all the record may hold as true."""
        if not self.stop.is_set():
            if self._seen is None and before is not None and updates_only(chains):
                return with_updates(before, chains)
            return self._seen
        seen = [c.seen for c in chains if c.seen is not None and c.status == Status.SUCCEEDED]
        return LiveState(tuple(sorted(seen, key=lambda c: c.name)))

    # --- the loop ------------------------------------------------------------------------------

    def _drive(self, chains: list[Chain]) -> bool:
        """Run every chain to its end, or until `stop` is set (the CLI sets it on Ctrl-C).

        A poll round's list call runs on a thread of its own, so calls go on being launched while
        it is out; it observes only the chains that were already waiting when it was sent.
        """
        start = self.clock()
        self._ready, self._waiting, self._seen = [], {}, None  # an Executor may run plans again
        self._marked, self._deletes = set(), None
        for chain in chains:
            self._file(chain)
        inflight: dict[Future[str | None], Chain] = {}
        pool = ThreadPoolExecutor(max_workers=max(1, self.parallelism))
        poller = ThreadPoolExecutor(max_workers=1)
        try:
            self._loop(pool, poller, inflight, start)
        finally:  # after a hard stop, the calls still out are not waited for
            for executor in (pool, poller):
                executor.shutdown(wait=not self.stop.hard, cancel_futures=True)
        if self.stop.hard:
            self._abandon(inflight)
        self._records.flush()
        return self.stop.is_set()

    def _loop(
        self,
        pool: ThreadPoolExecutor,
        poller: ThreadPoolExecutor,
        inflight: dict[Future[str | None], Chain],
        start: float,
    ) -> None:
        waits = self.waits
        poll = PollClock(self.clock, waits.poll_min, waits.poll_max, waits.poll_submitting)
        beat = Heartbeat(self.clock, self.waits.heartbeat)
        round_: _Round | None = None
        announced = False
        while not self.stop.hard:
            self._alive(beat, inflight, start)
            if self.stop.is_set() and not announced:
                announced = True
                self._records.say("apply", "interrupted: letting calls in flight finish")
            if not self.stop.is_set():
                self._launch(pool, inflight)
            waiting = bool(self._waiting)
            if not inflight and round_ is None and (self.stop.is_set() or not waiting):
                break
            submitting = bool(self._ready)
            if round_ is None and waiting and poll.due(submitting) and not self.stop.is_set():
                sent = self.clock()
                future = poller.submit(self.backend.list_clusters)
                round_ = _Round(future, list(self._waiting), self._settled_calls, sent)
            pause = None if round_ is not None or not waiting else poll.remaining(submitting)
            self._settle(inflight, round_, pause)
            if round_ is not None and round_.future.done():
                self._observe_round(round_, start)
                poll.next_round(round_.sent)
                round_ = None
            self._expire(start)

    def _alive(
        self, beat: Heartbeat, inflight: dict[Future[str | None], Chain], start: float
    ) -> None:
        """The status line's clock moves; every `heartbeat` seconds, a line per change under way."""
        self.progress.tick(self.clock() - start)
        self._records.flush(due_only=True)
        if beat.due():
            under_way = sorted({*inflight.values(), *self._waiting}, key=lambda c: c.order)
            for name, message in beat.lines(under_way):
                self._records.say(name, message)

    def _abandon(self, inflight: dict[Future[str | None], Chain]) -> None:
        """A hard stop: take in the calls that did finish; the others may still be in flight."""
        for future, chain in list(inflight.items()):
            if future.cancelled():  # still queued when the pool shut down: it was never sent
                inflight.pop(future)
            elif future.done():
                inflight.pop(future)
                self._settled(chain, future)
        self._records.say("apply", mark_in_flight(list(inflight.values())))

    def _file(self, chain: Chain) -> None:
        """Put a chain where its state says, after every change of it: ready, waiting or done.

        Each event then costs the chains it touches, not a pass over every chain."""
        self._waiting.pop(chain, None)
        if chain.done:
            return
        if chain.step in WAITS:
            self._waiting[chain] = None
        else:
            heapq.heappush(self._ready, (chain.order, chain))

    def _launch(self, pool: ThreadPoolExecutor, inflight: dict[Future[str | None], Chain]) -> None:
        batch: list[Chain] = []
        while self._ready and len(inflight) + len(batch) < self.parallelism:
            _, chain = heapq.heappop(self._ready)
            if chain.index == 0:
                chain.started = self.clock()
            batch.append(chain)
        deletes = [c for c in batch if c.step == Step.DELETE and c not in self._marked]
        if deletes and not self._write_ahead(deletes):
            batch = [c for c in batch if c not in deletes]
        launched = sum(1 for c in batch if c.step == Step.DELETE)
        if launched:
            first, count = self._deletes or (self.clock(), 0)
            self._deletes = (first, count + launched)
        for chain in batch:
            step = known(chain.step)
            self._records.say(chain.change.name, STARTING[step])
            inflight[pool.submit(self._calls.call, chain, step)] = chain

    def _settle(
        self,
        inflight: dict[Future[str | None], Chain],
        round_: _Round | None,
        timeout: float | None,
    ) -> None:
        """Wait for a call or the poll round to finish (or `timeout`); take in finished calls."""
        futures: list[Future[Any]] = [*inflight, *([round_.future] if round_ else [])]
        if not futures:
            if timeout:
                time.sleep(min(timeout, WAKE_SECONDS))
            return
        timeout = WAKE_SECONDS if timeout is None else min(timeout, WAKE_SECONDS)
        for future in wait(futures, timeout=timeout, return_when=FIRST_COMPLETED).done:
            chain = inflight.pop(future, None)
            if chain is not None:
                self._settled(chain, future)

    def _settled(self, chain: Chain, future: Future[str | None]) -> None:
        step = chain.step
        self._settled_calls += 1
        self._seen = None  # that call may have changed live state since the last round
        try:
            result = future.result()
        except GridsyncError as exc:
            self._fail(chain, f"{step} failed: {exc.message}")
            return
        except Exception as exc:  # a bug or an unexpected library error: keep the others going
            self._fail(chain, f"{step} failed: {type(exc).__name__}: {exc}")
            return
        if step == Step.CREATE:
            chain.cluster_id = result
        if step == Step.UPDATE and chain.live is not None:
            self._records.settled([(chain, chain.live)], [])
        if step == Step.TF_DESTROY:  # the delete is finished: the record may forget it now
            self._records.settled([], [chain])
        self._records.say(chain.change.name, FINISHED[step] if step else "done")
        self._advance(chain)
        self._file(chain)

    def _observe_round(self, round_: _Round, start: float) -> None:
        try:
            live = round_.future.result()
        except GridsyncError as exc:
            self._records.say("apply", f"could not read live state, will retry: {exc.message}")
            return
        if round_.settled_calls == self._settled_calls:
            self._seen = live
        waiting = [c for c in round_.chains if not c.done and c.step in WAITS]
        by_id, by_name = live.by_id(), live.by_name()  # once per round, not per cluster
        found = {c: by_id.get(c.cluster_id or "") or by_name.get(c.change.name) for c in waiting}
        running = [
            (c, f) for c, f in found.items() if c.step == Step.WAIT_RUNNING and f is not None
        ]
        gone = [
            c
            for c, f in found.items()
            if c.step == Step.WAIT_GONE
            and (f is None or f.phase == Phase.DELETED)
            and Step.TF_DESTROY not in c.steps  # forgotten once its destroy is done
        ]
        self._records.settled(running, gone)  # one write for the round, before anything is said
        for chain, cluster in found.items():
            self._observe(chain, cluster)
            self._file(chain)
        self.progress.waiting(
            {c.change.name: c.last_phase for c in waiting if not c.done}, self.clock() - start
        )

    def _observe(self, chain: Chain, found: LiveCluster | None) -> None:
        """Take in one cluster's state (its round already wrote the apply record)."""
        gone = found is None or found.phase == Phase.DELETED
        status = "gone" if found is None else found.status
        if status != chain.last_phase:
            chain.last_phase = status
            self._records.say(chain.change.name, status)
        if chain.step == Step.WAIT_GONE:
            if gone:
                self._advance(chain)
            return
        failure = why_not_running(found)
        if failure:
            self._fail(chain, failure)
        elif found is not None and found.phase == Phase.RUNNING:
            chain.seen = found
            self._advance(chain)

    def _expire(self, start: float) -> None:
        if not self._waiting or self.clock() - start < self.waits.timeout:
            return
        for chain in list(self._waiting):
            chain.status = Status.INCOMPLETE
            chain.detail = f"timed out after {self.waits.timeout:.0f}s ({chain.step}; last seen {chain.last_phase or 'unknown'})"
            chain.index = len(chain.steps)
            self._file(chain)

    def _write_ahead(self, chains: list[Chain]) -> bool:
        """Deletes are marked in the apply record before they are asked for; if that cannot be
        written, none of them is asked for (the waiting ones are tried again at their launch).
        The same write marks the deletes waiting to be launched next: a wave, or as many as
        FLUSH_EVERY seconds launch at the rate so far, whichever is more. The record of N
        clusters is then rewritten about once a second, as for what settles, not once per freed
        slot (N rewrites of N entries). Marked early is as true as a request sent and lost: the
        next plan deletes them again; drift reports them as not applied."""
        ahead = [c for _, c in self._next_ready(self._ahead())]
        ahead = [c for c in ahead if c.step == Step.DELETE and c not in self._marked]
        error = self._records.write_ahead([*chains, *ahead])
        if not error:
            self._marked.update(chains, ahead)
        for chain in chains if error else ():
            chain.seconds = 0.0
            self._fail(chain, f"not deleted: the apply record could not be written first: {error}")
            self._file(chain)
        return not error

    def _ahead(self) -> int:
        """How many waiting deletes a write ahead marks: see _write_ahead."""
        if self._deletes is None:
            return self.parallelism
        first, count = self._deletes
        elapsed = self.clock() - first
        rate = count / elapsed if elapsed > 0 else 0.0
        return max(self.parallelism, math.ceil(rate * FLUSH_EVERY))

    def _next_ready(self, count: int) -> list[tuple[int, Chain]]:
        """The next `count` ready chains, in launch order, left ready: popped and pushed back,
        count x log(ready), not a pass over every ready chain."""
        taken = [heapq.heappop(self._ready) for _ in range(min(count, len(self._ready)))]
        for item in taken:
            heapq.heappush(self._ready, item)
        return taken

    def _advance(self, chain: Chain) -> None:
        chain.index += 1
        if chain.step is None:
            chain.status = Status.SUCCEEDED
            chain.seconds = self.clock() - chain.started

    def _fail(self, chain: Chain, detail: str) -> None:
        chain.status = Status.FAILED
        chain.detail = detail
        chain.seconds = self.clock() - chain.started
        self._records.say(chain.change.name, detail)


class _Round(NamedTuple):
    """A poll round in flight: its list call, the chains it is for, calls settled when sent."""

    future: Future[LiveState]
    chains: list[Chain]
    settled_calls: int
    sent: float  # the executor's clock when its list call was sent
