"""The Backend over Grid's REST API (httpx), sending the requests the `grid` CLI sends.

Same methods, paths, query strings and JSON bodies as the CLI (lightning-grid 0.8.81), and the same
`Authorization` and `Accept: application/json`. What differs, on purpose: `User-Agent` is
`gridsync/<version>` (the CLI sends `Grid-CLI-0.8.81`; a server's logs should say who called);
`Content-Type: application/json` goes only with a body (the CLI sends it on every request); and
`Accept-Encoding` is httpx's (the CLI's urllib3 sends `identity`).

Requests that are safe to repeat (GET, PUT, DELETE) are retried on connection errors, timeouts,
5xx and 429, with full-jitter exponential backoff or the server's Retry-After (capped). A create is
never blindly repeated: after an ambiguous failure (the POST may have reached Grid) the client lists
clusters and adopts one with that name, and only posts again when there is none.

Sending, retrying, waiting, redacting and reading JSON are the shared HTTP edge's
(gridsync.httpedge); what is Grid's (its message format, which answers to retry, its status codes
as BackendError subclasses naming the request, the status, Grid's message and what to do next) is
gridsync.live.grid_http's. The API key, and the Authorization header made from
it, never appear in an error message or a log line: every text that came from outside is redacted.
"""

from __future__ import annotations

import base64
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from gridsync import __version__
from gridsync.errors import BackendError, InvalidArgument
from gridsync.httpedge import DEFAULT_RETRY, HttpEdge, Outcome, RetryPolicy, may_have_acted
from gridsync.live import wire
from gridsync.live.backend import Blueprint, LiveCluster, LiveState
from gridsync.live.credentials import Credentials
from gridsync.live.grid_http import grid_service, retry_status, retryable, status_error
from gridsync.live.gridsettings import read_context, write_context
from gridsync.spec import ClusterSpec, ClusterType, Phase

log = logging.getLogger(__name__)

USER_AGENT = f"gridsync/{__version__}"
HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}
CLUSTERS = "/v1/core/clusters"
LIST_QUERY = {"phaseNotIn": Phase.DELETED.value}  # exactly as `grid clusters` lists
# How old a list call's answer may be for an update to overlay its spec instead of a GET. The PUT
# is a full replacement either way (Grid has no version check): this bounds how stale the fields
# gridsync does not manage may be, as the GET's own round trip does.
LISTED_FRESH = 60.0


def _final(outcome: Outcome) -> httpx.Response | None:
    """The response when it is the answer to keep (not a failure worth another try)."""
    if isinstance(outcome, httpx.Response) and not retry_status(outcome.status_code):
        return outcome
    return None


def _cluster_path(cluster_id: str) -> str:
    return f"{CLUSTERS}/{quote(cluster_id, safe='')}"


class GridApi:
    """Grid's cluster API over HTTP; implements gridsync.live.backend.Backend."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        settings_path: Path,
        context_path: Path | None = None,
        context_override: str | None = None,
        client: httpx.Client | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        force_delete: bool = False,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._settings_path = settings_path  # where set_context writes (GRID_SETTINGS_PATH)
        self._context_path = context_path or settings_path  # where the CLI reads it
        self._context_override = context_override  # GRID_CLUSTER_ID: beats the file
        self._owns_client = client is None
        # Every request goes to self._base: a plain http:// base (the local control plane) makes
        # no TLS connection, so loading the CA bundle for a context none would use (~30 ms of
        # every apply's start-up) is skipped.
        verify = not self._base.startswith("http://")
        self._client = client or httpx.Client(timeout=retry.timeout, headers=HEADERS, verify=verify)
        service = grid_service(self._base, self._secrets)
        self._edge = HttpEdge(service, self._client, retry=retry, sleep=sleep, rng=rng)
        self._retry = retry
        self._force_delete = force_delete
        self._login_lock = threading.Lock()
        # The full wire object of each cluster of the last list call, and when it was answered:
        # an update overlays its fields onto that instead of a GET of its own (Grid's list
        # carries each cluster's full spec, as GET /v1/core/clusters/{id} does).
        self._listed: dict[str, dict[str, Any]] = {}
        self._listed_at = -math.inf
        # Each cluster of the last list call as parsed: a poll round re-parses only the clusters
        # whose wire object changed (a round of 1,000 clusters is otherwise ~1,000 parses).
        self._parsed: dict[str, tuple[dict[str, Any], LiveCluster]] = {}

    @property
    def description(self) -> str:
        return f"Grid API ({self._base})"

    # -- Backend ---------------------------------------------------------------------------------

    def list_clusters(self) -> LiveState:
        clusters, default = self._list()
        context = self._context_override or read_context(self._context_path)
        return LiveState(clusters=clusters, context=context, default_cluster=default)

    def get(self, cluster_id: str) -> LiveCluster:
        return wire.cluster_from_wire(self._call("GET", _cluster_path(cluster_id)))

    def blueprint(self, document: object) -> Blueprint:
        return wire.blueprint(document)

    def create(
        self, name: str, spec: ClusterSpec, blueprint: Blueprint | None = None
    ) -> LiveCluster:
        body = wire.create_request(name, spec, wire.blueprint_base(blueprint))
        attempts = max(1, self._retry.attempts)
        for n in range(attempts):
            outcome = self._edge.attempt(
                "POST", CLUSTERS, self._base + CLUSTERS, json=body, headers=self._headers()
            )
            response = _final(outcome)
            if response is not None:
                return wire.cluster_from_wire(self._checked("POST", CLUSTERS, response))
            if may_have_acted(outcome):
                self._edge.wait(n, outcome, "POST", CLUSTERS)
                adopted = self._adopt(name, outcome)
                if adopted is not None:
                    return adopted
            elif n + 1 < attempts:
                self._edge.wait(n, outcome, "POST", CLUSTERS)
        raise BackendError(
            f"POST {CLUSTERS} for cluster {name!r} failed after {attempts} attempt(s): "
            f"{self._edge.describe(outcome)}; it was not created (checked by name after every try "
            "that may have reached Grid)",
            hint="check GRID_URL and your network, then run `gridsync plan` and apply again",
        ) from (outcome if isinstance(outcome, Exception) else None)

    def update(self, cluster_id: str, spec: ClusterSpec) -> LiveCluster:
        """PUT the full spec: the live one (from the last list call when it is at most
        LISTED_FRESH seconds old, else a GET) with the managed fields overlaid."""
        path = _cluster_path(cluster_id)
        listed = self._listed.pop(cluster_id, None)  # used once: after a PUT it is stale
        fresh = time.monotonic() - self._listed_at <= LISTED_FRESH
        live = listed if listed is not None and fresh else self._call("GET", path)
        found_spec, found_name = live.get("spec"), live.get("name")
        live_spec: dict[str, Any] = found_spec if isinstance(found_spec, dict) else {}
        if live_spec.get("clusterType") == ClusterType.GLOBAL:
            raise InvalidArgument(
                f"cluster {cluster_id!r} is Grid's shared cloud; gridsync never edits it",
                hint="remove it from the clusters gridsync manages",
            )
        name = found_name if isinstance(found_name, str) and found_name else cluster_id
        body = {"name": name, "spec": wire.spec_to_wire(spec, base=live_spec)}
        updated = self._call("PUT", path, json=body)
        if "createdAt" not in updated and "createdAt" in live:  # PUT answers without createdAt
            updated = {**updated, "createdAt": live["createdAt"]}
        return wire.cluster_from_wire(updated)

    def delete(self, cluster_id: str, *, force: bool = False) -> None:
        path = _cluster_path(cluster_id)
        flag = "True" if force or self._force_delete else "False"
        response, maybe_done = self._retrying("DELETE", path, params={"force": flag})
        if response.status_code == 404 and maybe_done:
            log.info("DELETE %s: gone after an earlier attempt that may have reached Grid", path)
            return
        self._checked("DELETE", path, response)

    def set_context(self, cluster_id: str) -> None:
        write_context(self._settings_path, cluster_id)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    # -- Requests --------------------------------------------------------------------------------

    def _list(self) -> tuple[tuple[LiveCluster, ...], str | None]:
        data = self._call("GET", CLUSTERS, params=LIST_QUERY)
        items = [c for c in data.get("clusters") or () if isinstance(c, dict)]
        listed = {c["id"]: c for c in items if isinstance(c.get("id"), str)}
        self._listed, self._listed_at = dict(listed), time.monotonic()
        before, parsed = self._parsed, {}
        for key, item in listed.items():
            old = before.get(key)
            parsed[key] = (item, old[1] if old and old[0] == item else wire.cluster_from_wire(item))
        self._parsed = parsed
        found = [
            parsed[c["id"]][1]
            if isinstance(c.get("id"), str) and listed[c["id"]] is c
            else wire.cluster_from_wire(c)
            for c in items
        ]
        live = [c for c in found if c.phase != Phase.DELETED]
        default = data.get("defaultCluster")
        return (
            tuple(sorted(live, key=lambda c: (c.name, c.id))),
            default if isinstance(default, str) and default else None,
        )

    def _adopt(self, name: str, failure: Outcome) -> LiveCluster | None:
        """The cluster an ambiguous create may have made, found by name; None when there is none."""
        try:
            clusters, _ = self._list()
        except BackendError as exc:
            raise BackendError(
                f"POST {CLUSTERS} for cluster {name!r} failed ({self._edge.describe(failure)}) and "
                f"may have created it; listing clusters to find out failed too: {exc.message}",
                hint="run `gridsync plan` once Grid answers again: it shows whether it exists",
            ) from exc
        for cluster in clusters:
            if cluster.name == name and not cluster.terminating:
                log.info(
                    "POST %s: adopting cluster %r created by an earlier attempt", CLUSTERS, name
                )
                return cluster
        return None

    def _call(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None
    ) -> dict[str, Any]:
        """A request that is safe to repeat, retried, its JSON object answer checked."""
        response, _ = self._retrying(method, path, params=params, json=json)
        return self._checked(method, path, response)

    def _retrying(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None
    ) -> tuple[httpx.Response, bool]:
        """The final response, and whether an earlier failed attempt may have reached Grid."""
        url, headers = self._base + path, self._headers()
        sent = self._edge.send(
            method, path, url, retryable=retryable, params=params, json=json, headers=headers
        )
        response = _final(sent.outcome)
        if response is not None:
            return response, sent.maybe_processed
        outcome = sent.outcome
        raise BackendError(
            f"{method} {path} failed after {sent.tries} attempt(s): {self._edge.describe(outcome)}",
            hint="Grid did not answer in time: check GRID_URL and your network, then try again",
        ) from (outcome if isinstance(outcome, Exception) else None)

    def _checked(self, method: str, path: str, response: httpx.Response) -> dict[str, Any]:
        """The JSON object of a 2xx response; otherwise the BackendError for its status."""
        if not response.is_success:
            said = f"HTTP {response.status_code}: {self._edge.said(response)}"
            source = self._credentials.source
            raise status_error(
                f"{method} {path}",
                response.status_code,
                said,
                source=source,
                fix_credentials=f"check the user id and API key in {source}; `grid login` "
                "writes fresh ones",
                not_found=path != CLUSTERS,
            )
        if not response.content.strip():
            return {}
        data = self._edge.json(method, path, response, expected="a JSON object")
        if not isinstance(data, dict):
            raise BackendError(
                f"{method} {path}: Grid answered HTTP {response.status_code} with something that "
                "is not a JSON object",
                hint=f"check that {self._base} is a Grid control plane (GRID_URL)",
            )
        return data

    # -- Credentials -----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": self._authorization(), **HEADERS}

    def _authorization(self) -> str:
        if self._credentials.needs_login:
            with self._login_lock:
                self._credentials = self._credentials.resolve(self._client, self._base)
        pair = f"{self._credentials.user_id}:{self._credentials.api_key}"
        return "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    def _secrets(self) -> tuple[str, ...]:
        """The API key and the Basic token made from it: never in a message or a log line."""
        key = self._credentials.api_key
        token = base64.b64encode(f"{self._credentials.user_id}:{key}".encode()).decode("ascii")
        return (token, key)
