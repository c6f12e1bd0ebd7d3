"""Who may call the local control plane: the one account it knows, and its login tokens.

Basic auth (`<user id>:<api key>`) on every `/v1/core/` call; the username flow
(`POST /v1/auth/login` -> token, `GET /v1/auth/user` with `Bearer <token>`), `POST /v1/auth/refresh`
(a new token for a valid one) and `POST /v1/auth/logout` (the token stops working). Tokens are
random and live in memory as long as the server does. Credentials are compared with
hmac.compare_digest and never appear in a reply, an error or a log line.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from dataclasses import dataclass, field

DEFAULT_USER_ID = "local-user"
DEFAULT_API_KEY = "local-api-key"  # public: anyone who read the README knows it


@dataclass(frozen=True)
class ServerAuth:
    """The one account the server knows."""

    user_id: str = DEFAULT_USER_ID  # Basic auth user id
    api_key: str = field(default=DEFAULT_API_KEY, repr=False)  # Basic auth secret
    username: str = "local"  # for POST /v1/auth/login
    email: str = "local@gridsync.invalid"

    @property
    def is_public_default(self) -> bool:
        """Whether it accepts the credentials every reader of the README knows."""
        return self.user_id == DEFAULT_USER_ID and self.api_key == DEFAULT_API_KEY

    def basic_matches(self, user_id: str, api_key: str) -> bool:
        return _both(same(user_id, self.user_id), same(api_key, self.api_key))

    def login_matches(self, username: str, api_key: str) -> bool:
        return _both(same(username, self.username), same(api_key, self.api_key))


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _both(first: bool, second: bool) -> bool:
    """Both checks were evaluated before this call: no short cut reveals which one failed."""
    return first and second


class Tokens:
    """Login tokens issued and not yet logged out; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[str] = set()

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._live.add(token)
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            live = list(self._live)
        return any([same(token, t) for t in live])  # a list: every comparison is made

    def revoke(self, token: str) -> None:
        with self._lock:
            self._live.discard(token)


def basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user_id, sep, api_key = text.partition(":")
    return (user_id, api_key) if sep else None


def bearer_token(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
