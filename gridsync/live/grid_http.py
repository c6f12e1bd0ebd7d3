"""What is Grid's own at the HTTP edge (gridsync.httpedge): its error message format (RpcStatus),
which answers are worth another try, and the one mapping of Grid's status codes to gridsync errors,
used by the cluster client (gridsync.live.api) and the username login (gridsync.live.credentials).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx

from gridsync import redact
from gridsync.errors import (
    BackendError,
    ClusterExists,
    ClusterNotFound,
    GridsyncError,
    InvalidArgument,
)
from gridsync.httpedge import Outcome, Service

MESSAGE_LIMIT = 300


def rpc_message(response: httpx.Response, limit: int = MESSAGE_LIMIT) -> str:
    """The RpcStatus `message` of an error response, else its raw text, truncated."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        text: str = body["message"]
    else:
        text = response.text.strip() or response.reason_phrase or "no message"
    return redact.shorten(text, limit)


def backend_error(
    message: str, *, hint: str, method: str, path: str, status: int | None
) -> GridsyncError:
    return BackendError(message, hint=hint)


def grid_service(base: str, secrets: Callable[[], Sequence[str]]) -> Service:
    return Service(
        name="Grid",
        error=backend_error,
        message=rpc_message,
        url_hint=f"check the Grid URL ({base}); it must start with https://",
        api_hint=f"check that {base} is a Grid control plane (GRID_URL)",
        secrets=secrets,
    )


def retry_status(status: int) -> bool:
    return status == 429 or status >= 500


def retryable(outcome: Outcome) -> bool:
    """Grid retries what is safe to repeat on 429, 5xx and every transport failure."""
    return not isinstance(outcome, httpx.Response) or retry_status(outcome.status_code)


def status_error(
    request: str,
    status: int,
    said: str,
    *,
    source: str,
    fix_credentials: str,
    cluster_api: bool = True,
    not_found: bool = True,
) -> BackendError:
    """The error for Grid's failure answer `said` ("HTTP 409: ..."; redacted) to `request`.

    `cluster_api`: a request of the cluster API (400 is the definition, 409 a name taken);
    `not_found`: it names one cluster, so 404 is that cluster's absence."""
    if status == 400 and cluster_api:
        return InvalidArgument(
            f"{request}: invalid request, {said}", hint="fix the cluster definition"
        )
    if status in (401, 403):
        return BackendError(
            f"{request}: Grid refused the credentials from {source}, {said}", hint=fix_credentials
        )
    if status == 404 and cluster_api and not_found:
        return ClusterNotFound(
            f"{request}: no such cluster, {said}", hint="run `gridsync plan` again"
        )
    if status == 409 and cluster_api:
        return ClusterExists(
            f"{request}: a cluster with that name exists already, {said}",
            hint="run `gridsync plan` again: it compares against the cluster that exists",
        )
    return BackendError(f"{request} failed, {said}", hint="try again later")
