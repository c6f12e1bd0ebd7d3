"""Grid's REST routes over the local control plane, apart from the HTTP plumbing in server.py.

Each (route, method) is one small function from a parsed Request to a Reply (status, JSON body,
headers); errors are RpcStatus bodies `{"code", "message", "details"}` with Grid's grpc codes.
Credentials are compared with hmac.compare_digest and never appear in a reply or an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import unquote

from gridsync.errors import ClusterExists, ClusterNotFound, GridsyncError, InvalidArgument
from gridsync.live import wire
from gridsync.localgrid.auth import ServerAuth, Tokens, basic_credentials, bearer_token
from gridsync.localgrid.catalog import instance_types
from gridsync.localgrid.controlplane import LocalControlPlane

__all__ = ["ApiError", "Reply", "Request", "Routes", "ServerAuth", "error_reply", "match_route"]

# HTTP status -> grpc code in the RpcStatus body.
_GRPC_CODES = {
    **{400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 413: 3, 421: 7, 429: 8},
    **{500: 13, 501: 12, 503: 14},
}
_PLANE_ERRORS: tuple[tuple[type[GridsyncError], int], ...] = (
    (ClusterNotFound, 404),
    (ClusterExists, 409),
    (InvalidArgument, 400),
    (GridsyncError, 500),  # BackendError and anything else gridsync raised on purpose
)
_CLUSTERS = "/v1/core/clusters"
_CLUSTER = "/v1/core/clusters/{id}"
_INSTANCE_TYPES = "/v1/core/clusters/{id}/instance-types"
_CLOUD_PROVIDER_ID = "/v1/core/clusters/{id}/cloud-provider-id"
_SUBROUTES = {"instance-types": _INSTANCE_TYPES, "cloud-provider-id": _CLOUD_PROVIDER_ID}
_LOGIN = "/v1/auth/login"
_USER = "/v1/auth/user"
_REFRESH = "/v1/auth/refresh"
_LOGOUT = "/v1/auth/logout"
_AUTH_ROUTES = (_LOGIN, _USER, _REFRESH, _LOGOUT)


class Reply(NamedTuple):
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


class Request(NamedTuple):
    method: str
    params: tuple[str, ...]  # the path's {id}, percent-decoded
    query: dict[str, list[str]]
    authorization: str
    body: bytes


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.reply = error_reply(status, message, headers)


def error_reply(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """An RpcStatus body. The message is also the one detail: the grid CLI's SDK shows
    `details[0].message` and dumps the raw exception when there is no such detail."""
    code = _GRPC_CODES.get(status, 13 if status >= 500 else 3)
    body = {"code": code, "message": message, "details": [{"message": message}]}
    return Reply(status, body, headers)


def match_route(path: str) -> tuple[str | None, tuple[str, ...]]:
    """The route pattern of a path and its {id}; (None, ()) when no route matches."""
    if path == _CLUSTERS or path in _AUTH_ROUTES:
        return path, ()
    parts = (
        path.removeprefix(_CLUSTERS + "/").split("/") if path.startswith(_CLUSTERS + "/") else []
    )
    if parts and parts[0]:
        if len(parts) == 1:
            return _CLUSTER, (unquote(parts[0]),)
        if len(parts) == 2 and parts[1] in _SUBROUTES:
            return _SUBROUTES[parts[1]], (unquote(parts[0]),)
    return None, ()


class Routes:
    """Grid's routes over the plane: one method per (route, HTTP method)."""

    def __init__(self, plane: LocalControlPlane, auth: ServerAuth) -> None:
        self._plane = plane
        self._auth = auth
        self._tokens = Tokens()
        self._routes: dict[str, dict[str, Callable[[Request], Reply]]] = {
            _CLUSTERS: {"GET": self._list, "POST": self._create},
            _CLUSTER: {"GET": self._get, "PUT": self._put, "DELETE": self._delete},
            _INSTANCE_TYPES: {"GET": self._instance_types},
            _CLOUD_PROVIDER_ID: {"GET": self._cloud_provider_id},
            _LOGIN: {"POST": self._login},
            _USER: {"GET": self._user},
            _REFRESH: {"POST": self._refresh},
            _LOGOUT: {"POST": self._logout},
        }

    def handle(self, route: str | None, request: Request, path: str) -> Reply:
        try:
            return self._dispatch(route, request, path)
        except ApiError as exc:
            return exc.reply
        except GridsyncError as exc:
            status = next(s for kind, s in _PLANE_ERRORS if isinstance(exc, kind))
            return error_reply(status, exc.message)

    def _dispatch(self, route: str | None, request: Request, path: str) -> Reply:
        if route is None:
            raise ApiError(404, f"no such API route: {path}")
        methods = self._routes[route]
        handler = methods.get(request.method)
        if handler is None:
            allow = (("Allow", ", ".join(methods)),)
            raise ApiError(405, f"{request.method} is not allowed on {route}", allow)
        if route.startswith("/v1/core/"):
            self._check_basic(request.authorization)
        return handler(request)

    def _check_basic(self, header: str) -> None:
        given = basic_credentials(header)
        if given is None or not self._auth.basic_matches(*given):
            raise ApiError(
                401,
                "missing or invalid credentials: send Authorization: Basic "
                "base64(<user id>:<api key>)",
            )

    def _list(self, request: Request) -> Reply:
        q = request.query
        body = self._plane.list_wire(
            phase_in=q.get("phaseIn", []),
            phase_not_in=q.get("phaseNotIn", []),
            type_in=q.get("clusterTypeIn", []),
            type_not_in=q.get("clusterTypeNotIn", []),
        )
        return Reply(200, body)

    def _get(self, request: Request) -> Reply:
        return Reply(200, self._plane.get_wire(request.params[0]))

    def _create(self, request: Request) -> Reply:
        return Reply(200, self._plane.create_wire(_json_object(request.body)))

    def _put(self, request: Request) -> Reply:
        return Reply(200, self._plane.put_wire(request.params[0], _json_object(request.body)))

    def _delete(self, request: Request) -> Reply:
        self._plane.delete(request.params[0], force=_force(request.query))
        return Reply(200, {})

    def _instance_types(self, request: Request) -> Reply:
        cluster = self._plane.get_wire(request.params[0])
        return Reply(200, {"instanceTypes": instance_types(cluster)})

    def _cloud_provider_id(self, request: Request) -> Reply:
        """The AWS account of a BYOC cluster (from its role ARN); unset for Grid's own cloud."""
        aws = wire.aws_driver(self._plane.get_wire(request.params[0]).get("spec") or {}) or {}
        parts = str(aws.get("roleArn", "")).split(":")
        account = parts[4] if len(parts) > 5 and parts[0] == "arn" else ""
        return Reply(200, {"accountId": account} if account else {})

    def _login(self, request: Request) -> Reply:
        body = _json_object(request.body)
        username, api_key = body.get("username"), body.get("apiKey")
        if not isinstance(username, str) or not isinstance(api_key, str):
            raise ApiError(400, 'the login request must be {"username": "...", "apiKey": "..."}')
        if not self._auth.login_matches(username, api_key):
            raise ApiError(401, "unknown username or wrong API key")
        return Reply(200, {"token": self._tokens.issue()})

    def _user(self, request: Request) -> Reply:
        self._check_bearer(request.authorization)
        a = self._auth
        return Reply(200, {"id": a.user_id, "username": a.username, "email": a.email})

    def _refresh(self, request: Request) -> Reply:
        """`{"duration"}` -> a new token for a valid one (the duration is not honoured)."""
        _json_object(request.body or b"{}")
        old = self._check_bearer(request.authorization)
        self._tokens.revoke(old)
        return Reply(200, {"token": self._tokens.issue()})

    def _logout(self, request: Request) -> Reply:
        _json_object(request.body or b"{}")
        self._tokens.revoke(self._check_bearer(request.authorization))
        return Reply(200, {})

    def _check_bearer(self, header: str) -> str:
        token = bearer_token(header)
        if token is None or not self._tokens.valid(token):
            raise ApiError(401, "missing or invalid token: send Authorization: Bearer <token>")
        return token


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return value


def _force(query: dict[str, list[str]]) -> bool:
    """`force` as the grid CLI sends it (`True`/`False`), in any case; absent is false."""
    text = query.get("force", ["false"])[-1].strip().lower()
    if text in ("true", "t", "1"):
        return True
    if text in ("false", "f", "0"):
        return False
    raise ApiError(400, f"force must be true or false, not {text!r}")
