"""Ctrl-C and SIGTERM: the real `gridsync` against a slow `gridsync local-grid serve` (8 s a request).

A second signal stops apply at once (no waiting for the 8 s calls in flight) and still prints the
summary, naming what may still be in flight; one signal in any other phase prints a line and exits
130 (SIGINT) or 143 (SIGTERM). The only timed assertions are generous bounds on time-to-exit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import Project
from test_api_backend import Server, use_api

from gridsync.errors import ExitCode

LATENCY_MS = 8000
BOUND = 2.0  # seconds from the last signal to exit; the calls in flight take 8 s
NAMES = ("ml-a", "ml-b")


@pytest.fixture
def slow_server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "server", "--latency-ms", str(LATENCY_MS))
    yield running
    running.stop()


def start(project: Project, server: Server, *args: str) -> subprocess.Popen[str]:
    return project.start(*args, env=server.env())


def read_until(process: subprocess.Popen[str], needle: str, seen: list[str]) -> None:
    """Read stderr lines (into `seen`) until one contains `needle`."""
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while needle not in (line := process.stderr.readline()):
        assert line and time.monotonic() < deadline, f"never saw {needle!r}: {''.join(seen)}"
        seen.append(line)
    seen.append(line)


def exit_after(process: subprocess.Popen[str], sig: signal.Signals) -> tuple[float, str, str]:
    """Send `sig`; seconds until the process exited, its stdout and the rest of its stderr."""
    sent = time.monotonic()
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    return time.monotonic() - sent, out, err


def two_clusters(project: Project) -> None:
    use_api(project)
    for name in NAMES:
        project.cluster(name)


@pytest.mark.parametrize(
    ("second", "code"),
    [(signal.SIGINT, ExitCode.INTERRUPTED), (signal.SIGTERM, ExitCode.TERMINATED)],
    ids=["ctrl-c-twice", "sigterm-after-ctrl-c"],
)
def test_a_second_signal_stops_apply_at_once_with_the_summary(
    project: Project, slow_server: Server, second: signal.Signals, code: ExitCode
) -> None:
    two_clusters(project)
    process = start(project, slow_server, "apply", "--auto-approve", "--parallelism", "2")
    seen: list[str] = []
    for name in NAMES:
        read_until(process, f"{name}: creating", seen)
    time.sleep(0.5)  # "creating" is printed when the call is queued: let the workers send them
    process.send_signal(signal.SIGINT)
    read_until(process, "interrupted: letting calls in flight finish", seen)
    elapsed, out, err = exit_after(process, second)
    output = out + "".join(seen) + err
    assert elapsed < BOUND, f"{elapsed:.1f}s after the second signal\n{output}"
    assert process.returncode == code, output
    assert "Apply interrupted: 0 succeeded, 0 failed, 2 incomplete." in out, output
    for name in NAMES:
        assert f"{name}  create incomplete: may still be in flight: create was sent" in out
    assert "stopped at once; may still be in flight: ml-a, ml-b" in err, output
    assert "Traceback" not in output
    # The record holds nothing this apply did not see settle.
    record = json.loads((project.root / ".gridsync" / "applied.json").read_text())
    assert record["clusters"] == {}


def test_stopped_at_once_while_waiting_the_summary_tells_settled_from_in_flight(
    project: Project, slow_server: Server
) -> None:
    """ml-a's create settled and it is being waited for (a poll round is out); ml-b's create is
    out. Two Ctrl-C: neither the round nor the create is waited for, and the summary says which."""
    two_clusters(project)
    process = start(project, slow_server, "apply", "--auto-approve", "--parallelism", "1")
    seen: list[str] = []
    read_until(process, "ml-a: create requested", seen)
    read_until(process, "ml-b: creating", seen)
    time.sleep(0.5)  # "creating" is printed when the call is queued: let a worker send it
    process.send_signal(signal.SIGINT)
    read_until(process, "interrupted: letting calls in flight finish", seen)
    elapsed, out, err = exit_after(process, signal.SIGINT)
    output = out + "".join(seen) + err
    assert elapsed < BOUND, f"{elapsed:.1f}s after the second signal\n{output}"
    assert process.returncode == ExitCode.INTERRUPTED, output
    assert "Apply interrupted: 0 succeeded, 0 failed, 2 incomplete." in out, output
    assert "ml-a  create incomplete: stopped before: wait until running" in out, output
    assert "ml-b  create incomplete: may still be in flight: create was sent" in out, output
    assert "stopped at once; may still be in flight: ml-b" in err, output


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGINT, ExitCode.INTERRUPTED)],
    ids=["sigterm", "ctrl-c"],
)
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_one_signal_while_planning_prints_a_line_and_exits_with_its_code(
    project: Project, slow_server: Server, sig: signal.Signals, code: ExitCode, command: str
) -> None:
    two_clusters(project)
    args = ("apply", "--auto-approve") if command == "apply" else ("plan",)
    process = start(project, slow_server, *args)
    time.sleep(1.5)  # the plan's list call is out for 8 s
    assert process.poll() is None
    elapsed, out, err = exit_after(process, sig)
    name = "Ctrl-C" if sig == signal.SIGINT else "SIGTERM"
    assert elapsed < BOUND, f"{elapsed:.1f}s\n{out}{err}"
    assert process.returncode == code, out + err
    assert f"Interrupted ({name}): gridsync stopped." in err, err
    assert "Traceback" not in out + err


def test_sigterm_while_waiting_for_the_lock_exits_143_at_once(
    project: Project, slow_server: Server
) -> None:
    """One apply holds the lock (its plan's list call is out for 8 s); another waits for it."""
    two_clusters(project)
    holder = start(project, slow_server, "apply", "--auto-approve")
    time.sleep(1.5)
    waiter = start(project, slow_server, "apply", "--auto-approve", "--lock-timeout", "60s")
    time.sleep(1.5)
    assert waiter.poll() is None and holder.poll() is None
    elapsed, out, err = exit_after(waiter, signal.SIGTERM)
    assert elapsed < BOUND, f"{elapsed:.1f}s\n{out}{err}"
    assert waiter.returncode == ExitCode.TERMINATED, out + err
    assert "Interrupted (SIGTERM): gridsync stopped." in err and "Traceback" not in err, err
    exit_after(holder, signal.SIGTERM)
    assert holder.returncode == ExitCode.TERMINATED


MODULE = Path(__file__).parents[1] / "data" / "terraform" / "byoc"
BYOC = """\
apiVersion: gridsync/v1
kind: Cluster
name: ml-byoc
provider: aws
region: us-east-1
infrastructure:
  terraform:
    module: infra/byoc
    vars: {cluster_name: ml-byoc, external_id: x, role_arn: "arn:aws:iam::123456789012:role/byoc"}
"""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_sigterm_while_terraform_runs_stops_it_and_exits_143(
    project: Project, tmp_path: Path, command: str
) -> None:
    """A Terraform that takes 30 s (a real process, its own group): SIGTERM stops both at once."""
    shutil.copytree(MODULE, project.root / "infra" / "byoc")
    pidfile = tmp_path / "terraform.pid"
    slow = tmp_path / "slow-terraform"
    real = Path(sys.executable).parent / "terraform"
    slow.write_text(f'#!/bin/sh\necho $$ > {pidfile}\nsleep 30\nexec {real} "$@"\n')
    slow.chmod(0o755)
    project.settings(f"terraform_bin: {slow}\n")
    project.write("clusters/ml-byoc.yaml", BYOC)
    args = ("apply", "--auto-approve") if command == "apply" else ("plan",)
    process = project.start(*args)
    deadline = time.monotonic() + 30
    while not pidfile.exists() or not pidfile.read_text().strip():
        assert process.poll() is None and time.monotonic() < deadline, "terraform never started"
        time.sleep(0.05)
    terraform = int(pidfile.read_text())
    elapsed, out, err = exit_after(process, signal.SIGTERM)
    assert elapsed < BOUND, f"{elapsed:.1f}s\n{out}{err}"
    assert process.returncode == ExitCode.TERMINATED, out + err
    assert "Interrupted (SIGTERM): gridsync stopped." in err, err
    assert "Traceback" not in out + err
    assert not pid_alive(terraform), "terraform was left running"
    assert "ml-byoc" not in project.live()
