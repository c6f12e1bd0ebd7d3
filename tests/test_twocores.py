"""twocores.share: the same results as a plain loop whatever the forked child does, shared work
while the parent is busy elsewhere, and no process left behind. Each case runs in a fresh
interpreter (`-W error`), as the gridsync command does: a pytest worker has other threads, where
share rightly refuses to fork."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from builders import Project

from gridsync.config.load import EARLY_CLUSTER_FILES
from gridsync.twocores import MIN_ITEMS

TWO_CPUS = len(os.sched_getaffinity(0)) >= 2
needs_two = pytest.mark.skipif(not TWO_CPUS, reason="the fork needs two CPUs; this machine has one")

# The case's `func` runs on items 0..N-1; the script prints what came back and which process
# computed each item, then whether any child process is left (waitpid(-1) raises when none is).
HARNESS = """
import json, os, signal, sys, threading, time
from gridsync import twocores
from gridsync.twocores import share, share_found
PARENT = os.getpid()
N = {n}
BUSY = 0.0  # seconds the parent spends elsewhere before it asks for the results
def in_child():
    return os.getpid() != PARENT
def find():  # for share_found: what the walk found (who walked), and the items
    return {{"by": os.getpid()}}, list(range(N))
{case}
out = {{"raised": None}}
started = time.monotonic()
try:
    with {opening} as shared:
        out["forked"] = shared.child is not None
        time.sleep(BUSY)
        out["found"] = shared.found()
        results = shared.results()
    out["values"] = [value for value, _ in results]
    out["pids"] = sorted({{pid for _, pid in results}})
    out["by_child"] = sum(pid != PARENT for _, pid in results)
except BaseException as exc:
    out["raised"] = type(exc).__name__
out["seconds"] = time.monotonic() - started
try:
    out["left"] = os.waitpid(-1, os.WNOHANG)[0] != 0 or "running"
except ChildProcessError:
    out["left"] = False
out["parent"] = PARENT
print(json.dumps(out))
"""


SHARE = "share(func, list(range(N)))"
SHARE_FOUND = "share_found(func, find, early=True)"


def run_case(case: str, n: int = 1000, opening: str = SHARE) -> dict[str, object]:
    script = HARNESS.format(n=n, case=textwrap.dedent(case), opening=opening)
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    result: dict[str, object] = json.loads(done.stdout)
    return result


SQUARE = """
def func(x):
    return x * x, os.getpid()
"""


@needs_two
def test_both_take_chunks_and_the_results_match_the_loop() -> None:
    out = run_case(
        """
        def func(x):
            time.sleep(0.0002)
            return x * x, os.getpid()
        """
    )
    assert out["values"] == [x * x for x in range(1000)]
    pids = out["pids"]
    assert isinstance(pids, list) and len(pids) == 2 and out["parent"] in pids
    by_child = out["by_child"]
    assert isinstance(by_child, int) and 100 < by_child < 900  # shared, not split in advance
    assert out["left"] is False


@needs_two
def test_the_child_takes_more_while_the_parent_is_busy_elsewhere() -> None:
    """The parent reads cluster files meanwhile: the child takes the chunks it can."""
    out = run_case(
        """
        BUSY = 0.5
        def func(x):
            time.sleep(0.0002)
            return x * x, os.getpid()
        """
    )
    assert out["values"] == [x * x for x in range(1000)]
    by_child = out["by_child"]
    assert isinstance(by_child, int) and by_child > 900  # 0.2 s of work, all done in 0.5 s
    assert out["left"] is False


@needs_two
@pytest.mark.parametrize(
    "failure",
    [
        "os._exit(3)",  # dies
        "raise ValueError('boom')",  # a bug in the child
        "os._exit(0)",  # ends cleanly having sent nothing: unreadable results
        "os.kill(os.getpid(), signal.SIGKILL)",  # killed from outside
    ],
)
@pytest.mark.parametrize("opening", [SHARE, SHARE_FOUND])
def test_a_failing_child_is_replaced_by_the_parent(failure: str, opening: str) -> None:
    """While the parent is busy the child takes chunks from the start; it fails at item 500
    (with share_found, after it found the items: what it found is still used)."""
    out = run_case(
        f"""
        BUSY = 0.5
        def func(x):
            if in_child() and x >= 500:
                {failure}
            return x * x, os.getpid()
        """,
        opening=opening,
    )
    assert out["values"] == [x * x for x in range(1000)]
    assert out["forked"] is True
    assert out["pids"] == [out["parent"]]  # the parent computed the child's chunks again
    assert out["found"] != {"by": out["parent"]}  # share: None; share_found: the child's walk
    assert out["left"] is False


@needs_two
def test_a_hanging_child_is_killed_after_the_deadline() -> None:
    out = run_case(
        """
        BUSY = 0.5
        def func(x):
            if in_child() and x >= 500:
                time.sleep(3600)
            return x * x, os.getpid()
        """
    )
    assert out["values"] == [x * x for x in range(1000)]
    assert out["forked"] is True and out["pids"] == [out["parent"]]
    seconds = out["seconds"]
    assert isinstance(seconds, float) and 2.5 <= seconds < 30  # busy + 4 x its own part + 2 s
    assert out["left"] is False


@needs_two
@pytest.mark.parametrize("opening", [SHARE, SHARE_FOUND])
def test_ctrl_c_in_the_parent_leaves_no_child(opening: str) -> None:
    """Ctrl-C while the parent is busy elsewhere and the child is deep in its work."""
    out = run_case(
        """
        BUSY = 5.0
        signal.signal(signal.SIGALRM, lambda *_: os.kill(PARENT, signal.SIGINT))
        signal.setitimer(signal.ITIMER_REAL, 0.3)  # a child does not inherit the timer
        def func(x):
            if in_child():
                time.sleep(3600)  # a child that would outlive the parent if not killed
            return x * x, os.getpid()
        """,
        opening=opening,
    )
    assert out["forked"] is True and out["raised"] == "KeyboardInterrupt"
    seconds = out["seconds"]
    assert isinstance(seconds, float) and seconds < 5
    assert out["left"] is False


@pytest.mark.parametrize(
    ("case", "n"),
    [
        (SQUARE, MIN_ITEMS - 1),  # too few items to be worth a fork
        (
            SQUARE + "threading.Thread(target=threading.Event().wait, daemon=True).start()\n",
            1000,
        ),  # another thread: a child could inherit a lock it holds
    ],
    ids=["few items", "another thread"],
)
def test_no_fork_where_it_does_not_pay_or_is_unsafe(case: str, n: int) -> None:
    out = run_case(case, n)
    assert out["values"] == [x * x for x in range(n)]
    assert out["forked"] is False and out["pids"] == [out["parent"]]
    assert out["left"] is False


# share_found: the child finds the items (and what else the walk returns) first.
SLOW_SQUARE = """
def func(x):
    time.sleep(0.0002)
    return x * x, os.getpid()
"""


@needs_two
def test_the_child_finds_then_both_take_chunks() -> None:
    out = run_case(SLOW_SQUARE, opening=SHARE_FOUND)
    assert out["values"] == [x * x for x in range(1000)]
    assert out["forked"] is True and out["found"] != {"by": out["parent"]}  # the child walked
    pids = out["pids"]
    assert isinstance(pids, list) and len(pids) == 2
    assert out["left"] is False


@needs_two
def test_what_the_child_finds_while_the_parent_is_busy_is_all_read_there() -> None:
    out = run_case("BUSY = 0.5\n" + SLOW_SQUARE, opening=SHARE_FOUND)
    assert out["values"] == [x * x for x in range(1000)]
    by_child = out["by_child"]
    assert isinstance(by_child, int) and by_child > 900
    assert out["left"] is False


@needs_two
@pytest.mark.parametrize(
    "failure",
    [
        "os._exit(3)",
        "raise ValueError('boom')",
        "os._exit(0)",  # ends cleanly having said nothing
        "os.kill(os.getpid(), signal.SIGKILL)",
    ],
)
def test_a_child_failing_to_find_is_replaced_by_the_parent(failure: str) -> None:
    out = run_case(
        f"""
        BUSY = 0.3
        def find():
            if in_child():
                {failure}
            return {{"by": os.getpid()}}, list(range(N))
        def func(x):
            return x * x, os.getpid()
        """,
        opening=SHARE_FOUND,
    )
    assert out["values"] == [x * x for x in range(1000)]
    assert out["forked"] is True and out["found"] == {"by": out["parent"]}
    assert out["pids"] == [out["parent"]]
    assert out["left"] is False


@needs_two
def test_a_child_hanging_in_its_walk_is_killed_after_the_deadline() -> None:
    out = run_case(
        """
        twocores.FIND_GRACE = 0.5
        def find():
            if in_child():
                time.sleep(3600)
            return {"by": os.getpid()}, list(range(N))
        def func(x):
            return x * x, os.getpid()
        """,
        opening=SHARE_FOUND,
    )
    assert out["values"] == [x * x for x in range(1000)]
    assert out["found"] == {"by": out["parent"]}
    seconds = out["seconds"]
    assert isinstance(seconds, float) and 2.4 <= seconds < 30  # 2 s + the grace, then found here
    assert out["left"] is False


@needs_two
def test_few_items_found_by_the_child_are_all_computed_here() -> None:
    out = run_case(SQUARE, MIN_ITEMS - 1, opening=SHARE_FOUND)
    assert out["values"] == [x * x for x in range(MIN_ITEMS - 1)]
    assert out["forked"] is True and out["found"] != {"by": out["parent"]}
    assert out["pids"] == [out["parent"]]
    assert out["left"] is False


def test_found_at_once_here_without_early() -> None:
    out = run_case(SQUARE, opening="share_found(func, find, early=False)")
    assert out["values"] == [x * x for x in range(1000)]
    assert out["found"] == {"by": out["parent"]}
    assert out["left"] is False


# `python -m gridsync` on one CPU: share then leaves every run config to the one process.
ONE_CPU = (
    "import os, runpy, sys; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
    "runpy.run_module('gridsync', run_name='__main__', alter_sys=True)"
)


@needs_two
@pytest.mark.parametrize("files", [1, EARLY_CLUSTER_FILES], ids=["one file", "early fork"])
def test_validate_and_plan_say_the_same_on_one_cpu_and_on_two(tmp_path: Path, files: int) -> None:
    """Through the real command: 600 run configs (so share forks on two CPUs), bad ones early and
    late, bound and unbound ones: the same output, byte for byte, and the same exit. With enough
    cluster files, the child also finds the run configs (share_found)."""
    project = Project.at(tmp_path / "p", settings=True)
    for j in range(files):
        project.write(
            f"clusters/team{j:02d}.yaml",
            "".join(
                f"---\napiVersion: gridsync/v1\nkind: Cluster\nname: c-{i}\nprovider: aws\n"
                f"region: us-east-1\nrole_arn: arn:aws:iam::123456789012:role/g\n"
                f"external_id: x{i}\nruns: ['runs/c{i}/**/*.yaml']\n"
                for i in range(max(6, files))  # c-6 and up bind no file: a warning each
                if i % files == j
            ),
        )
    for k in range(600):
        body = f"compute:\n  provider:\n    cluster: c-{(k + 1) % 6}\n  train:\n    gpus: 1\n"
        if k in (5, 590):
            body = body.replace("gpus: 1", "gpus: many")  # an error early and one late
        if k == 300:
            body += "  gpu: 2\n"  # a warning
        project.write(f"runs/c{k % 6}/exp/r{k:03d}.yaml", body)
    for command in (["validate"], ["plan"]):
        two = project.gridsync(*command)
        one = subprocess.run(
            [sys.executable, "-c", ONE_CPU, *command],
            cwd=project.root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert two.returncode == one.returncode == 1
        assert two.stdout == one.stdout and two.stderr == one.stderr
        assert "r005.yaml" in two.stderr and "r590.yaml" in two.stderr
    project.write("runs/c5/exp/r005.yaml", "compute:\n  provider:\n    cluster: c-0\n")
    project.write("runs/c2/exp/r590.yaml", "compute:\n  provider:\n    cluster: c-3\n")
    two = project.gridsync("plan")
    assert two.returncode == 0, two.stderr
    assert "r300.yaml" in two.stderr  # the warning is still reported
    assert "Run configs: 600 to edit." in two.stdout
