"""Long work shows it is alive: every `interval` seconds, a line per change still under way.

Terraform prints `Still creating... [10m0s elapsed]` for each resource it waits on; a CI log that
stays silent for the 20-50 minutes Grid takes to provision looks hung. The lines name what each
change is doing now (a replace is "still deleting" while its old cluster goes, then "still
creating"), with the time since that change started.
"""

from __future__ import annotations

from collections.abc import Iterable

from gridsync.apply.steps import Chain, Clock, Step

DOING = {
    Step.CREATE: "creating",
    Step.WAIT_RUNNING: "creating",
    Step.UPDATE: "updating",
    Step.DELETE: "deleting",
    Step.WAIT_GONE: "deleting",
    Step.TF_APPLY: "running terraform apply",
    Step.TF_DESTROY: "running terraform destroy",
    Step.LEFTOVERS: "looking for leftover AWS resources",
}


def elapsed_text(seconds: float) -> str:
    """`45s`, `10m`, `10m30s`, `1h5m`: whole seconds, the largest units first."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


class Heartbeat:
    """When the next round of "still ..." lines is due, and what they say."""

    def __init__(self, clock: Clock, interval: float) -> None:
        self.clock = clock
        self.interval = interval
        self.next_at = clock() + interval

    def due(self) -> bool:
        return self.interval > 0 and self.clock() >= self.next_at

    def lines(self, chains: Iterable[Chain]) -> list[tuple[str, str]]:
        """(name, message) for each chain under way; the next round is due `interval` later."""
        now = self.clock()
        self.next_at = now + self.interval
        found = []
        for chain in chains:
            step = chain.step
            if step is None or chain.done:
                continue
            found.append(
                (
                    chain.change.name,
                    f"still {DOING[step]} ({elapsed_text(now - chain.started)} elapsed)",
                )
            )
        return found
