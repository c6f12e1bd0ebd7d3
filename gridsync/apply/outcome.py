"""What an apply reports: each change's outcome, the result, progress events, the journal that
keeps the apply record true, wait settings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gridsync.live.backend import LiveCluster, LiveState
from gridsync.plan.model import Action


class Status(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"
    INCOMPLETE = "incomplete"  # started, not finished (interrupted or timed out while waiting)


@dataclass(frozen=True)
class Outcome:
    name: str
    action: Action
    status: Status
    detail: str = ""
    seconds: float = 0.0
    leftovers: tuple[str, ...] = ()  # ARNs of AWS resources still tagged for a deleted cluster


@dataclass(frozen=True)
class ApplyResult:
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


class Journal(Protocol):
    """Told of each change as it settles, so the apply record stays true if apply is killed."""

    def deleting(self, name: str) -> None:
        """Before a delete is requested; raising stops that delete."""

    def gone(self, name: str) -> None:
        """A cluster gridsync deleted is gone."""

    def running(self, cluster: LiveCluster, protect: bool) -> None:
        """A cluster gridsync created or updated runs as `cluster` shows it."""


@dataclass
class WaitPolicy:
    timeout: float = 5400.0
    poll_min: float = 0.2
    poll_max: float = 30.0
    wait: bool = True  # False (--no-wait): do not wait for RUNNING or gone, except inside replaces
