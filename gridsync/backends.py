"""Pick and open the Backend: `--backend`, else GRIDSYNC_BACKEND, else gridsync.yaml, else auto.

auto uses the Grid REST API when Grid credentials are configured and the embedded local control
plane otherwise, so a fresh checkout works offline and a configured machine talks to Grid.
OPENERS is the one place a backend is named: another control plane is its own package plus one
entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gridsync.errors import GridsyncError, UsageError

if TYPE_CHECKING:  # annotations only: `gridsync --help` reads OPENERS for --backend's choices
    from gridsync.config.desired import ProjectSettings
    from gridsync.live.backend import Backend

Opener = Callable[["ProjectSettings", Mapping[str, str]], "Backend"]


def backend_kind(settings: ProjectSettings, choice: str | None, env: Mapping[str, str]) -> str:
    kind = choice or env.get("GRIDSYNC_BACKEND") or settings.backend.type
    if kind != "auto" and kind not in OPENERS:
        known = ", ".join(("auto", *OPENERS))
        raise UsageError(f"unknown backend {kind!r}", hint=f"use one of: {known}")
    if kind == "auto":
        from gridsync.live.credentials import find_credentials

        return "api" if find_credentials(env) is not None else "local"
    return kind


def open_backend(
    settings: ProjectSettings,
    choice: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    live_file: Path | None = None,
) -> Backend:
    """The backend to compare and apply against; a snapshot file when `live_file` is given."""
    env = env if env is not None else {}
    if live_file is not None:
        from gridsync.live.snapshot import load_snapshot

        return load_snapshot(live_file)
    return OPENERS[backend_kind(settings, choice, env)](settings, env)


def _open_local(settings: ProjectSettings, env: Mapping[str, str]) -> Backend:
    from gridsync.localgrid.controlplane import LocalControlPlane

    _refuse_local_in_ci_with_credentials(env)
    return LocalControlPlane(settings.backend.local, root=settings.root)


def _refuse_local_in_ci_with_credentials(env: Mapping[str, str]) -> None:
    """In CI with Grid credentials, the local control plane is a mistake, never production: a
    throwaway SQLite file on the runner would be planned and applied as if it were Grid."""
    from gridsync.live.credentials import find_credentials

    in_ci = env.get("CI") == "true" or env.get("GITHUB_ACTIONS") == "true"
    if in_ci and find_credentials(env) is not None:
        raise UsageError(
            "Grid credentials are set in CI, but this project's backend is the local control "
            "plane (a throwaway SQLite file on the runner), so nothing would reach Grid",
            hint="set backend.type to api (or auto) in gridsync.yaml, or --backend api; or keep "
            "the Grid credentials out of this job",
        )


def _open_api(settings: ProjectSettings, env: Mapping[str, str]) -> Backend:
    from gridsync.live.api import GridApi
    from gridsync.live.credentials import find_credentials
    from gridsync.live.gridenv import api_url, cluster_override, home_settings
    from gridsync.live.gridsettings import settings_path

    credentials = find_credentials(env)
    if credentials is None:
        raise GridsyncError(
            "the api backend needs Grid credentials, and none are configured",
            hint="set GRID_USER_ID and GRID_API_KEY, or GRID_USERNAME and GRID_API_KEY, or write "
            "~/.grid/credentials.json (GRID_CREDENTIAL_PATH); or use --backend local",
        )
    url = api_url(env, settings.backend.url, settings.backend.url_source)
    return GridApi(
        url.url,
        credentials,
        settings_path=settings_path(env),
        context_path=home_settings(env),
        context_override=cluster_override(env),
    )


# Every backend `--backend`, GRIDSYNC_BACKEND and backend.type may name (besides auto).
OPENERS: dict[str, Opener] = {"local": _open_local, "api": _open_api}
