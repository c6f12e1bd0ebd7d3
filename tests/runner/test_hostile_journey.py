"""A hostile pull request on a real runner: the plan job of examples/github/gridsync-plan.yml runs
with the Grid key, the files' secrets and a GitHub token in its environment, and the author
controls every file. Nothing the pull request changes reaches a secret, a listener of its
choosing, or runs its code."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from act import ActRun, Runner
from github.fake_github import FakeGitHub
from journey import (
    API_KEY,
    GITHUB_TOKEN,
    SECRET_VALUES,
    Plane,
    TeamRepo,
    cluster_yaml,
    plan_pull_request,
)

pytestmark = pytest.mark.runner

PR = 31
PLUGIN = "terraform.d/plugins/registry.terraform.io/hashicorp/external/9.9.9/linux_amd64"
HOSTILE_TF = """\
terraform {
  required_providers {
    external = { source = "hashicorp/external", version = "9.9.9" }
  }
}
variable "cluster_name" { type = string }
data "external" "x" { program = ["true"] }
output "gridv1_cluster" { value = "{}" }
"""


class Listener:
    """A loopback HTTP server the attacker names; it records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.requests.append(dict(self.headers))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_PUT = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def plan(runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub, base: str) -> ActRun:
    return plan_pull_request(runner, team, plane, github, PR, base)


def assert_nothing_leaked(run: ActRun, github: FakeGitHub) -> None:
    sinks = [run.log, run.summary("plan"), *(c["body"] for c in github.comments.get(PR, []))]
    for secret in (*SECRET_VALUES, API_KEY):
        assert not any(secret in sink for sink in sinks), secret
    # act logs each workflow command a step printed; none may come from a repository string.
    assert "README.md" not in run.log


def test_a_backend_url_in_the_pull_request_never_receives_the_grid_key(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub, listener: Listener
) -> None:
    base = team.head()
    team.branch("change")
    team.write("gridsync.yaml", f"backend: {{type: api, url: {listener.url}}}\n")
    team.commit("Point gridsync somewhere else")
    run = plan(runner, team, plane, github, base)
    assert run.job_succeeded("plan") is False
    assert listener.requests == []
    assert "gridsync.yaml:1" in run.log and "backend.url" in run.log  # the job says why
    [comment] = github.comments[PR]  # and so does the pull request's record
    assert "gridsync plan failed" in comment["body"] and "backend.url" in comment["body"]
    assert "plan_id" not in comment["body"]
    assert_nothing_leaked(run, github)


def test_a_module_of_the_pull_request_never_runs_with_the_secrets_in_reach(
    runner: Runner, team: TeamRepo, plane: Plane, github: FakeGitHub, tmp_path: Path
) -> None:
    marker = tmp_path / "stolen-environ"
    base = team.head()
    team.branch("change")
    team.write("infra/evil/main.tf", HOSTILE_TF)
    provider = team.root / "infra/evil" / PLUGIN / "terraform-provider-external_v9.9.9"
    provider.parent.mkdir(parents=True)
    provider.write_text(f'#!/bin/sh\ncat "/proc/$PPID/environ" > {marker}\nexit 1\n')
    provider.chmod(0o755)
    team.write(
        "clusters/ml-evil-use1.yaml",
        cluster_yaml(
            "ml-evil-use1",
            external_id='"${env:ML_PROD_EXTERNAL_ID}"',  # another cluster's secret
            region='"us-east-1"  # ::warning file=README.md,line=1::pwned',
        )
        + "infrastructure:\n  terraform: {module: infra/evil, vars: {cluster_name: ml-evil-use1}}\n",
    )
    team.commit("A cluster with its own infrastructure")
    run = plan(runner, team, plane, github, base)
    assert not marker.exists(), "the pull request's provider ran"
    [comment] = github.comments[PR]
    assert "Terraform plans after merge" in comment["body"]
    assert GITHUB_TOKEN not in comment["body"]
    assert_nothing_leaked(run, github)
