"""What the environment says about Grid, end to end: where credentials may go (a hostile pull
request controls gridsync.yaml, not the environment), and reading what `grid login` and
`grid user set-cluster-context` wrote, the way the grid CLI reads it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from builders import Project
from loopback import serving
from test_api_backend import Server

from gridsync.errors import ExitCode


@pytest.fixture
def grid(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "server")
    yield running
    running.stop()


class Listener(HTTPServer):
    """A loopback listener a hostile gridsync.yaml could name; it records what reaches it."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.seen.append(dict(self.headers.items()))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


def point_backend_at(project: Project, url: str) -> None:
    """gridsync.yaml as a hostile pull request could write it."""
    path = project.root / "gridsync.yaml"
    text = path.read_text().replace(
        "backend:\n  local:", f"backend:\n  type: api\n  url: {url}\n  local:"
    )
    path.write_text(text)


def home_settings(**keys: str) -> Path:
    path = Path(os.environ["HOME"]) / ".grid" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys))
    return path


def test_a_backend_url_in_gridsync_yaml_never_receives_credentials(
    project: Project, grid: Server
) -> None:
    project.cluster("ml-a")
    listener = Listener()
    with serving(listener):
        point_backend_at(project, listener.url)
        logins = {"GRID_USERNAME": "local", "GRID_API_KEY": "k"}  # the username login flow
        for env in (grid.env(), {"GRID_USER_ID": "local-user", "GRID_API_KEY": "k"}, logins):
            run = project.gridsync("plan", env=env)
            assert run.returncode == ExitCode.ERROR, run.stdout + run.stderr
            assert "gridsync.yaml:3: backend.url is" in run.stderr
            assert "GRID_URL=" in run.stderr and "Traceback" not in run.stderr
    assert listener.seen == []  # not one request, so no Authorization header either


def test_a_backend_url_that_repeats_the_environment_is_honoured(
    project: Project, grid: Server
) -> None:
    project.cluster("ml-a")
    point_backend_at(project, grid.url + "/")
    run = project.gridsync("plan", env=grid.env())
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"gridsync plan against Grid API ({grid.url})")


def test_plain_http_goes_only_to_loopback(project: Project) -> None:
    project.cluster("ml-a")  # a project with no cluster file stops before any backend
    for url in ("http://grid.example", "http://10.0.0.1:8080", "ftp://127.0.0.1"):
        env = {"GRID_URL": url, "GRID_USER_ID": "u", "GRID_API_KEY": "k"}
        run = project.gridsync("plan", "--backend", "api", env=env)
        assert run.returncode == ExitCode.ERROR, run.stdout + run.stderr
        assert "is not https://" in run.stderr and "Traceback" not in run.stderr


def test_the_url_grid_login_saved_is_used_when_grid_url_is_unset(
    project: Project, grid: Server
) -> None:
    home_settings(grid_url=grid.url, context="prod-2")
    project.cluster("ml-a")  # a project with no cluster file stops before any backend
    env = {k: v for k, v in grid.env().items() if k != "GRID_URL"}
    run = project.gridsync("plan", "--backend", "api", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"gridsync plan against Grid API ({grid.url})")


def test_grid_cluster_id_beats_the_settings_file_context(project: Project, grid: Server) -> None:
    project.cluster("ml-a", context="true")
    assert (
        project.gridsync("apply", "--auto-approve", "--backend", "api", env=grid.env()).returncode
        == 0
    )
    # The files say ml-a is the context; GRID_CLUSTER_ID says prod-2, and the CLI would use prod-2.
    run = project.gridsync(
        "plan", "--backend", "api", "--detailed-exitcode", env=grid.env(GRID_CLUSTER_ID="prod-2")
    )
    assert run.returncode == ExitCode.CHANGES, run.stdout + run.stderr
    assert "context" in run.stdout and "prod-2" in run.stdout


def test_the_context_is_read_from_home_settings_like_the_cli(
    project: Project, grid: Server, tmp_path: Path
) -> None:
    project.cluster("ml-a", context="true")
    other = tmp_path / "elsewhere.json"
    other.write_text(json.dumps({"context": "ml-a"}))
    home_settings(context="prod-2")
    env = grid.env(GRID_SETTINGS_PATH=str(other))
    assert project.gridsync("apply", "--auto-approve", "--backend", "api", env=env).returncode == 0
    # set-cluster-context writes GRID_SETTINGS_PATH, and so did apply:
    assert json.loads(other.read_text())["context"] == "ml-a"
    # but the CLI reads ~/.grid/settings.json, whose context is still prod-2: a change remains.
    run = project.gridsync("plan", "--backend", "api", "--detailed-exitcode", env=env)
    assert run.returncode == ExitCode.CHANGES, run.stdout + run.stderr
