"""Grid's REST routes over the local control plane, apart from the HTTP plumbing in server.py.

Each (route, method) is one small function from a parsed Request to a Reply (status, JSON body,
headers); errors are RpcStatus bodies `{"code", "message", "details"}` with Grid's grpc codes.
Credentials are compared with hmac.compare_digest and never appear in a reply or an error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from gridsync.errors import ClusterExists, ClusterNotFound, GridsyncError, InvalidArgument
from gridsync.live import wire
from gridsync.live.local import LocalControlPlane
from gridsync.model import DEFAULT_INSTANCE_TYPES, ClusterType

# HTTP status -> grpc code in the RpcStatus body.
_GRPC_CODES = {400: 3, 401: 16, 404: 5, 405: 12, 409: 6, 413: 3, 429: 8, 500: 13, 501: 12, 503: 14}
_PLANE_ERRORS: tuple[tuple[type[GridsyncError], int], ...] = (
    (ClusterNotFound, 404),
    (ClusterExists, 409),
    (InvalidArgument, 400),
    (GridsyncError, 500),  # BackendError and anything else gridsync raised on purpose
)
_CLUSTERS = "/v1/core/clusters"
_CLUSTER = "/v1/core/clusters/{id}"
_INSTANCE_TYPES = "/v1/core/clusters/{id}/instance-types"
_LOGIN = "/v1/auth/login"
_USER = "/v1/auth/user"
# (vCPUs, GPUs, memory GiB, on-demand USD per hour in us-east-1): approximate public list figures.
_CATALOG: dict[str, tuple[int, int, float, float]] = {
    "t2.medium": (2, 0, 4, 0.0464),
    "t2.large": (2, 0, 8, 0.0928),
    "t2.xlarge": (4, 0, 16, 0.1856),
    "t2.2xlarge": (8, 0, 32, 0.3712),
    "t3.medium": (2, 0, 4, 0.0416),
    "t3.large": (2, 0, 8, 0.0832),
    "t3.xlarge": (4, 0, 16, 0.1664),
    "t3.2xlarge": (8, 0, 32, 0.3328),
    "m5.large": (2, 0, 8, 0.096),
    "m5.xlarge": (4, 0, 16, 0.192),
    "m5.2xlarge": (8, 0, 32, 0.384),
    "c5.xlarge": (4, 0, 8, 0.17),
    "r5.xlarge": (4, 0, 32, 0.252),
    "g2.8xlarge": (32, 4, 60, 2.6),
    "g3s.xlarge": (4, 1, 30.5, 0.75),
    "g3.4xlarge": (16, 1, 122, 1.14),
    "g3.8xlarge": (32, 2, 244, 2.28),
    "g3.16xlarge": (64, 4, 488, 4.56),
    "g4dn.xlarge": (4, 1, 16, 0.526),
    "g4dn.2xlarge": (8, 1, 32, 0.752),
    "g4dn.4xlarge": (16, 1, 64, 1.204),
    "g4dn.8xlarge": (32, 1, 128, 2.176),
    "g4dn.12xlarge": (48, 4, 192, 3.912),
    "g4dn.16xlarge": (64, 1, 256, 4.352),
    "g4dn.metal": (96, 8, 384, 7.824),
    "p2.xlarge": (4, 1, 61, 0.9),
    "p2.8xlarge": (32, 8, 488, 7.2),
    "p2.16xlarge": (64, 16, 732, 14.4),
    "p3.2xlarge": (8, 1, 61, 3.06),
    "p3.8xlarge": (32, 4, 244, 12.24),
    "p3.16xlarge": (64, 8, 488, 24.48),
    "p3dn.24xlarge": (96, 8, 768, 31.212),
}


@dataclass(frozen=True)
class ServerAuth:
    """The one account the server knows."""

    user_id: str = "local-user"  # Basic auth user id
    api_key: str = field(default="local-api-key", repr=False)  # Basic auth secret
    username: str = "local"  # for POST /v1/auth/login
    email: str = "local@gridsync.invalid"

    def basic_matches(self, user_id: str, api_key: str) -> bool:
        return _both(_same(user_id, self.user_id), _same(api_key, self.api_key))

    def login_matches(self, username: str, api_key: str) -> bool:
        return _both(_same(username, self.username), _same(api_key, self.api_key))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _both(first: bool, second: bool) -> bool:
    """Both checks were evaluated before this call: no short cut reveals which one failed."""
    return first and second


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Request:
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
    code = _GRPC_CODES.get(status, 13 if status >= 500 else 3)
    return Reply(status, {"code": code, "message": message, "details": []}, headers)


def match_route(path: str) -> tuple[str | None, tuple[str, ...]]:
    """The route pattern of a path and its {id}; (None, ()) when no route matches."""
    if path in (_CLUSTERS, _LOGIN, _USER):
        return path, ()
    parts = (
        path.removeprefix(_CLUSTERS + "/").split("/") if path.startswith(_CLUSTERS + "/") else []
    )
    if parts and parts[0]:
        if len(parts) == 1:
            return _CLUSTER, (unquote(parts[0]),)
        if parts[1:] == ["instance-types"]:
            return _INSTANCE_TYPES, (unquote(parts[0]),)
    return None, ()


class Routes:
    """Grid's routes over the plane: one method per (route, HTTP method)."""

    def __init__(self, plane: LocalControlPlane, auth: ServerAuth) -> None:
        self._plane = plane
        self._auth = auth
        self._token_key = secrets.token_bytes(32)
        self._routes: dict[str, dict[str, Callable[[Request], Reply]]] = {
            _CLUSTERS: {"GET": self._list, "POST": self._create},
            _CLUSTER: {"GET": self._get, "PUT": self._put, "DELETE": self._delete},
            _INSTANCE_TYPES: {"GET": self._instance_types},
            _LOGIN: {"POST": self._login},
            _USER: {"GET": self._user},
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
        given = _basic_credentials(header)
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
        return Reply(200, {"instanceTypes": [_instance_type(n) for n in _type_names(cluster)]})

    def _login(self, request: Request) -> Reply:
        body = _json_object(request.body)
        username, api_key = body.get("username"), body.get("apiKey")
        if not isinstance(username, str) or not isinstance(api_key, str):
            raise ApiError(400, 'the login request must be {"username": "...", "apiKey": "..."}')
        if not self._auth.login_matches(username, api_key):
            raise ApiError(401, "unknown username or wrong API key")
        return Reply(200, {"token": self._token()})

    def _user(self, request: Request) -> Reply:
        scheme, _, token = request.authorization.partition(" ")
        if scheme.lower() != "bearer" or not _same(token.strip(), self._token()):
            raise ApiError(401, "missing or invalid token: send Authorization: Bearer <token>")
        a = self._auth
        return Reply(200, {"id": a.user_id, "username": a.username, "email": a.email})

    def _token(self) -> str:
        """Opaque and stateless: a MAC of the user id under a key that lives as long as the server."""
        mac = hmac.new(self._token_key, b"login:" + self._auth.user_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user_id, sep, api_key = text.partition(":")
    return (user_id, api_key) if sep else None


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


def _type_names(cluster: dict[str, Any]) -> list[str]:
    """A cluster's own instance types; Grid's shared cloud offers the CLI's default list."""
    spec = cluster.get("spec") or {}
    if spec.get("clusterType") == ClusterType.GLOBAL:
        return list(DEFAULT_INSTANCE_TYPES)
    managed = wire.spec_from_wire(spec)
    return [] if managed is None else [t.name for t in managed.instance_types]


def _instance_type(name: str) -> dict[str, Any]:
    figures = _CATALOG.get(name)
    if figures is None:  # unknown figures are zeros; its availability is unset, so omitted
        return {"name": name, "cpu": 0, "gpu": 0, "memory": 0, "hourlyCost": 0, "spot": False}
    cpu, gpu, memory, cost = figures
    entry: dict[str, Any] = {"name": name, "cpu": cpu, "gpu": gpu, "memory": memory}
    entry.update(hourlyCost=cost, spot=True, availability="AVAILABLE")
    return entry
