"""Pick and open the Backend a project is configured for."""

from __future__ import annotations

from gridsync.config.model import ProjectSettings
from gridsync.errors import UsageError
from gridsync.live.backend import Backend


def open_backend(settings: ProjectSettings) -> Backend:
    kind = settings.backend.type
    if kind == "local":
        from gridsync.live.local import LocalControlPlane

        return LocalControlPlane(settings.backend.local, root=settings.root)
    raise UsageError(
        f"backend '{kind}' is not available in this version of gridsync",
        hint="use `backend: {type: local}` in gridsync.yaml (the Grid REST API backend comes next)",
    )
