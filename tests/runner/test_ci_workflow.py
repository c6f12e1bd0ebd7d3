"""This repository's own CI on a real runner: the `action` job of .github/workflows/ci.yml runs
`uses: ./` (the action of the commit under test) end to end against the local control plane:
validate, plan, apply the reviewed plan id, plan again to no change, a snapshot and a plan of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from act import PROJECT, Runner, copy_action
from journey import REPOSITORY, git, push_event

pytestmark = pytest.mark.runner


def test_the_action_job_of_ci_runs_green(runner: Runner, tmp_path: Path) -> None:
    repo = copy_action(tmp_path / "gridsync")
    for name in ("clusters", "runs"):
        shutil.copytree(PROJECT / name, repo / name)
    shutil.copy2(PROJECT / "gridsync.yaml", repo / "gridsync.yaml")
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy2(PROJECT / ".github" / "workflows" / "ci.yml", repo / ".github" / "workflows")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "gridsync")

    run = runner.run(
        repo,
        "push",
        push_event(git(repo, "rev-parse", "HEAD"), "0" * 40),
        workflow="ci.yml",
        job="action",
    )
    assert run.returncode == 0, run.log
    assert run.job_succeeded("composite action (local control plane)") is True, run.log
    assert "Success - Main The plan reports changes" in run.log
    assert "Success - Main Nothing is left to do" in run.log
    assert "Success - Main The snapshot plan agrees" in run.log
    assert run.job_succeeded("lint, types, tests (Python 3.11)") is None  # only the action job
