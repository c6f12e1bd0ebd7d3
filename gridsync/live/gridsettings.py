"""The user's Grid settings file (`~/.grid/settings.json`), read and written like the grid CLI.

gridsync writes one key, `context` (the cluster id `grid user set-cluster-context` sets), and
reads `context` and `grid_url` (see live/gridenv.py for which file each comes from); every other
key the file holds is kept as it is. Writes are atomic: a temporary file in the
same directory, then `os.replace`, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gridsync.atomicfile import write_atomic
from gridsync.errors import GridsyncError

DEFAULT_SETTINGS_PATH = ".grid/settings.json"  # under HOME
NEW_FILE_MODE = 0o600


def settings_path(env: Mapping[str, str]) -> Path:
    """`GRID_SETTINGS_PATH` (a leading `~` from env HOME), else `$HOME/.grid/settings.json`."""
    home = env.get("HOME") or str(Path.home())
    raw = env.get("GRID_SETTINGS_PATH")
    if not raw:
        return Path(home) / DEFAULT_SETTINGS_PATH
    if raw == "~" or raw.startswith("~/"):
        return Path(home) / raw[2:]
    return Path(raw)


def read_context(path: Path) -> str | None:
    """The `context` key of the settings file; None when the file or the key is missing."""
    return read_key(path, "context")


def read_key(path: Path, key: str) -> str | None:
    """A string key of the settings file; None when the file or the key is missing or empty."""
    data = _load(path)
    value = data.get(key) if data is not None else None
    return value if isinstance(value, str) and value else None


def write_context(path: Path, cluster_id: str) -> None:
    """Set `context` to `cluster_id`, keeping every other key, the file's mode, atomically."""
    path = Path(os.path.realpath(path))  # a symlinked settings file stays a symlink
    data = _load(path) or {}
    data["context"] = cluster_id
    mode = _mode(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, (json.dumps(data, indent=4) + "\n").encode("utf-8"), mode=mode)
    except OSError as exc:
        raise GridsyncError(
            f"cannot write the Grid settings file {path}: {exc.strerror or exc}",
            hint="check the permissions of the file and its directory, or set GRID_SETTINGS_PATH",
        ) from exc


def _load(path: Path) -> dict[str, Any] | None:
    """The file's JSON object; None when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise GridsyncError(
            f"cannot read the Grid settings file {path}: {reason}",
            hint="fix its permissions, or set GRID_SETTINGS_PATH to another file",
        ) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _not_an_object(path) from exc
    if not isinstance(data, dict):
        raise _not_an_object(path)
    return data


def _not_an_object(path: Path) -> GridsyncError:
    return GridsyncError(
        f"the Grid settings file {path} does not hold a JSON object; gridsync left it unchanged",
        hint="fix or remove the file (`grid login` writes a fresh one), then try again",
    )


def _mode(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return NEW_FILE_MODE
