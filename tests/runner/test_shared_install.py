"""Jobs that run at once on one host share the action's gridsync install (act's matrix jobs do, as
self-hosted runners sharing a tool cache do): one job builds or restores it while the others wait,
and no job writes over an install another job is running."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from act import CHECKOUT, GRIDSYNC_ACTION, Runner
from journey import TeamRepo, push_event

pytestmark = pytest.mark.runner

JOBS = 3
MATRIX = f"""\
name: matrix
on: push
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: {list(range(1, JOBS + 1))}
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - uses: {GRIDSYNC_ACTION}
        with:
          command: validate
"""


def jobs_that_set(log: str, output: str) -> set[str]:
    """The matrix jobs that set a step output (act logs it once per action level it passes)."""
    return set(re.findall(rf"^\[matrix/(check-\d+)\s*\].*::set-output:: {output}$", log, re.M))


def test_concurrent_jobs_install_once_and_never_overwrite_a_running_install(
    action: Path, team: TeamRepo, tmp_path: Path
) -> None:
    home = tmp_path / "home"  # a cold tool cache and a cold Actions cache
    runner = Runner(home, action, tmp_path / "runner")
    team.write(".github/workflows/matrix.yml", MATRIX)
    head = team.commit("A matrix of jobs")

    def run_all() -> str:
        run = runner.run(team.root, "push", push_event(head, head), workflow="matrix.yml")
        assert run.returncode == 0, run.log
        assert run.log.count("🏁  Job succeeded") == JOBS, run.log
        return run.log

    cold = run_all()
    [builder] = jobs_that_set(cold, "fresh=true")  # one job installs, the others wait for it
    assert jobs_that_set(cold, "ready=false") == {builder}
    assert len(jobs_that_set(cold, "ready=true") - {builder}) == JOBS - 1

    warm = run_all()  # a self-hosted runner's next jobs: the install is used as it is
    assert len(jobs_that_set(warm, "ready=true")) == JOBS
    assert "fresh=true" not in warm and "cache-hit=" not in warm, "nothing restored or built"

    [ready] = home.rglob("*.ready")
    shutil.rmtree(ready.with_suffix(""))  # a hosted runner: only the Actions cache has it
    ready.unlink()
    restored = run_all()
    [restorer] = jobs_that_set(restored, "cache-hit=true")  # one job restores it
    assert jobs_that_set(restored, "ready=false") == {restorer}
    assert "fresh=true" not in restored
    assert not list(home.rglob("*.lock")), "every lock is released"
