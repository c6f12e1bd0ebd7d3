"""`gridsync local-grid ...`: drive the embedded local control plane for demos and tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gridsync.console import Console
from gridsync.errors import ExitCode
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.localgrid.faults import FaultSettings
from gridsync.localgrid.server import GridServer, ServerAuth
from gridsync.localgrid.store import sidecars
from gridsync.prepare.inputs import Target


def fail(target: Target, name: str, reason: str, console: Console) -> int:
    settings = target.settings()
    plane = LocalControlPlane(settings.backend.local, root=settings.root)
    try:
        plane.inject_failure(name, reason)
    finally:
        plane.close()
    console.log(f"The next provisioning of '{name}' on {plane.description} will fail: {reason}")
    return ExitCode.OK


def reset(target: Target, console: Console) -> int:
    settings = target.settings()
    state = settings.root / settings.backend.local.state
    # Exactly the files gridsync and SQLite create, never a glob: the name comes from gridsync.yaml.
    removed = [path for path in sidecars(state) if os.path.lexists(path)]
    for path in removed:
        path.unlink()
    console.log(f"Removed {state}." if removed else f"No local state at {state}.")
    return ExitCode.OK


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 0
    state: Path | None = None  # default: backend.local.state from gridsync.yaml
    auth: ServerAuth = field(default_factory=ServerAuth)
    faults: dict[str, Any] = field(
        default_factory=dict
    )  # command-line overrides of GRIDSYNC_FAULT_*


def serve(target: Target, options: ServeOptions, env: Mapping[str, str], console: Console) -> int:
    """Serve the local control plane over HTTP in Grid's wire format until interrupted."""
    settings = target.settings()
    local = settings.backend.local
    if options.state is not None:
        local = local._replace(state=options.state.absolute())
    faults = FaultSettings.from_env(env).merged(**options.faults)
    plane = LocalControlPlane(local, root=settings.root)
    server = GridServer(
        plane,
        host=options.host,
        port=options.port,
        auth=options.auth,
        faults=faults,
        log=console.err,
    )
    console.log(
        f"Serving {plane.description} at {server.url} (user id {options.auth.user_id!r}); Ctrl-C stops."
    )
    if options.auth.is_public_default:
        console.log(
            "warning: serving with the public default credentials (user id local-user, API key "
            "local-api-key): anything on this machine can use them; set --api-key or "
            "GRIDSYNC_LOCAL_API_KEY to a secret of your own"
        )
    if faults.active:
        console.log(f"Injecting faults: {_describe(faults)}")
    console.result(server.url)
    server.serve_forever()
    console.log("Stopped.")
    return ExitCode.OK


def _describe(faults: FaultSettings) -> str:
    defaults = FaultSettings()
    return ", ".join(
        f"{f.name}={getattr(faults, f.name)}"
        for f in fields(faults)
        if getattr(faults, f.name) != getattr(defaults, f.name)
    )
