"""What goes wrong: stale plans, failed provisioning, kills and interrupts, bad input, no terminal."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest
from builders import Project

from gridsync.errors import ExitCode
from gridsync.spec import Phase

BROKEN = Path(__file__).parents[1] / "data" / "config" / "broken"


def wait_for(process_output: list[str], needle: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while needle not in "".join(process_output):
        assert time.monotonic() < deadline, f"never saw {needle!r} in {''.join(process_output)!r}"
        time.sleep(0.02)


def test_saved_plan_applies_when_fresh(project: Project) -> None:
    project.cluster("ml-a")
    assert project.gridsync("plan", "--out", "reviewed.json").returncode == 0
    result = project.gridsync("apply", "reviewed.json")
    assert result.returncode == 0, result.stderr
    assert project.live()["ml-a"].phase == Phase.RUNNING


def test_stale_plan_is_refused_when_live_moved(project: Project) -> None:
    project.cluster("ml-a")
    assert project.gridsync("plan", "--out", "reviewed.json").returncode == 0
    project.plane().create("ml-a", project_spec())  # someone else created it meanwhile
    result = project.gridsync("apply", "reviewed.json")
    assert result.returncode == ExitCode.STALE_PLAN
    assert "live state changed since the plan was saved" in result.stderr


def test_stale_plan_is_refused_when_files_moved(project: Project) -> None:
    project.cluster("ml-a")
    assert project.gridsync("plan", "--out", "reviewed.json").returncode == 0
    project.cluster("ml-a", cost_savings="true")
    result = project.gridsync("apply", "reviewed.json")
    assert result.returncode == ExitCode.STALE_PLAN
    assert "cluster files changed" in result.stderr
    assert "ml-a" not in project.live()


def project_spec():  # type: ignore[no-untyped-def]
    from factories import spec

    return spec()


def test_failed_create_amid_good_ones(project: Project) -> None:
    for name in ("ml-a", "ml-b", "ml-c"):
        project.cluster(name)
    reason = "AccessDenied: grid cannot assume role"
    assert project.gridsync("local-grid", "fail", "ml-b", "--reason", reason).returncode == 0
    result = project.gridsync("apply", "--auto-approve")
    assert result.returncode == ExitCode.PARTIAL, result.stdout + result.stderr
    assert "Apply finished with errors: 2 succeeded, 1 failed." in result.stdout
    assert reason in result.stdout
    live = project.live()
    assert (live["ml-a"].phase, live["ml-b"].phase, live["ml-c"].phase) == (
        Phase.RUNNING,
        Phase.FAILED,
        Phase.RUNNING,
    )
    # The failed cluster is replaced on the next run (like a tainted resource) and then converges.
    retry = project.gridsync("apply", "--auto-approve")
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert "-/+ ml-b" in retry.stdout
    assert project.live()["ml-b"].phase == Phase.RUNNING
    assert project.gridsync("plan", "--detailed-exitcode").returncode == 0


def test_kill_mid_apply_then_rerun_converges(project: Project) -> None:
    project.settings("parallelism: 2\n", provision=3)
    names = [f"ml-{i}" for i in range(6)]
    for name in names:
        project.cluster(name)
    process = project.start("apply", "--auto-approve")
    seen: list[str] = []
    assert process.stderr is not None
    deadline = time.monotonic() + 20
    while seen.count("create requested") < 3:  # some requests landed, the others not yet
        line = process.stderr.readline()
        assert line and time.monotonic() < deadline, "apply ended early"
        seen.extend(["create requested"] if "create requested" in line else [])
    process.kill()
    process.communicate()
    at_kill = project.live()
    assert sum(n in at_kill for n in names) >= 3  # requests landed before the kill...
    assert not any(at_kill[n].phase == Phase.RUNNING for n in names if n in at_kill)  # ...mid-apply
    rerun = project.gridsync("apply", "--auto-approve")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    live = project.plane().list_clusters().clusters
    assert (
        sorted(c.name for c in live if c.name.startswith("ml-")) == names
    )  # no duplicates, none lost
    assert all(c.phase == Phase.RUNNING for c in live)
    assert project.gridsync("plan", "--detailed-exitcode").returncode == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_settles_and_prints_the_summary(project: Project, sig: signal.Signals) -> None:
    project.settings(provision=30)
    for name in ("ml-a", "ml-b"):
        project.cluster(name)
    process = project.start("apply", "--auto-approve", "--parallelism", "1")
    assert process.stderr is not None
    while "create requested" not in (line := process.stderr.readline()):
        assert line, "apply ended early"
    process.send_signal(sig)
    out, err = process.communicate(timeout=20)
    expected = ExitCode.TERMINATED if sig == signal.SIGTERM else ExitCode.INTERRUPTED
    assert process.returncode == expected, out + err
    assert out.startswith("gridsync plan") and "Apply interrupted" in out
    assert "incomplete" in out


def test_apply_without_a_terminal_refuses_rather_than_hangs(project: Project) -> None:
    project.cluster("ml-a")
    result = project.gridsync("apply", timeout=20)
    assert result.returncode == ExitCode.ERROR
    assert "no terminal to ask on" in result.stderr and "--auto-approve" in result.stderr
    assert "ml-a" not in project.live()


def test_unset_env_is_a_note_at_plan_and_an_error_at_apply(project: Project) -> None:
    project.cluster("ml-a", external_id="${env:NOT_SET_ANYWHERE}")
    plan = project.gridsync("plan")
    assert plan.returncode == 0 and "NOT_SET_ANYWHERE" in plan.stderr
    result = project.gridsync("apply", "--auto-approve")
    assert result.returncode == ExitCode.ERROR
    assert "ml-a: external_id needs ${env:NOT_SET_ANYWHERE}" in result.stderr
    assert "ml-a" not in project.live()


def test_broken_folder_reports_every_error_with_its_line(project: Project) -> None:
    shutil.copytree(BROKEN, project.root / "clusters")
    for command in ("validate", "plan", "apply"):
        result = (
            project.gridsync(command, "--auto-approve")
            if command == "apply"
            else project.gridsync(command)
        )
        assert result.returncode == ExitCode.ERROR, result.stderr
        assert "Traceback" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if ": error: " in line]
        assert len(errors) >= 10 and all(line.startswith("clusters/") for line in errors)
        assert all(line.split(":")[1].isdigit() for line in errors)
    assert set(project.live()) == {"grid-cloud"}


def test_bad_option_is_exit_1_not_2(project: Project) -> None:
    result = project.gridsync("plan", "--format", "yaml")
    assert result.returncode == ExitCode.ERROR
    assert "Invalid value for '--format'" in result.stderr


def test_version_and_help(project: Project) -> None:
    assert project.gridsync("--version").stdout.startswith("gridsync, version ")
    assert "Exit codes" in project.gridsync("--help").stdout


def test_a_second_apply_waits_for_the_lock_and_names_the_holder(project: Project) -> None:
    project.settings(provision=3)
    project.cluster("ml-a")
    first = project.start("apply", "--auto-approve")
    assert first.stderr is not None
    while "create requested" not in (line := first.stderr.readline()):
        assert line, "the first apply ended early"
    second = project.gridsync("apply", "--auto-approve", env={"GITHUB_ACTOR": "bob"})
    assert second.returncode == ExitCode.LOCK_TIMEOUT, second.stdout + second.stderr
    assert "held by" in second.stderr and "since" in second.stderr
    assert "+ ml-a" not in second.stdout  # it did not even plan
    waited = project.gridsync("apply", "--auto-approve", "--lock-timeout", "30s")
    assert waited.returncode == 0, waited.stdout + waited.stderr  # ran once the first one finished
    first.communicate(timeout=30)
    assert first.returncode == 0
    assert project.gridsync("plan", "--detailed-exitcode").returncode == 0
