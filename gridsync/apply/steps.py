"""The steps a change takes in an apply, and when the next poll round is due.

Data and small helpers for apply/executor.py: a change becomes a Chain of Steps (a replace is
delete, wait until gone, create, wait until running); the messages progress shows for each step;
the clock that spaces poll rounds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from gridsync.apply.outcome import Status
from gridsync.live.backend import LiveCluster
from gridsync.plan.changes import Action, Change, Plan

Clock = Callable[[], float]
_T = TypeVar("_T")


class Step(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    WAIT_RUNNING = "wait until running"
    WAIT_GONE = "wait until gone"
    TF_APPLY = "terraform apply"
    TF_DESTROY = "terraform destroy"
    LEFTOVERS = "look for leftover AWS resources"


WAITS = (Step.WAIT_RUNNING, Step.WAIT_GONE)


@dataclass(eq=False)  # chains are compared and hashed by identity
class Chain:
    change: Change
    steps: list[Step]
    started: float = 0.0
    index: int = 0
    cluster_id: str | None = None
    status: Status = Status.NOT_ATTEMPTED
    detail: str = ""
    last_phase: str = ""
    seconds: float = 0.0
    leftovers: tuple[str, ...] = ()
    order: int = 0  # its place in the plan: ready chains are launched in plan order
    live: LiveCluster | None = None  # the cluster as an update call returned it
    seen: LiveCluster | None = None  # as the poll round that saw it RUNNING saw it

    @property
    def step(self) -> Step | None:
        return self.steps[self.index] if self.index < len(self.steps) else None

    @property
    def done(self) -> bool:
        return self.status in (Status.SUCCEEDED, Status.FAILED) or self.step is None


def teardown_chains(plan: Plan) -> list[Chain]:
    """Wait for the deletions an earlier apply asked for (unless a change of this plan does)."""
    changed = {c.name for c in plan.changes}
    return [
        Chain(
            Change(Action.DELETE, t.name, t.cluster_id, reason="deleted by an earlier apply"),
            [Step.WAIT_GONE],
            cluster_id=t.cluster_id,
        )
        for t in plan.awaited
        if t.name not in changed
    ]


def steps_for(change: Change, wait: bool) -> list[Step]:
    """The steps one change takes. A replace, and a delete whose Terraform is destroyed, always
    wait for the old cluster to be gone (--no-wait or not). The apply record forgets a deleted
    cluster only after its last step: a destroy cut short is finished by the next apply."""
    running = [Step.WAIT_RUNNING] if wait else []
    terraform = change.terraform
    tf_apply = [Step.TF_APPLY] if terraform is not None and terraform.apply else []
    match change.action:
        case Action.CREATE:
            gone = [Step.WAIT_GONE] if change.after_teardown else []
            return [*gone, *tf_apply, Step.CREATE, *running]
        case Action.UPDATE:
            return [*tf_apply, Step.UPDATE]
        case Action.DELETE if terraform is not None and terraform.destroy:
            # A delete an earlier apply began: Grid's part is done (the cluster is gone, or
            # going: then wait for it), Terraform's is not.
            grid = [Step.DELETE, Step.WAIT_GONE] if not change.resumes_delete else []
            if change.resumes_delete and change.cluster_id is not None:
                grid = [Step.WAIT_GONE]
            return [*grid, Step.TF_DESTROY, Step.LEFTOVERS]
        case Action.DELETE:
            return [Step.DELETE, *([Step.WAIT_GONE] if wait else [])]
        case Action.REPLACE:
            return [Step.DELETE, Step.WAIT_GONE, *tf_apply, Step.CREATE, *running]
        case _:
            return running if change.waits else []


STARTING = {
    Step.CREATE: "creating",
    Step.UPDATE: "updating",
    Step.DELETE: "deleting",
    Step.WAIT_RUNNING: "waiting",
    Step.WAIT_GONE: "waiting",
    Step.TF_APPLY: "terraform apply",
    Step.TF_DESTROY: "terraform destroy",
    Step.LEFTOVERS: "looking for leftover AWS resources",
}
FINISHED = {
    Step.CREATE: "create requested",
    Step.UPDATE: "updated",
    Step.DELETE: "delete requested",
    Step.WAIT_RUNNING: "running",
    Step.WAIT_GONE: "gone",
    Step.TF_APPLY: "terraform apply done",
    Step.TF_DESTROY: "terraform destroy done",
    Step.LEFTOVERS: "leftover check done",
}


def known(value: _T | None) -> _T:
    """A value the plan guarantees (an id for an update or delete, a spec for a create)."""
    if value is None:
        raise RuntimeError("bug: the plan lacks a value this step needs")
    return value


class PollClock:
    """When the next poll round is due: rounds start poll_min apart at first, 1.5x more per round
    up to poll_max;
    while calls are still queued (`submitting`), at least `submitting_gap` after the last one
    (WaitPolicy.poll_submitting)."""

    def __init__(
        self, clock: Clock, poll_min: float, poll_max: float, submitting_gap: float = 0.0
    ) -> None:
        self.clock = clock
        self.delay = min(poll_min, poll_max)
        self.poll_max = poll_max
        self.submitting_gap = submitting_gap
        self.last = clock()  # when the last round was answered (or the clock started)
        self.next_at = self.last + self.delay

    def _due_at(self, submitting: bool) -> float:
        if submitting:
            return max(self.next_at, self.last + self.submitting_gap)
        return self.next_at

    def remaining(self, submitting: bool = False) -> float:
        return max(0.0, self._due_at(submitting) - self.clock())

    def due(self, submitting: bool = False) -> bool:
        return self.clock() >= self._due_at(submitting)

    def next_round(self, sent: float | None = None) -> None:
        """A round was answered; `sent`: when its list call was sent. The next one is due the
        delay after that (a slow list call does not stretch the interval), and while
        submitting at least `submitting_gap` after this answer."""
        self.delay = min(self.delay * 1.5, self.poll_max)
        self.last = self.clock()
        self.next_at = (self.last if sent is None else sent) + self.delay
