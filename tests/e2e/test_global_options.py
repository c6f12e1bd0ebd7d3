"""Global options work before and after the command (`gridsync plan --github` as action.yml calls
it), and given after the command they win."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from builders import Project

ANSI = "\x1b["


@pytest.fixture(autouse=True)
def one_cluster(project: Project) -> None:
    project.settings()
    project.cluster("opt-a")


@pytest.mark.parametrize(
    "argv",
    [
        ["--github", "plan"],
        ["plan", "--github"],
        ["--no-github", "plan", "--github"],
    ],
)
def test_github_anywhere(project: Project, tmp_path: Path, argv: list[str]) -> None:
    outputs = tmp_path / "outputs"
    result = project.gridsync(*argv, env={"GITHUB_OUTPUT": str(outputs)})
    assert result.returncode == 0, result.stderr
    assert "has_changes=true" in outputs.read_text()


def test_no_github_after_the_command_wins(project: Project, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    result = project.gridsync(
        "--github", "plan", "--no-github", env={"GITHUB_OUTPUT": str(outputs)}
    )
    assert result.returncode == 0, result.stderr
    assert not outputs.exists()


@pytest.mark.parametrize(
    ("argv", "colored"),
    [
        (["plan", "--color", "always"], True),
        (["--color", "always", "plan"], True),
        (["--color", "always", "plan", "--color", "never"], False),
    ],
)
def test_color_anywhere(project: Project, argv: list[str], colored: bool) -> None:
    result = project.gridsync(*argv)
    assert result.returncode == 0, result.stderr
    assert (ANSI in result.stdout) is colored


def test_chdir_and_project_after_the_command(project: Project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = project.gridsync("validate", "-C", str(elsewhere), "--project", "nope")
    assert result.returncode == 1
    assert "--project nope" in result.stderr


def test_every_command_takes_the_global_options_after_it() -> None:
    """action.yml runs `gridsync COMMAND --github [--project NAME]` for every command it offers
    (`projects` included, for the fleet matrix)."""
    import click

    from gridsync.cli.group import cli

    wanted = {"--github", "--project", "-C", "--color", "--debug"}
    missing = [
        name
        for name, command in cli.commands.items()
        if not isinstance(command, click.Group)
        and not wanted <= {opt for param in command.params for opt in param.opts}
    ]
    assert missing == []


def test_a_subdirectory_finds_the_project_root_and_chdir_wins(project: Project) -> None:
    deep = project.root / "runs" / "team"
    deep.mkdir(parents=True)
    found = subprocess.run(
        [sys.executable, "-m", "gridsync", "plan"], cwd=deep, capture_output=True, text=True
    )
    assert found.returncode == 0, found.stderr
    assert "opt-a" in found.stdout
    assert (project.root / ".gridsync").is_dir() and not (deep / ".gridsync").exists()
    empty = project.gridsync("-C", "runs/team", "plan")  # -C is the root, no search
    assert empty.returncode == 1
    assert "no cluster files in" in empty.stderr and "gridsync import --all" in empty.stderr
    assert "Traceback" not in empty.stderr and not (deep / ".gridsync").exists()
