"""End-to-end runs of the real `gridsync` command in a throwaway project on the local control plane."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gridsync.config.desired import LocalBackendSettings
from gridsync.live.backend import LiveCluster
from gridsync.localgrid.controlplane import LocalControlPlane

SETTINGS = """\
backend:
  local: {{state: .gridsync/grid.db, queued_seconds: 0.05, provision_seconds: {provision}, delete_seconds: 0.1}}
wait: {{timeout: 30s, poll_max: 0.2s}}
"""


def cluster_doc(name: str, **fields: Any) -> str:
    """One cluster document; keyword arguments override or add top-level fields (YAML flow text)."""
    values: dict[str, Any] = {
        "region": "us-east-1",
        "role_arn": "arn:aws:iam::123456789012:role/grid",
        "external_id": "${env:E2E_EXTERNAL_ID:-ext-e2e-secret}",
        "instance_types": "[t3.large, g4dn.xlarge]",
    }
    values.update(fields)
    body = "".join(f"{key}: {value}\n" for key, value in values.items())
    return f"apiVersion: gridsync/v1\nkind: Cluster\nname: {name}\nprovider: aws\n{body}"


@dataclass
class Project:
    root: Path
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def settings(self, extra: str = "", *, provision: float = 0.2) -> None:
        self.write("gridsync.yaml", SETTINGS.format(provision=provision) + textwrap.dedent(extra))

    def cluster(self, name: str, **fields: Any) -> None:
        self.write(f"clusters/{name}.yaml", cluster_doc(name, **fields))

    def gridsync(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gridsync", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """A gridsync running in the background; the fixture kills it and closes its pipes."""
        process = subprocess.Popen(
            [sys.executable, "-m", "gridsync", *args],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.processes.append(process)
        return process

    def plane(self) -> LocalControlPlane:
        return LocalControlPlane(LocalBackendSettings(), root=self.root)

    def live(self) -> dict[str, LiveCluster]:
        return self.plane().list_clusters().by_name()


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    proj = Project(tmp_path / "repo")
    proj.root.mkdir()
    proj.settings()
    yield proj
    for process in proj.processes:
        if process.poll() is None:
            process.kill()
        process.communicate()
