"""What the environment says about Grid, read the way the grid CLI reads it (`grid/sdk/env.py`).

- The URL: `GRID_URL`, else `grid_url` in `~/.grid/settings.json` (which `grid login` writes), else
  `https://platform.grid.ai`. Credentials go to that URL and nowhere else: a repository file
  (gridsync.yaml's `backend.url`) may only repeat it, never redirect them; plain http is allowed
  only to a loopback host (a local control plane), since it would carry the key in the clear.
- The cluster context: `GRID_CLUSTER_ID` when set, else `context` in `~/.grid/settings.json`
  (always that file: the CLI reads no other). `grid user set-cluster-context` writes it into
  `GRID_SETTINGS_PATH` (default `~/.grid/settings.json`), and so does gridsync.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from gridsync.errors import UsageError
from gridsync.live.gridsettings import DEFAULT_SETTINGS_PATH, read_key

DEFAULT_GRID_URL = "https://platform.grid.ai"
_LOOPBACK_NAMES = frozenset({"localhost"})


class GridUrl(NamedTuple):
    url: str  # without a trailing "/"
    source: str  # where it came from, for messages


def home_settings(env: Mapping[str, str]) -> Path:
    """`$HOME/.grid/settings.json`: the file the CLI reads its URL and context from."""
    return Path(env.get("HOME") or str(Path.home())) / DEFAULT_SETTINGS_PATH


def cluster_override(env: Mapping[str, str]) -> str | None:
    """`GRID_CLUSTER_ID`, which beats the settings file's context in every grid CLI command."""
    value = env.get("GRID_CLUSTER_ID", "").strip()
    return value or None


def environment_url(env: Mapping[str, str]) -> GridUrl:
    """The Grid URL the environment names, checked (https, or http to loopback only)."""
    url = env.get("GRID_URL", "").strip()
    found = GridUrl(url.rstrip("/"), "GRID_URL") if url else None
    if found is None:
        path = home_settings(env)
        saved = read_key(path, "grid_url")
        found = GridUrl(saved.strip().rstrip("/"), f"grid_url in {path}") if saved else None
    found = found or GridUrl(DEFAULT_GRID_URL, "the default")
    _check_scheme(found)
    return found


def api_url(env: Mapping[str, str], configured: str | None, configured_at: str) -> GridUrl:
    """The URL the api backend talks to: the environment's. A `backend.url` from gridsync.yaml
    is honoured only when it is that same URL, so no repository file can send credentials
    elsewhere."""
    found = environment_url(env)
    if configured is None or configured.strip().rstrip("/") == found.url:
        return found
    raise UsageError(
        f"{configured_at}: backend.url is {configured.strip()!r}, but the environment names "
        f"{found.url!r} ({found.source}); gridsync sends Grid credentials only to the URL the "
        "environment names, never to one a repository file chose",
        hint=f"to use {configured.strip()}, set GRID_URL={configured.strip()} in the environment "
        "(or `grid login` to it); otherwise remove backend.url from gridsync.yaml",
    )


def _check_scheme(found: GridUrl) -> None:
    parts = urlsplit(found.url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
        return
    raise UsageError(
        f"the Grid URL {found.url!r} ({found.source}) is not https:// (plain http is allowed only "
        "to a loopback address, such as a local control plane); Grid credentials would travel in "
        "the clear",
        hint="use an https:// URL, or http://127.0.0.1:PORT for `gridsync local-grid serve`",
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
