"""The apply record stays true when apply is killed (SIGKILL: no handler runs, nothing is
flushed) during deletes, updates and chains of them: after each kill `drift` finds no change
"outside gridsync", and a rerun converges, waiting for the deletions the killed run asked for."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from typing import Any

from builders import Project

from gridsync.errors import ExitCode

SLOW = """\
backend:
  local: {{state: .gridsync/grid.db, queued_seconds: 0.05, provision_seconds: {provision}, delete_seconds: {delete}}}
wait: {{timeout: 60s, poll_max: 0.2s}}
prune: true
managed: ["ml-*"]
"""


def slow(project: Project, *, provision: float = 0.2, delete: float = 0.1) -> None:
    project.write("gridsync.yaml", SLOW.format(provision=provision, delete=delete))


def record(project: Project) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project.root / ".gridsync" / "applied.json").read_text())
    return data


def kill_after(process: subprocess.Popen[str], *needles: str) -> str:
    """Read apply's progress until every needle was seen, then SIGKILL it; its stderr so far."""
    assert process.stderr is not None
    seen, lines = set(), []
    deadline = time.monotonic() + 30
    while len(seen) < len(needles) and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        seen |= {n for n in needles if n in line}
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert seen == set(needles), "".join(lines)
    return "".join(lines)


def no_false_drift(project: Project) -> None:
    drift = project.gridsync("drift")
    assert "outside gridsync" not in drift.stdout, drift.stdout + drift.stderr
    assert "Changed outside gridsync" not in drift.stdout, drift.stdout


def converge(project: Project) -> None:
    rerun = project.gridsync("apply", "--auto-approve", timeout=90)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    drift = project.gridsync("drift")
    assert drift.returncode == 0, drift.stdout + drift.stderr


def test_kill_during_a_prune_then_rerun_leaves_no_false_drift(project: Project) -> None:
    slow(project)
    for name in ("ml-keep", "ml-a", "ml-b"):
        project.cluster(name)
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    assert set(record(project)["clusters"]) == {"ml-keep", "ml-a", "ml-b"}

    # Long enough that the clusters are still going when the rerun starts, after the record,
    # drift and plan checks below (4 s was not, on a loaded machine).
    slow(project, delete=10.0)
    for name in ("ml-a", "ml-b"):
        (project.root / "clusters" / f"{name}.yaml").unlink()
    apply = project.start("apply", "--auto-approve")
    kill_after(apply, "ml-a: delete requested", "ml-b: delete requested")

    entries = record(project)["clusters"]
    assert entries["ml-a"]["deleting"] and entries["ml-b"]["deleting"]
    assert "deleting" not in entries["ml-keep"]
    no_false_drift(project)  # terminating, asked for by gridsync: no drift
    plan = project.gridsync("plan")
    assert "Being torn down (terminating): ml-a (deleted by gridsync" in plan.stdout, plan.stdout

    rerun = project.gridsync("apply", "--auto-approve", timeout=90)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "ml-a: gone" in rerun.stderr and "ml-b: gone" in rerun.stderr  # it waited
    assert set(project.live()) == {"grid-cloud", "ml-keep"}
    assert set(record(project)["clusters"]) == {"ml-keep"}
    assert project.gridsync("drift").returncode == 0


def test_kill_after_the_prune_finished_and_a_rerun_with_nothing_to_do(project: Project) -> None:
    """The delete settled but apply died before its final write: the journal already forgot it,
    and a later 'Nothing to apply' run forgets any deletion that is finished."""
    slow(project)
    project.cluster("ml-keep")
    project.cluster("ml-old")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    slow(project, provision=6.0)
    (project.root / "clusters" / "ml-old.yaml").unlink()
    project.cluster("ml-new")  # slow to provision: apply is still waiting when killed
    apply = project.start("apply", "--auto-approve")
    kill_after(apply, "ml-old: gone", "ml-new: create requested")
    assert "ml-old" not in record(project)["clusters"]
    no_false_drift(project)
    converge(project)


def test_kill_during_a_chain_of_updates_creates_and_deletes(project: Project) -> None:
    slow(project)
    for name in ("ml-a", "ml-b", "ml-c"):
        project.cluster(name)
    assert project.gridsync("apply", "--auto-approve").returncode == 0

    slow(project, provision=6.0, delete=6.0)
    project.cluster("ml-a", cost_savings="true")  # update
    (project.root / "clusters" / "ml-b.yaml").unlink()  # delete, slow
    project.cluster("ml-d")  # create, slow
    apply = project.start("apply", "--auto-approve")
    kill_after(apply, "ml-a: updated", "ml-b: delete requested", "ml-d: create requested")
    entries = record(project)["clusters"]
    assert entries["ml-a"]["public"]["cost_savings"] is True  # recorded as it settled
    assert entries["ml-b"]["deleting"] is True
    assert "ml-d" not in entries  # not running yet: nothing to remember
    no_false_drift(project)

    # A second run is killed too, while it waits for what the first one started.
    again = project.start("apply", "--auto-approve")
    kill_after(again, "ml-d: pending", "ml-b: terminating")  # it waits for both
    no_false_drift(project)
    assert record(project)["clusters"]["ml-b"]["deleting"] is True

    converge(project)
    entries = record(project)["clusters"]
    assert set(entries) == {"ml-a", "ml-c", "ml-d"}
    assert not any(e.get("deleting") for e in entries.values())


def test_kill_during_a_replace_completes_it_on_the_next_run(project: Project) -> None:
    slow(project)
    project.cluster("ml-a")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    slow(project, delete=4.0)
    project.cluster("ml-a", region="us-west-2")
    apply = project.start("apply", "--auto-approve", "--allow-replace")
    kill_after(apply, "ml-a: delete requested")
    assert record(project)["clusters"]["ml-a"]["deleting"] is True
    no_false_drift(project)

    plan = project.gridsync("plan")  # no --allow-replace needed: only the create is left
    assert "+ ml-a" in plan.stdout and "apply waits until it is gone" in plan.stdout, plan.stdout
    converge(project)
    spec = project.live()["ml-a"].spec
    assert spec is not None and spec.region == "us-west-2"


def test_interrupted_by_wait_timeout_during_a_prune(project: Project) -> None:
    slow(project)
    project.cluster("ml-keep")
    project.cluster("ml-old")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    slow(project, delete=3.0)
    (project.root / "clusters" / "ml-old.yaml").unlink()
    timed_out = project.gridsync("apply", "--auto-approve", "--wait-timeout", "0.5s")
    assert timed_out.returncode == ExitCode.PARTIAL, timed_out.stdout + timed_out.stderr
    assert record(project)["clusters"]["ml-old"]["deleting"] is True
    no_false_drift(project)
    converge(project)
    assert set(record(project)["clusters"]) == {"ml-keep"}


def test_a_stale_entry_of_an_older_record_is_forgotten_by_a_run_with_nothing_to_do(
    project: Project,
) -> None:
    """A version 1 record knew no `deleting`: an interrupted prune left the entry behind."""
    slow(project)
    project.cluster("ml-keep")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    data = record(project)
    data["version"] = 1
    data["clusters"]["ml-pruned"] = data["clusters"]["ml-keep"]
    (project.root / ".gridsync" / "applied.json").write_text(json.dumps(data))
    assert "deleted outside gridsync" in project.gridsync("drift").stdout
    nothing = project.gridsync("apply", "--auto-approve")
    assert "Nothing to apply." in nothing.stderr, nothing.stdout + nothing.stderr
    assert set(record(project)["clusters"]) == {"ml-keep"} and record(project)["version"] == 2
    assert project.gridsync("drift").returncode == 0
