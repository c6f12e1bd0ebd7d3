"""Start-up stays light: what `gridsync --help` and `gridsync --version` import (issue 15 item 5).

Not a timed test: the real entry point runs under `python -X importtime`, which names every module
the process imported, and the heavy ones (HTTP, YAML, AWS, JSON Schema, the command
implementations) must not be among them. Each of those is tens of milliseconds of a start-up
budget of 0.1 s (docs/performance.md, "Start-up").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from builders import Project

import gridsync
from gridsync.cli import version_text
from gridsync.cli.main import run

# Modules (and their submodules) no help or version output needs.
HEAVY = (
    "httpx",
    "httpcore",
    "yaml",
    "boto3",
    "botocore",
    "jsonschema_rs",
    "python_terraform",
    "gridsync.commands",
    "gridsync.config",
    "gridsync.apply",
    "gridsync.plan",
    "gridsync.infra",
    "gridsync.github",
    "gridsync.live.api",
    "gridsync.localgrid.server",
)
# `--version` alone is answered before the command line is built at all.
VERSION_HEAVY = (
    *HEAVY,
    "click",
    "gridsync.cli.main",
    "gridsync.cli.group",
)


def _imported(*args: str) -> tuple[set[str], str]:
    """The modules `python -m gridsync ARGS` imports, and what it printed."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gridsync", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }
    assert "gridsync" in modules  # the report was read
    return modules, done.stdout


def _heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_the_install_adds_no_import_hook_to_every_python_start() -> None:
    """An editable install is a path in a .pth file (pyproject's `package-dir`), not setuptools'
    import-hook finder, which every interpreter of the venv imports at start (25-30 ms)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "pass"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert "site" in modules  # the report was read
    assert [m for m in modules if "editable" in m or "gridsync" in m] == []


@pytest.mark.parametrize("args", [["--help"], ["plan", "--help"], ["apply", "--help"]])
def test_help_imports_click_and_the_declarations_only(args: list[str]) -> None:
    modules, out = _imported(*args)
    assert "Usage: gridsync" in out
    assert "click" in modules and "gridsync.cli.group" in modules
    assert _heavy(modules, HEAVY) == []


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_alone_imports_no_click(flag: str) -> None:
    """The version comes from the installed metadata (style rule 15: one source), nothing else."""
    modules, out = _imported(flag)
    assert out == f"gridsync, version {gridsync.__version__}\n"
    assert _heavy(modules, VERSION_HEAVY) == []


# On the local control plane, plan and validate talk to no server: an HTTP client, AWS and the
# installed metadata (only a saved plan records the version) are tens of milliseconds each.
LOCAL_PLAN_HEAVY = (
    "httpx",
    "httpcore",
    "boto3",
    "botocore",
    "python_terraform",
    "importlib.metadata",
    "gridsync.github",
    "gridsync.live.api",
    "gridsync.live.login",
    "gridsync.localgrid.server",
)


# validate reads and checks files: nothing that plans, edits run configs or asks Terraform.
VALIDATE_HEAVY = (
    *LOCAL_PLAN_HEAVY,
    "gridsync.plan",
    "gridsync.yamledit",
    "gridsync.prepare.against",
    "gridsync.prepare.facts",
    "gridsync.live.backend",
    "gridsync.localgrid",
    "concurrent.futures",
)


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_a_local_plan_imports_no_http_client(tmp_path: Path, command: str) -> None:
    project = Project.at(tmp_path / "repo", settings=True)
    project.cluster("ml-a")
    modules, out = _imported("-C", str(project.root), command)
    assert "ml-a" in out or "1 cluster" in out
    if command == "plan":
        assert "gridsync.localgrid.controlplane" in modules
        assert _heavy(modules, LOCAL_PLAN_HEAVY) == []
    else:
        assert _heavy(modules, VALIDATE_HEAVY) == []


def test_version_through_click_says_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    """With other options before it, click's --version answers, with the same line."""
    assert run(["--color", "never", "--version"]) == 0
    assert capsys.readouterr().out == version_text() + "\n"
