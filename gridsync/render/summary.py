"""The apply summary: what succeeded, what failed and why, what was not attempted."""

from __future__ import annotations

from gridsync.apply.outcome import ApplyResult, Outcome, Status

_MARKS = {
    Status.SUCCEEDED: ("ok", "32"),
    Status.FAILED: ("FAILED", "31"),
    Status.INCOMPLETE: ("incomplete", "33"),
    Status.NOT_ATTEMPTED: ("not attempted", "33"),
}


def render_summary(result: ApplyResult, *, color: bool = False) -> str:
    rows = [(o, str(o.action)) for o in result.outcomes]
    rows += [(o, "run config") for o in result.runs]
    rows += [(result.context, "cluster context")] if result.context else []
    if not rows:
        return "Apply complete: nothing to do.\n"
    width = max(len(o.name) for o, _ in rows)
    counts = {s: sum(1 for o, _ in rows if o.status == s) for s in Status}
    tally = ", ".join(
        f"{counts[s]} {s}" for s in Status if counts[s] or s in (Status.SUCCEEDED, Status.FAILED)
    )
    lines = [f"{_head(result)}: {tally}.", *(_line(o, what, width, color) for o, what in rows)]
    return "\n".join(lines) + "\n"


def _head(result: ApplyResult) -> str:
    if result.interrupted:
        return "Apply interrupted"
    return "Apply complete" if result.ok else "Apply finished with errors"


def _line(outcome: Outcome, what: str, width: int, color: bool) -> str:
    label, code = _MARKS[outcome.status]
    succeeded = outcome.status == Status.SUCCEEDED
    timing = f" in {outcome.seconds:.1f}s" if outcome.seconds and succeeded else ""
    detail = f": {outcome.detail}" if outcome.detail and what != "cluster context" else ""
    mark = f"\x1b[{code}m{label}\x1b[0m" if color else label
    line = f"  {outcome.name:<{width}}  {what} {mark}{timing}{detail}"
    if outcome.leftovers:
        line += f"\n      AWS resources still tagged for {outcome.name} (delete them by hand):"
        line += "".join(f"\n        {arn}" for arn in outcome.leftovers)
    return line
