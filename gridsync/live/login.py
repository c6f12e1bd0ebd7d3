"""Logging in with a username and API key (`GRID_USERNAME` + `GRID_API_KEY`): the user id Grid's
Basic auth needs. Apart from live/credentials.py, which finds credentials without an HTTP client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from gridsync.errors import BackendError, GridsyncError
from gridsync.httpedge import HttpEdge, RetryPolicy
from gridsync.live.grid_http import grid_service, status_error

ONCE = RetryPolicy(attempts=1)  # a login is asked once: a refusal is not worth another try
LOGIN_NETWORK_HINT = "check GRID_URL and your network connection, then try again"


def login(client: httpx.Client, base_url: str, username: str, api_key: str) -> str:
    """Log in as `username` and return the user id that Grid's Basic auth needs."""
    base, what = base_url.rstrip("/"), f"login as {username}"
    secrets = [api_key]
    edge = HttpEdge(grid_service(base, lambda: tuple(secrets)), client, retry=ONCE)
    body = {"username": username, "apiKey": api_key}
    reply = _call(edge, "POST", base, "/v1/auth/login", what, json=body)
    token = _required(reply, "token", "POST /v1/auth/login", what)
    secrets.append(token)
    bearer = {"Authorization": f"Bearer {token}"}
    reply = _call(edge, "GET", base, "/v1/auth/user", what, headers=bearer)
    return _required(reply, "id", "GET /v1/auth/user", what)


def _call(
    edge: HttpEdge, method: str, base: str, path: str, what: str, **kwargs: Any
) -> Mapping[str, Any]:
    request = f"{what}: {method} {path}"
    try:
        response = edge.attempt(method, path, base + path, **kwargs)
    except GridsyncError as exc:
        raise BackendError(f"{what}: {exc.message}", hint=LOGIN_NETWORK_HINT) from exc
    if not isinstance(response, httpx.Response):
        raise BackendError(
            f"{request} failed: {edge.describe(response)}", hint=LOGIN_NETWORK_HINT
        ) from response
    if not response.is_success:
        said = f"HTTP {response.status_code}: {edge.said(response)}"
        raise status_error(
            request,
            response.status_code,
            said,
            source="GRID_USERNAME/GRID_API_KEY",
            fix_credentials="check GRID_USERNAME and GRID_API_KEY (a new API key can be made in "
            "Grid's settings)",
            cluster_api=False,
        )
    data = edge.json(method, path, response, expected="a JSON object")
    if not isinstance(data, dict):
        raise BackendError(f"{request} answered with something that is not a JSON object")
    return data


def _required(reply: Mapping[str, Any], key: str, request: str, what: str) -> str:
    value = reply.get(key)
    if not isinstance(value, str) or not value:
        raise BackendError(f"{what}: {request} answered without {key!r}")
    return value
