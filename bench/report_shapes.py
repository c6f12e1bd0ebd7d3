"""The "Apply by shape" section of docs/performance.md and its targets (bench/apply_shapes.py)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from apply_shapes import LATENCY_MS, PARALLELISM, POLL_MAX, SETTLE_SECONDS, ShapeResult

SHAPE_FACTOR = 1.15  # issue 15 item 3: apply within 1.15x of the ideal
KINDS = {"create": "creates", "update": "updates", "delete": "deletes"}


def shape_rows(shapes: Sequence[ShapeResult]) -> list[tuple[str, str, str, bool]]:
    """(name, goal, measured, met) per case, for the summary."""
    return [
        (
            f"apply of {s.clusters} {KINDS[s.kind]} over HTTP vs the ideal",
            f"<= {SHAPE_FACTOR}x",
            f"{s.ratio.median:.2f}x ({s.stat('wall').median:.2f} s vs "
            f"{s.stat('ideal').median:.2f} s)",
            s.ratio.median <= SHAPE_FACTOR,
        )
        for s in shapes
    ]


def shapes_section(shapes: Sequence[ShapeResult], command: str) -> str:
    if not shapes:
        return ""
    rows = "\n".join(
        f"| {s.clusters} {KINDS[s.kind]} | {s.stat('wall').show()} | {s.stat('ideal').median:.2f} s "
        f"| {s.ratio.show('x')} | {s.stat('startup').median:.2f} s | "
        f"{s.stat('submission').median:.2f} s ({s.stat('inflight').median:.1f} in flight) | "
        f"{s.stat('waiting').median:.2f} s | {s.stat('finishing').median:.2f} s | "
        f"{s.stat('cpu').median:.2f} s |"
        for s in shapes
    )
    routes = "\n".join(
        f"| {s.clusters} {KINDS[s.kind]} | "
        + ", ".join(f"`{k}` {v}" for k, v in sorted(s.samples[0].routes.items()))
        + " |"
        for s in shapes
    )
    missed = "\n".join(_over(s) for s in shapes if s.ratio.median > SHAPE_FACTOR)
    if missed:
        missed = (
            "Where the time over the ideal goes, for each case over "
            f"{SHAPE_FACTOR}x (medians):\n\n{missed}\n"
        )
    loads = ", ".join(f"{s.load:.1f}" for s in shapes)
    cpus = os.cpu_count() or 1
    return f"""## Apply by shape

`bench/apply_shapes.py` (run by `bench/run.py`; alone: `{command}`): for each case a fresh
`gridsync local-grid serve --latency-ms {LATENCY_MS}` (provisioning and teardown
{SETTLE_SECONDS:.0f} s), seeded for updates and deletes with the clusters RUNNING (untimed, through
the local backend on the server's state file), then `gridsync apply --backend api --auto-approve`
of N clusters in N/10 files at `parallelism: {PARALLELISM}` and `poll_max: {POLL_MAX}`. Updates
change one instance type of every cluster; deletes remove every file (`prune: true`,
`--allow-prune-all`) and wait until the clusters are gone.

**Ideal** = ceil(N / {PARALLELISM}) waves x the median server-side time of the write (POST, PUT or
DELETE, its {LATENCY_MS} ms of injected latency included) + {SETTLE_SECONDS:.0f} s of provisioning
(creates) or teardown (deletes); updates wait for nothing. Phases are from the server's request log:
start-up = process start to the first write, submission = first write to the last write answered,
waiting = to the last list call answered, finishing = to the process exit; client CPU = the apply
process's own user + system seconds (less sensitive than wall time to other load on the machine).
The machine's 1-minute load average after each case, on its {cpus} CPUs: {loads} (the client,
the server and anything else running share them; above {cpus} the wall times are inflated).

| case | wall | ideal | ratio | start-up | submission | waiting | finishing | client CPU |
|---|---|---|---|---|---|---|---|---|
{rows}

Requests the server saw (first run of each case):

| case | requests |
|---|---|
{routes}

{missed}
An update is one `PUT` per cluster: Grid's list answer carries each cluster's full spec
(`../shared/grid-reference.md`, `GET /v1/core/clusters` returns `[Cluster]`, the same object as
`GET /v1/core/clusters/{{id}}`), so the fields gridsync does not manage come from the plan's list
call (when it is at most 60 s old) instead of a `GET` per cluster before its `PUT`.
"""


def _over(s: ShapeResult) -> str:
    """One list item: the wall time over the ideal, split into the phases it is made of."""
    waves = math.ceil(s.clusters / PARALLELISM)
    latency = s.stat("latency").median
    settle = 0.0 if s.kind == "update" else SETTLE_SECONDS
    over = s.stat("wall").median - s.stat("ideal").median
    submission = s.stat("submission").median - waves * latency
    waiting = s.stat("waiting").median - settle
    return (
        f"- {s.clusters} {KINDS[s.kind]}: {over:.2f} s over the ideal: start-up "
        f"{s.stat('startup').median:.2f} s, submission {submission:+.2f} s against {waves} bare "
        f"waves, waiting {waiting:+.2f} s against {settle:.0f} s, finishing "
        f"{s.stat('finishing').median:.2f} s; the client used {s.stat('cpu').median:.2f} s of CPU"
    )
