"""The api backend end to end: `gridsync` talking HTTP to `gridsync local-grid serve` over loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import Project

from gridsync.errors import ExitCode

KEY = "gsk-e2e-Zq81x"


class Server:
    def __init__(self, root: Path, *args: str) -> None:
        root.mkdir()
        (root / "gridsync.yaml").write_text(
            "backend: {local: {queued_seconds: 0.05, provision_seconds: 0.3, delete_seconds: 0.2}}\n"
        )
        self.log = root / "server.log"
        self.log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gridsync", "local-grid", "serve", "--api-key", KEY, *args],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.log.read_text()

    def env(self, **extra: str) -> dict[str, str]:
        return {"GRID_URL": self.url, "GRID_USER_ID": "local-user", "GRID_API_KEY": KEY, **extra}

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def stop(self) -> None:
        self.process.terminate()
        self.process.communicate(timeout=10)
        self.log_file.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "server")
    yield running
    running.stop()


def use_api(project: Project) -> None:
    """Point the project's gridsync.yaml at the api backend."""
    path = project.root / "gridsync.yaml"
    path.write_text(
        path.read_text().replace("backend:\n  local:", "backend:\n  type: api\n  local:")
    )


def test_plan_apply_plan_through_the_api(project: Project, server: Server) -> None:
    use_api(project)
    project.cluster("ml-a", context="true")
    project.cluster("ml-b", cost_savings="true")
    plan = project.gridsync("plan", "--detailed-exitcode", env=server.env())
    assert plan.returncode == ExitCode.CHANGES, plan.stdout + plan.stderr
    assert plan.stdout.startswith(f"gridsync plan against Grid API ({server.url})")
    apply = project.gridsync("apply", "--auto-approve", env=server.env())
    assert apply.returncode == 0, apply.stdout + apply.stderr
    assert project.gridsync("plan", "--detailed-exitcode", env=server.env()).returncode == 0
    # The cluster context went where the grid CLI keeps it, other keys kept.
    settings = json.loads((Path(os.environ["HOME"]) / ".grid" / "settings.json").read_text())
    assert settings["context"] == "ml-a"
    # An edit is a full-spec PUT; a prune is a DELETE with force=False.
    project.cluster("ml-b", cost_savings="false")
    (project.root / "clusters" / "ml-a.yaml").unlink()
    project.settings("prune: true\nmanaged: ['ml-*']\n")
    use_api(project)
    assert project.gridsync("apply", "--auto-approve", env=server.env()).returncode == 0
    log = server.log_lines()
    assert any(re.match(r"PUT /v1/core/clusters/ml-b 200 ", line) for line in log)
    assert any(line.startswith("DELETE /v1/core/clusters/ml-a?force=False 200") for line in log)
    assert all(KEY not in line for line in log)


def test_login_with_a_username(project: Project, server: Server) -> None:
    use_api(project)
    project.cluster("ml-a")
    env = {"GRID_URL": server.url, "GRID_USERNAME": "local", "GRID_API_KEY": KEY}
    result = project.gridsync("apply", "--auto-approve", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert any(line.startswith("POST /v1/auth/login 200") for line in server.log_lines())


def test_wrong_key_is_a_clear_error_that_never_shows_the_key(
    project: Project, server: Server
) -> None:
    use_api(project)
    project.cluster("ml-a")
    wrong = "gsk-wrong-Yp02"
    result = project.gridsync("plan", env=server.env(GRID_API_KEY=wrong))
    assert result.returncode == ExitCode.ERROR
    assert "401" in result.stderr and "GRID_USER_ID/GRID_API_KEY" in result.stderr
    assert wrong not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_auto_backend_uses_the_api_when_credentials_are_configured(
    project: Project, server: Server
) -> None:
    project.cluster("ml-a")
    assert f"Grid API ({server.url})" in project.gridsync("plan", env=server.env()).stdout
    assert "local control plane" in project.gridsync("plan").stdout
    assert (
        "local control plane"
        in project.gridsync("plan", "--backend", "local", env=server.env()).stdout
    )


def test_api_without_credentials_says_what_to_set(project: Project) -> None:
    project.cluster("ml-a")  # a project with no cluster file stops before any backend
    result = project.gridsync("plan", "--backend", "api")
    assert result.returncode == ExitCode.ERROR
    assert "GRID_USER_ID and GRID_API_KEY" in result.stderr


def test_fifty_clusters_under_faults_converge_without_duplicates(
    project: Project, tmp_path: Path
) -> None:
    faulty = Server(
        tmp_path / "faulty",
        *("--error-rate", "0.2", "--rate-limit-rate", "0.05", "--retry-after", "0.1"),
        *("--drop-rate", "0.1", "--spike-rate", "0.02", "--spike-ms", "2000", "--seed", "7"),
    )
    try:
        use_api(project)
        names = [f"ml-{i:02d}" for i in range(50)]
        for name in names:
            project.cluster(name)
        runs = [
            project.gridsync(
                "apply", "--auto-approve", "--parallelism", "10", env=faulty.env(), timeout=240
            )
        ]
        while (
            runs[-1].returncode != 0 and len(runs) < 3
        ):  # a partial apply is allowed; rerunning converges
            assert runs[-1].returncode == ExitCode.PARTIAL, runs[-1].stdout + runs[-1].stderr
            runs.append(project.gridsync("apply", "--auto-approve", env=faulty.env(), timeout=240))
        assert runs[-1].returncode == 0, runs[-1].stdout + runs[-1].stderr
        final = project.gridsync("plan", "--detailed-exitcode", env=faulty.env())
        assert final.returncode == 0, final.stdout + final.stderr
        log = faulty.log_lines()
        posts = [line for line in log if line.startswith("POST /v1/core/clusters ")]
        assert any("fault=drop" in line for line in posts)  # ambiguous creates happened...
        assert not any(" 409 " in line for line in posts)  # ...and none was blindly re-sent
        assert sum(" 200 " in line for line in posts) == len(
            names
        )  # each cluster created exactly once
    finally:
        faulty.stop()
