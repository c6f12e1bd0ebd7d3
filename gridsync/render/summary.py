"""The apply summary: what succeeded, what failed and why, what was not attempted."""

from __future__ import annotations

from gridsync.apply.executor import ApplyResult, Outcome, Status

_MARKS = {
    Status.SUCCEEDED: ("ok", "32"),
    Status.FAILED: ("FAILED", "31"),
    Status.INCOMPLETE: ("incomplete", "33"),
    Status.NOT_ATTEMPTED: ("not attempted", "33"),
}


def render_summary(result: ApplyResult, *, color: bool = False) -> str:
    outcomes = list(result.outcomes) + ([result.context] if result.context else [])
    if not outcomes:
        return "Apply complete: nothing to do.\n"
    width = max(len(o.name) for o in outcomes)
    lines = [_line(o, width, color, context=o is result.context) for o in outcomes]
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in Status}
    head = (
        "Apply interrupted"
        if result.interrupted
        else "Apply complete"
        if result.ok
        else "Apply finished with errors"
    )
    tally = ", ".join(
        f"{counts[s]} {s}" for s in Status if counts[s] or s in (Status.SUCCEEDED, Status.FAILED)
    )
    return "\n".join([f"{head}: {tally}.", *lines]) + "\n"


def _line(outcome: Outcome, width: int, color: bool, *, context: bool) -> str:
    label, code = _MARKS[outcome.status]
    what = "cluster context" if context else str(outcome.action)
    timing = (
        f" in {outcome.seconds:.1f}s"
        if outcome.seconds and outcome.status == Status.SUCCEEDED
        else ""
    )
    detail = f": {outcome.detail}" if outcome.detail and not context else ""
    mark = f"\x1b[{code}m{label}\x1b[0m" if color else label
    return f"  {outcome.name:<{width}}  {what} {mark}{timing}{detail}"
