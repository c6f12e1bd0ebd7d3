"""The apply summary: what succeeded, what failed and why, what was not attempted."""

from __future__ import annotations

from gridsync.apply.outcome import ApplyResult, Outcome, Status
from gridsync.errors import ExitCode
from gridsync.painter import PLAIN, Painter, Style

_MARKS = {
    Status.SUCCEEDED: ("ok", Style.GREEN),
    Status.FAILED: ("FAILED", Style.RED),
    Status.INCOMPLETE: ("incomplete", Style.YELLOW),
    Status.NOT_ATTEMPTED: ("not attempted", Style.YELLOW),
}


def render_summary(result: ApplyResult, paint: Painter = PLAIN) -> str:
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
    lines = [f"{_head(result)}: {tally}.", *(_line(o, what, width, paint) for o, what in rows)]
    return "\n".join(lines) + "\n"


def _head(result: ApplyResult) -> str:
    if result.interrupted:
        return "Apply interrupted"
    return "Apply complete" if result.ok else "Apply finished with errors"


def _line(outcome: Outcome, what: str, width: int, paint: Painter) -> str:
    label, style = _MARKS[outcome.status]
    succeeded = outcome.status == Status.SUCCEEDED
    timing = f" in {outcome.seconds:.1f}s" if outcome.seconds and succeeded else ""
    detail = f": {outcome.detail}" if outcome.detail and what != "cluster context" else ""
    mark = paint(label, style)
    line = f"  {outcome.name:<{width}}  {what} {mark}{timing}{detail}"
    if outcome.leftovers:
        line += f"\n      AWS resources still tagged for {outcome.name} (delete them by hand):"
        line += "".join(f"\n        {arn}" for arn in outcome.leftovers)
    return line


# --- Markdown (the step summary and the pull-request comment) ----------------------------------

_MD_MARKS = {
    Status.SUCCEEDED: "✅ ok",
    Status.FAILED: "❌ failed",
    Status.INCOMPLETE: "⏳ incomplete",
    Status.NOT_ATTEMPTED: "⏸️ not attempted",
}
REFUSALS: dict[int, str] = {
    ExitCode.STALE_PLAN: "stale plan: live state or the files changed since the plan was reviewed",
    ExitCode.BLOCKED: "blocked by a safety rule",
    ExitCode.LOCK_TIMEOUT: "another apply holds the lock",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.ERROR: "error",
}


def render_summary_markdown(result: ApplyResult) -> str:
    """What apply did, as a Markdown table: one row per cluster, run config and the context."""
    from gridsync.escapes import md_escape

    rows = [(o, str(o.action)) for o in result.outcomes]
    rows += [(o, "run config") for o in result.runs]
    rows += [(result.context, "cluster context")] if result.context else []
    head = render_summary(result).split("\n", 1)[0]
    if not rows:
        return f"### {md_escape(head)}\n"
    lines = [f"### {md_escape(head)}", "", "| | Name | Change | Details |", "|---|---|---|---|"]
    for outcome, what in rows:
        timing = f" in {outcome.seconds:.1f}s" if outcome.seconds else ""
        detail = md_escape(outcome.detail) if what != "cluster context" else ""
        if outcome.leftovers:
            detail += f" · AWS resources still tagged for it: {len(outcome.leftovers)}"
        mark = _MD_MARKS[outcome.status] + timing
        lines.append(f"| {mark} | {md_escape(outcome.name)} | {md_escape(what)} | {detail} |")
    return "\n".join(lines) + "\n"


def render_refusal_markdown(code: int, message: str) -> str:
    """Why apply did not run: `### Apply refused: stale plan ... (exit 4)` and the error."""
    from gridsync.escapes import md_escape

    why = REFUSALS.get(code, "error")
    safe = code in (ExitCode.STALE_PLAN, ExitCode.BLOCKED, ExitCode.LOCK_TIMEOUT)
    after = "Nothing was changed." if safe else "See the workflow run's log."
    quoted = [f"> {md_escape(line)}" if line.strip() else ">" for line in message.split("\n")]
    body = "\n".join(quoted[:40])
    return f"### Apply refused: {md_escape(why)} (exit {code})\n\n{after}\n\n{body}\n"
