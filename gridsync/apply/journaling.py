"""The apply record kept true while an apply runs (apply/executor.py's journal calls).

Deletes are written ahead, before any is asked for: one write for a launch's deletes and the
next ones to launch, a wave or a second's worth (executor.py `_write_ahead`), so deletes cost
about a write per second too.
What settled (clusters seen running after gridsync's call, clusters gone) is written at most
FLUSH_EVERY seconds after it settled, in one write for everything that settled meanwhile, and at
the end of the run: a fleet of N clusters costs a write per second, not N rewrites (and fsyncs)
of an N-entry record. Nothing is said before it is written: while a write is pending, the
executor's progress lines (`say`) wait for it, so a line "ml-a: gone" or "ml-a: running" in a log
means the record already holds it, even if apply is killed right after."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gridsync.apply.outcome import Journal, Progress, Status
from gridsync.apply.steps import Chain, Clock, Step
from gridsync.errors import GridsyncError
from gridsync.live.backend import LiveCluster, LiveState
from gridsync.spec import Phase

FLUSH_EVERY = 1.0  # seconds


@dataclass
class Records:
    journal: Journal | None
    progress: Progress
    clock: Clock
    _running: list[tuple[Chain, LiveCluster, bool]] = field(default_factory=list)
    _gone: list[Chain] = field(default_factory=list)
    _since: float | None = None  # when the oldest unwritten settlement settled
    _said: list[tuple[str, str]] = field(default_factory=list)  # lines waiting for the write

    def say(self, name: str, message: str) -> None:
        """A progress line, said once everything settled before it is written."""
        if self._since is None:
            self.progress.event(name, message)
        else:
            self._said.append((name, message))

    def write_ahead(self, chains: list[Chain]) -> str:
        """Mark these clusters as being deleted; the error message when that failed, else ''."""
        if not chains or self.journal is None:
            return ""
        try:
            self.journal.deleting([c.change.name for c in chains])
        except GridsyncError as exc:
            return exc.message
        return ""

    def settled(self, running: list[tuple[Chain, LiveCluster]], gone: list[Chain]) -> None:
        """Clusters seen running after gridsync's call, and clusters gone: written by `flush`."""
        self._running += [
            (chain, found, chain.change.desired.protect)
            for chain, found in running
            if chain.change.desired is not None
            and found.phase == Phase.RUNNING
            and not found.terminating
        ]
        self._gone += gone
        if self._since is None and (self._running or self._gone):
            self._since = self.clock()
        self.flush(due_only=True)

    def flush(self, *, due_only: bool = False) -> None:
        """Write what settled and is not written yet (with `due_only`: when it is time)."""
        since = self._since
        if since is None or (due_only and self.clock() - since < FLUSH_EVERY):
            return
        shown, gone = self._running, self._gone
        self._running, self._gone, self._since = [], [], None
        if shown:
            clusters = [(found, protect) for _, found, protect in shown]
            self._write([c for c, _, _ in shown], lambda j: j.running(clusters))
        if gone:
            self._write(gone, lambda j: j.gone([c.change.name for c in gone]))
        said, self._said = self._said, []
        for name, message in said:
            self.progress.event(name, message)

    def _write(self, chains: list[Chain], write: Callable[[Journal], None]) -> None:
        if self.journal is None:
            return
        try:
            write(self.journal)
        except GridsyncError as exc:
            for chain in chains:
                self.progress.event(
                    chain.change.name, f"could not update the apply record: {exc.message}"
                )


def updates_only(chains: list[Chain]) -> bool:
    return all(step in (Step.UPDATE, Step.TF_APPLY) for c in chains for step in c.steps)


def with_updates(before: LiveState, chains: list[Chain]) -> LiveState:
    """`before` with each successful update's answer in place of the cluster it replaced (Grid's
    PUT answers without createdAt: kept from before)."""
    after = {c.live.id: c.live for c in chains if c.status == Status.SUCCEEDED and c.live}
    clusters = tuple(
        after[c.id]._replace(created_at=after[c.id].created_at or c.created_at)
        if c.id in after
        else c
        for c in before.clusters
    )
    return before._replace(clusters=clusters)
