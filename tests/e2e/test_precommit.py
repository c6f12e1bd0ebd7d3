"""The pre-commit hook of .pre-commit-hooks.yaml, run the way a user's pre-commit runs it.

`pre-commit try-repo` clones this repository, builds the hook's virtualenv and pip-installs
gridsync into it, offline: pip sees only the wheelhouse of the README's test command (.ci/run
builds the same), and the suite's network guard rides along on PYTHONPATH into every Python it
starts (pre-commit, virtualenv, pip, the hook). try-repo builds a fresh environment each run, so
the two runs go in parallel.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from builders import cluster_doc

from gridsync.config.desired import DEFAULT_CLUSTER_GLOBS, DEFAULT_RUN_GLOBS
from gridsync.config.project import PROJECT_FILE

PROJECT = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"
DEAD_PROXY = "http://127.0.0.1:9"
BAD = cluster_doc("bad").replace("instance_types:", "instance_type:")  # line 8


def _git(repo: Path, *args: str) -> None:
    identity = ("-c", "user.name=test", "-c", "user.email=test@example.invalid")
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


def _user_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir()
    _git(root, "init", "-q")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "clusters")
    return root


def _try_repo(repo: Path, home: Path) -> subprocess.Popen[str]:
    assert WHEELHOUSE.is_dir(), f"no {WHEELHOUSE}: build it as the README's test command does"
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELHOUSE),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_COMPILE": "1",
        **{name: DEAD_PROXY for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")},
    }
    argv = [sys.executable, "-m", "pre_commit", "try-repo", str(PROJECT), "gridsync-validate"]
    return subprocess.Popen(
        [*argv, "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.timeout(400)  # two hook virtualenvs built from the wheelhouse (~15 s each alone)
def test_the_hook_passes_a_valid_project_and_fails_an_invalid_one_with_file_and_line(
    tmp_path: Path,
) -> None:
    good = {"clusters/good.yaml": cluster_doc("good")}
    valid = _user_repo(tmp_path / "valid", good)
    invalid = _user_repo(tmp_path / "invalid", {**good, "clusters/bad.yaml": BAD})
    runs = [_try_repo(repo, tmp_path / f"home-{repo.name}") for repo in (valid, invalid)]
    (passed, _), (failed, _) = (run.communicate(timeout=300) for run in runs)

    assert runs[0].returncode == 0, passed
    assert "gridsync validate" in passed and "Passed" in passed
    assert runs[1].returncode == 1, failed
    assert "gridsync validate" in failed and "Failed" in failed
    assert "clusters/bad.yaml:8:1: error: instance_type: unknown field" in failed
    assert "did you mean 'instance_types'?" in failed
    assert "Traceback" not in failed


def test_the_hook_runs_on_the_files_validate_reads_by_default() -> None:
    (hook,) = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "gridsync-validate"
    assert hook["entry"] == "gridsync validate"
    assert hook["pass_filenames"] is False  # validate checks the whole project, never a file
    pattern = re.compile(hook["files"])
    globs = (PROJECT_FILE, *DEFAULT_CLUSTER_GLOBS, *DEFAULT_RUN_GLOBS)
    for glob in globs:  # each default glob, at the top of its folder and deeper
        for deep in ("", "team/"):
            path = glob.replace("**/", deep).replace("*", "prod")
            assert pattern.search(path), path
            assert fnmatch.fnmatch(path, glob.replace("**/", "*")), path
    for path in ("README.md", "src/clusters.py", "other/clusters/a.yaml", "gridsync.yaml.bak"):
        assert not pattern.search(path), path
