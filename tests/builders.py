"""The one project builder of the tests: a gridsync project in a tmp dir, and the ways to run it.

    project = Project.at(tmp_path / "repo", settings=True)   # gridsync.yaml on the local plane
    project.cluster("ml-a", region="us-west-2")                # clusters/ml-a.yaml
    project.write("runs/train.yaml", text)                     # any file (str is dedented)
    project.load() / project.errors()                          # desired state via the public API
    project.call(plan, PlanOptions(...))                       # a command function, in-process
    project.gridsync("plan")                                   # the real CLI, as a subprocess
    project.live()                                             # the local control plane's clusters

Commands in-process (`call`) are for command logic: outcome, exit code, output text. The
subprocess runs (`gridsync`, `start`) are for journeys: a real process's exit code, signals, TTY.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gridsync import redact
from gridsync.config.desired import DesiredState, LocalBackendSettings
from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.console import Console
from gridsync.errors import ConfigError, Diagnostic, ExitCode, GridsyncError
from gridsync.live.backend import LiveCluster
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.prepare.inputs import Target

# gridsync.yaml of a project on the local control plane, fast enough for tests.
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


def _bind(
    command: Callable[..., int],
    given: dict[str, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """Every argument by name: `given` where the command takes it, `args` for the rest in order."""
    bound, rest = dict(kwargs), list(args)
    for name, parameter in inspect.signature(command).parameters.items():
        if name in given:
            bound[name] = given[name]
        elif rest and parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
            bound[name] = rest.pop(0)
    if rest:
        raise TypeError(f"{command.__name__}: {len(rest)} argument(s) too many")
    return bound


def key_values(text: str) -> dict[str, str]:
    """The `key=value` lines a command printed (reviewed-plan, snapshot-run), workflow commands
    (`::...`) left out."""
    return dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and "::" not in line
    )


@dataclass(frozen=True)
class Outcome:
    """What a command function did: its exit code, stdout and stderr, and the error it raised
    (the CLI's handler prints it as `Error: ...` and exits with its code)."""

    code: int
    out: str
    err: str
    error: GridsyncError | None = None

    @property
    def message(self) -> str:
        """The error as the handler prints it (a ConfigError with each file:line:col problem)."""
        if self.error is None:
            return ""
        lines = [d.format() for d in getattr(self.error, "diagnostics", ())]
        return "\n".join([*lines, str(self.error)])


@dataclass
class Project:
    root: Path
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    @classmethod
    def at(cls, root: Path, *, settings: bool = False) -> Project:
        root.mkdir(parents=True, exist_ok=True)
        project = cls(root)
        if settings:
            project.settings()
        return project

    # -- files ---------------------------------------------------------------------------------

    def write(self, rel: str, content: str | bytes) -> Path:
        """Write a file of the project; text is dedented (bytes are written as they are)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        return path

    def settings(self, extra: str = "", *, provision: float = 0.2) -> None:
        self.write("gridsync.yaml", SETTINGS.format(provision=provision) + textwrap.dedent(extra))

    def cluster(self, name: str, **fields: Any) -> None:
        self.write(f"clusters/{name}.yaml", cluster_doc(name, **fields))

    # -- desired state through the public API --------------------------------------------------

    def load(self, env: Mapping[str, str] | None = None) -> DesiredState:
        return load_desired(load_project(self.root), env or {})

    def errors(self, env: Mapping[str, str] | None = None) -> tuple[Diagnostic, ...]:
        with pytest.raises(ConfigError) as caught:
            self.load(env)
        return caught.value.diagnostics

    # -- commands ------------------------------------------------------------------------------

    def call(
        self,
        command: Callable[..., int],
        *args: Any,
        env: Mapping[str, str] | None = None,
        project_name: str | None = None,
        **kwargs: Any,
    ) -> Outcome:
        """Run a command function in-process as the CLI does, in the root: `target`, `env` and
        `console` are handed in where its signature takes them (`project` too: --project,
        `project_name`), the environment's secrets are registered for masking, and a
        GridsyncError becomes its exit code (the error itself in `Outcome.error`)."""
        out, err = io.StringIO(), io.StringIO()
        full_env = {**os.environ, **(env or {})}
        redact.register_environment(full_env)  # as gridsync.cli.main does before any output
        given = {
            "target": Target(self.root, project_name),
            "project": project_name,
            "env": full_env,
            "console": Console(out=out, err=err),
        }
        try:
            with contextlib.chdir(self.root):  # relative paths as a user in the root gives them
                code = command(**_bind(command, given, args, kwargs))
        except GridsyncError as exc:
            return Outcome(exc.exit_code, out.getvalue(), err.getvalue(), exc)
        return Outcome(ExitCode(code), out.getvalue(), err.getvalue())

    def gridsync(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """The real CLI as a subprocess, in the project's root."""
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

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """A gridsync running in the background; `stop` (the fixtures call it) kills it."""
        process = subprocess.Popen(
            [sys.executable, "-m", "gridsync", *args],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.communicate()

    # -- the local control plane ---------------------------------------------------------------

    def plane(self) -> LocalControlPlane:
        return LocalControlPlane(LocalBackendSettings(), root=self.root)

    def live(self) -> dict[str, LiveCluster]:
        return self.plane().list_clusters().by_name()
