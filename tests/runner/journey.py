"""What the runner tests share: act's home for the session, the action under test, a Grid control
plane served over loopback HTTP, a fake GitHub, and a team's repository of cluster files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from act import PROJECT, Runner, copy_action
from github.fake_github import FakeGitHub

REPOSITORY = "acme/infra"
USER_ID = "runner-user-7f3a"
API_KEY = "grid-key-S3CRET-5e1d"
EXTERNAL_ID = "ext-id-S3CRET-91c2"
ROLE_ARN = "arn:aws:iam::123456789012:role/grid-prod"
GITHUB_TOKEN = "ghs_runnerTOKEN0S3CRET0abc"
PLANE_SETTINGS = (
    "backend:\n  local: {queued_seconds: 0.05, provision_seconds: 0.3, delete_seconds: 0.1}\n"
)
PROJECT_SETTINGS = "backend: {type: api}\nwait: {timeout: 60s, poll_max: 0.2s}\n"


@pytest.fixture(scope="session")
def runner_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """act's HOME for the whole session: its tool cache keeps the gridsync install between jobs,
    as a self-hosted runner's does."""
    return tmp_path_factory.mktemp("runner-home")


@pytest.fixture(scope="session")
def action(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_action(tmp_path_factory.mktemp("action") / "gridsync")


@pytest.fixture
def runner(runner_home: Path, action: Path, tmp_path: Path) -> Runner:
    return Runner(runner_home, action, tmp_path / "runner")


@dataclass
class Plane:
    url: str
    root: Path
    process: subprocess.Popen[str]

    def live(self) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "gridsync", "live", "--backend", "api", "--output", "json"],
            cwd=self.root,
            env={
                **os.environ,
                "GRID_URL": self.url,
                "GRID_USER_ID": USER_ID,
                "GRID_API_KEY": API_KEY,
            },
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return dict(json.loads(done.stdout))

    def env(self) -> dict[str, str]:
        """What a trusted job has: the control plane's URL, its credentials, the files' secrets."""
        return {
            **os.environ,
            "GRID_URL": self.url,
            "GRID_USER_ID": USER_ID,
            "GRID_API_KEY": API_KEY,
            "ML_PROD_ROLE_ARN": ROLE_ARN,
            "ML_PROD_EXTERNAL_ID": EXTERNAL_ID,
        }

    def apply(self, team: TeamRepo, ref: str = "HEAD", *args: str) -> None:
        """What `ref` of the team's repository declares, applied (as an earlier merge did)."""
        work = team.root.parent / f"applied-{len(list(team.root.parent.glob('applied-*')))}"
        git(team.root, "worktree", "add", "-q", "--detach", str(work), ref)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "gridsync", "apply", "--auto-approve", *args],
                cwd=work,
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        finally:
            git(team.root, "worktree", "remove", "--force", str(work))

    def apply_project(self, team: TeamRepo, project: str) -> None:
        self.apply(team, "HEAD", "--project", project)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """A call to the control plane's REST API, as someone outside gridsync makes it."""
        import httpx

        with httpx.Client(base_url=self.url, auth=(USER_ID, API_KEY), timeout=10) as client:
            response = client.request(method, path, json=body)
            response.raise_for_status()
            return response.json()

    def names(self) -> set[str]:
        """The BYOC clusters that are not being torn down."""
        return {
            c["name"]
            for c in self.live()["clusters"]
            if c["spec"]["clusterType"] == "CLUSTER_TYPE_BYOC"
            and c["spec"].get("desiredState") != "CLUSTER_STATE_DELETED"
        }


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[Plane]:
    """`gridsync local-grid serve` on loopback, with credentials that are not the defaults."""
    root = tmp_path / "plane"
    root.mkdir()
    (root / "gridsync.yaml").write_text(PLANE_SETTINGS)
    argv = [sys.executable, "-m", "gridsync", "local-grid", "serve", "--port", "0"]
    argv += ["--user-id", USER_ID, "--api-key", API_KEY]
    process = subprocess.Popen(
        argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    try:
        yield Plane(url, root, process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=GITHUB_TOKEN, repository=REPOSITORY).running() as fake:
        yield fake


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def cluster_yaml(name: str, **fields: str) -> str:
    values = {
        "region": "us-east-1",
        "role_arn": "${env:ML_PROD_ROLE_ARN}",
        "external_id": "${env:ML_PROD_EXTERNAL_ID}",
        "instance_types": "[t3.large]",
        **fields,
    }
    body = "".join(f"{key}: {value}\n" for key, value in values.items())
    return f"apiVersion: gridsync/v1\nkind: Cluster\nname: {name}\nprovider: aws\n{body}"


@dataclass
class TeamRepo:
    """A team's repository of cluster files with gridsync's example workflows, copied unchanged
    from examples/github/."""

    root: Path
    workflows: list[str] = field(default_factory=list)

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def branch(self, name: str) -> None:
        git(self.root, "checkout", "-q", "-b", name)

    def checkout(self, name: str) -> None:
        git(self.root, "checkout", "-q", name)

    def merge(self, branch: str) -> str:
        git(self.root, "merge", "-q", "--no-ff", branch, "-m", f"Merge {branch}")
        return git(self.root, "rev-parse", "HEAD")

    def head(self) -> str:
        return git(self.root, "rev-parse", "HEAD")


@pytest.fixture
def team(tmp_path: Path) -> TeamRepo:
    root = tmp_path / "team"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    repo = TeamRepo(root)
    for source in sorted((PROJECT / "examples" / "github").glob("*.yml")):
        repo.write(f".github/workflows/{source.name}", source.read_text())
        repo.workflows.append(source.name)
    repo.write("gridsync.yaml", PROJECT_SETTINGS)
    repo.write("clusters/ml-prod-use1.yaml", cluster_yaml("ml-prod-use1"))
    repo.commit("Clusters under gridsync")
    return repo


def secrets() -> dict[str, str]:
    return {
        "GRID_USER_ID": USER_ID,
        "GRID_API_KEY": API_KEY,
        "ML_PROD_ROLE_ARN": ROLE_ARN,
        "ML_PROD_EXTERNAL_ID": EXTERNAL_ID,
        "GITHUB_TOKEN": GITHUB_TOKEN,
    }


SECRET_VALUES = (API_KEY, EXTERNAL_ID, GITHUB_TOKEN)


def pull_request_event(
    number: int, head_sha: str, base_sha: str, *, fork: bool = False, labels: tuple[str, ...] = ()
) -> dict[str, Any]:
    head_repo = "mallory/infra" if fork else REPOSITORY
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"ref": "change", "sha": head_sha, "repo": {"full_name": head_repo}},
            "base": {"ref": "main", "sha": base_sha, "repo": {"full_name": REPOSITORY}},
            "labels": [{"name": label} for label in labels],
            "user": {"login": "mallory" if fork else "dev"},
        },
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }


def push_event(sha: str, before: str) -> dict[str, Any]:
    return {
        "ref": "refs/heads/main",
        "before": before,
        "after": sha,
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }
