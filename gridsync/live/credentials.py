"""Where Grid credentials come from, and logging in with a username.

Sources, in order: env `GRID_USER_ID` + `GRID_API_KEY`; the JSON file at `GRID_CREDENTIAL_PATH`
(default `~/.grid/credentials.json`) holding `{"UserID": "...", "APIKey": "..."}`, as `grid login`
writes it (with `CI` set, `~/.grid/credentials.json` only: the grid CLI then ignores
GRID_CREDENTIAL_PATH, `grid/sdk/auth.py`); env `GRID_USERNAME` + `GRID_API_KEY`, whose user id is found by logging in
(gridsync/live/login.py).

The API key never appears in a repr, an error message or a log line; neither does a file's content.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridsync.errors import GridsyncError

if TYPE_CHECKING:  # finding credentials needs no HTTP client: the local backend asks for them
    import httpx

DEFAULT_CREDENTIAL_PATH = "~/.grid/credentials.json"
ENV_SOURCE = "GRID_USER_ID/GRID_API_KEY"


@dataclass(frozen=True)
class Credentials:
    """Grid API credentials. `user_id` is "" until `resolve` logs in when only a username is known."""

    user_id: str
    api_key: str = field(repr=False)
    source: str  # where they came from, for messages: never the key itself
    username: str | None = None

    def __post_init__(self) -> None:
        from gridsync import redact as layer

        layer.register_all((self.api_key, self.user_id))

    @property
    def needs_login(self) -> bool:
        return not self.user_id

    def resolve(self, client: httpx.Client, base_url: str) -> Credentials:
        """These credentials with the user id filled in, logging in first when it is unknown."""
        if not self.needs_login:
            return self
        from gridsync.live.login import login

        user_id = login(client, base_url, self.username or "", self.api_key)
        return replace(self, user_id=user_id)


def _env(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def find_credentials(env: Mapping[str, str]) -> Credentials | None:
    """The first configured source, or None when nothing is configured."""
    user_id, api_key, username = (
        _env(env, "GRID_USER_ID"),
        _env(env, "GRID_API_KEY"),
        _env(env, "GRID_USERNAME"),
    )
    if user_id and api_key:
        return Credentials(user_id=user_id, api_key=api_key, source=ENV_SOURCE)
    if user_id:
        raise GridsyncError(
            "GRID_USER_ID is set but GRID_API_KEY is not",
            hint="set both GRID_USER_ID and GRID_API_KEY, or unset GRID_USER_ID",
        )
    if api_key and not username:
        raise GridsyncError(
            "GRID_API_KEY is set but GRID_USER_ID is not",
            hint="set GRID_USER_ID (or GRID_USERNAME to log in with your user name)",
        )
    from_file = _from_file(env)
    if from_file is not None:
        return from_file
    if username and api_key:
        return Credentials(
            user_id="", api_key=api_key, source=f"login as {username}", username=username
        )
    if username:
        raise GridsyncError(
            "GRID_USERNAME is set but GRID_API_KEY is not",
            hint="set GRID_API_KEY too, or unset GRID_USERNAME",
        )
    return None


def credential_path(env: Mapping[str, str]) -> tuple[str, Path | None]:
    """The configured credentials path as written, and expanded (`~` from env HOME; None without it).

    With `CI` set (to anything), GRID_CREDENTIAL_PATH is ignored, as the grid CLI ignores it."""
    raw = (None if env.get("CI") else env.get("GRID_CREDENTIAL_PATH")) or DEFAULT_CREDENTIAL_PATH
    if raw == "~" or raw.startswith("~/"):
        home = env.get("HOME")
        return raw, (Path(home) / raw[2:] if home else None)
    return raw, Path(raw)


def _from_file(env: Mapping[str, str]) -> Credentials | None:
    raw, path = credential_path(env)
    if path is None or not (path.exists() or path.is_symlink()):
        return None
    data = _read_json(path)
    user_id, api_key = _text(data.get("UserID")), _text(data.get("APIKey"))
    missing = [k for k, v in (("UserID", user_id), ("APIKey", api_key)) if not v]
    if missing:
        raise GridsyncError(
            f"credentials file {path} lacks {' and '.join(missing)}",
            hint='it must hold {"UserID": "...", "APIKey": "..."}; run `grid login` to rewrite it',
        )
    return Credentials(user_id=user_id, api_key=api_key, source=raw)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise GridsyncError(
            f"cannot read credentials file {path}: {reason}",
            hint="fix its permissions, or point GRID_CREDENTIAL_PATH at a readable file",
        ) from exc
    try:
        data = json.loads(text)
    except ValueError:
        # `from None`: a JSONDecodeError carries the whole document (the key) in its `doc`.
        raise GridsyncError(
            f"credentials file {path} is not valid JSON",
            hint='it must hold {"UserID": "...", "APIKey": "..."}; run `grid login` to rewrite it',
        ) from None
    if not isinstance(data, dict):
        raise GridsyncError(
            f"credentials file {path} does not hold a JSON object",
            hint='it must hold {"UserID": "...", "APIKey": "..."}; run `grid login` to rewrite it',
        )
    return data
