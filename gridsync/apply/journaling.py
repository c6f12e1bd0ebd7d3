"""The apply record kept true while an apply runs (apply/executor.py's journal calls): one write
for what settled together (a poll round, the calls one wait returned, the deletes of one launch),
so a fleet of N clusters costs a write per round, not N rewrites of an N-entry record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from gridsync.apply.outcome import Journal, Progress, Status
from gridsync.apply.steps import Chain, Step
from gridsync.errors import GridsyncError
from gridsync.live.backend import LiveCluster, LiveState
from gridsync.model import Phase


@dataclass
class Records:
    journal: Journal | None
    progress: Progress

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
        """Clusters seen running after gridsync's call, and clusters gone: before anything about
        them is said."""
        shown = [
            (chain, found, chain.change.desired.protect)
            for chain, found in running
            if chain.change.desired is not None
            and found.phase == Phase.RUNNING
            and not found.terminating
        ]
        if shown:
            clusters = [(found, protect) for _, found, protect in shown]
            self._write([c for c, _, _ in shown], lambda j: j.running(clusters))
        if gone:
            self._write(gone, lambda j: j.gone([c.change.name for c in gone]))

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
    """`before` with each successful update's answer in place of the cluster it replaced."""
    after = {c.live.id: c.live for c in chains if c.status == Status.SUCCEEDED and c.live}
    clusters = tuple(after.get(c.id, c) for c in before.clusters)
    return replace(before, clusters=clusters)
