"""What an apply reports: each change's outcome, the result, progress events, the journal that
keeps the apply record true, wait settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol

from gridsync.live.backend import LiveCluster, LiveState
from gridsync.plan.changes import Action


class Status(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"
    INCOMPLETE = "incomplete"  # started, not finished (interrupted or timed out while waiting)


class Outcome(NamedTuple):
    name: str
    action: Action
    status: Status
    detail: str = ""
    seconds: float = 0.0
    leftovers: tuple[str, ...] = ()  # ARNs of AWS resources still tagged for a deleted cluster


class ApplyResult(NamedTuple):
    outcomes: tuple[Outcome, ...]
    context: Outcome | None = None
    interrupted: bool = False
    runs: tuple[Outcome, ...] = ()  # run config edits, named by file
    live_after: LiveState | None = None  # live state seen after the last change, when known

    @property
    def ok(self) -> bool:
        everything = [*self.outcomes, *self.runs, *([self.context] if self.context else [])]
        return not self.interrupted and all(o.status == Status.SUCCEEDED for o in everything)


class Progress:
    """Receives what apply does, as it happens. The default says nothing."""

    def event(self, name: str, message: str) -> None:
        """A change of state of one cluster."""

    def waiting(self, phases: dict[str, str], elapsed: float) -> None:
        """Once per poll round: each cluster waited for and its live status."""

    def tick(self, elapsed: float) -> None:
        """Often (several times a second) while apply runs, between poll rounds too."""


class Journal(Protocol):
    """Told of changes as they settle, so the apply record stays true if apply is killed. Each
    call names every cluster that settled at once (a poll round, the calls one wait returned,
    the deletes of one launch), so a fleet costs a write per round, not one per cluster."""

    def deleting(self, names: Sequence[str]) -> None:
        """Before these deletes are requested; raising stops them all."""

    def gone(self, names: Sequence[str]) -> None:
        """Clusters gridsync deleted are gone."""

    def running(self, clusters: Sequence[tuple[LiveCluster, bool]]) -> None:
        """Clusters gridsync created or updated run as shown; the flag: declared protect: true."""


@dataclass
class WaitPolicy:
    timeout: float = 5400.0
    poll_min: float = 0.2
    poll_max: float = 30.0
    # While calls are still queued for a worker (a large plan's submission), poll rounds come at
    # most this often: a round lists every cluster (at 1,000 clusters, tens of milliseconds of
    # CPU on each side), and what it finds is said and recorded at most once a second anyway
    # (apply/journaling.py FLUSH_EVERY). Once the last call is sent, rounds follow poll_max.
    poll_submitting: float = 1.0
    wait: bool = True  # False (--no-wait): do not wait for RUNNING or gone, except inside replaces
    # Seconds between the "still creating (10m elapsed)" lines of each unfinished change, as
    # Terraform prints them (GRIDSYNC_PROGRESS_INTERVAL).
    heartbeat: float = 300.0
