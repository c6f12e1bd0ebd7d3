"""`gridsync local-grid ...`: drive the embedded local control plane for demos and tests."""

from __future__ import annotations

from pathlib import Path

from gridsync.config.project import load_project
from gridsync.console import Console
from gridsync.errors import ExitCode
from gridsync.live.local import LocalControlPlane


def fail(root: Path, name: str, reason: str, console: Console) -> int:
    settings = load_project(root)
    plane = LocalControlPlane(settings.backend.local, root=settings.root)
    try:
        plane.inject_failure(name, reason)
    finally:
        plane.close()
    console.log(f"The next provisioning of '{name}' on {plane.description} will fail: {reason}")
    return ExitCode.OK


def reset(root: Path, console: Console) -> int:
    settings = load_project(root)
    state = settings.root / settings.backend.local.state
    removed = [p for p in (state, *state.parent.glob(state.name + "-*")) if p.exists()]
    for path in removed:
        path.unlink()
    console.log(f"Removed {state}." if removed else f"No local state at {state}.")
    return ExitCode.OK
