"""The embedded local Grid control plane: Grid's cluster API persisted in one SQLite file.

Each cluster row holds Grid's exact wire object (`id`, `name`, `createdAt`, `spec`, `status`) as JSON
text, plus the lifecycle timestamps the current phase is derived from on every read (no background
thread): QUEUED until `queued_until`, PENDING until `ready_at`, then RUNNING (or FAILED with an
injected reason). A delete sets `gone_at`: the cluster keeps its phase with desiredState DELETED
(terminating) until then, and is DELETED (hidden from the default list) after.

This module holds the lifecycle and Grid's rules; the storage (connections, transactions, schema,
safety across threads and processes) is gridsync.localgrid.store.
"""

from __future__ import annotations

import contextlib
import copy
import sqlite3
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gridsync.config.desired import LocalBackendSettings
from gridsync.errors import ClusterExists, ClusterNotFound, InvalidArgument
from gridsync.live import wire
from gridsync.live.backend import Blueprint, LiveCluster, LiveState
from gridsync.localgrid.store import (
    GLOBAL_ID,
    Row,
    Store,
    delete_row,
    read_meta,
    save_injected_failure,
    save_row,
    set_meta,
    take_injected_failure,
)
from gridsync.spec import ClusterSpec, ClusterType, Phase

GLOBAL_NAME = "grid-cloud"  # not in the CLI; its env.py comment calls the shared cloud so
# Spec fields the server owns: a PUT cannot change them.
_SERVER_OWNED = ("clusterType", "desiredState", "userId")


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the lifecycle of a stored row ----------------------------------------------------------------


def _status(row: Row, now: float) -> dict[str, Any]:
    """The status as of `now`, derived from the lifecycle timestamps."""
    if row.gone_at is not None and now < row.gone_at:
        return dict(row.body.get("status") or {})  # terminating: the phase it had when deleted
    phase, since = _phase_since(row, now)
    status: dict[str, Any] = {"phase": phase, "lastHealthcheckTimestamp": rfc3339(since)}
    if phase == Phase.FAILED:
        status["reason"] = row.failure
    return status


def _phase_since(row: Row, now: float) -> tuple[str, float]:
    if row.gone_at is not None:
        return Phase.DELETED.value, row.gone_at
    if now < row.queued_until:
        return Phase.QUEUED.value, row.created
    if now < row.ready_at:
        return Phase.PENDING.value, row.queued_until
    return (Phase.FAILED if row.failure is not None else Phase.RUNNING).value, row.ready_at


def _phase(row: Row, now: float) -> str:
    return _phase_of(_status(row, now))


def _phase_of(status: dict[str, Any]) -> str:
    return str(status.get("phase", Phase.UNSPECIFIED.value))


def _wire(row: Row, status: dict[str, Any]) -> dict[str, Any]:
    """The row's wire object with its status as of now. Not copied: the row was read for this
    request (its body parsed afresh from the stored JSON text), so nothing else holds it."""
    return {**row.body, "status": status}


class LocalControlPlane:
    """Grid's cluster API over a SQLite file; implements gridsync.live.backend.Backend."""

    def __init__(
        self,
        settings: LocalBackendSettings,
        *,
        root: Path,
        clock: Callable[[], float] = time.time,
        user_id: str = "local-user",
    ) -> None:
        self._settings = settings
        self._root = root
        self._store = Store(root / settings.state, seed=self._seed_global)
        self._clock = clock
        self._user_id = user_id

    @property
    def description(self) -> str:
        """Names the state file relative to the project root when it is inside it."""
        path = self._store.path
        with contextlib.suppress(ValueError):
            path = path.relative_to(self._root)
        return f"local control plane ({path.as_posix()})"

    # -- Backend ---------------------------------------------------------------------------------

    def list_clusters(self) -> LiveState:
        rows, meta, now = self._snapshot()
        statuses = [(row, _status(row, now)) for row in rows]
        live = [
            wire.cluster_from_wire(_wire(row, status))
            for row, status in statuses
            if _phase_of(status) != Phase.DELETED
        ]
        return LiveState(
            clusters=tuple(sorted(live, key=lambda c: (c.name, c.id))),
            context=meta.get("context"),
            default_cluster=meta.get("default_cluster"),
        )

    def get(self, cluster_id: str) -> LiveCluster:
        return wire.cluster_from_wire(self.get_wire(cluster_id))

    def blueprint(self, document: object) -> Blueprint:
        return wire.blueprint(document)

    def create(
        self, name: str, spec: ClusterSpec, blueprint: Blueprint | None = None
    ) -> LiveCluster:
        request = wire.create_request(name, spec, wire.blueprint_base(blueprint))
        return wire.cluster_from_wire(self.create_wire(request))

    def update(self, cluster_id: str, spec: ClusterSpec) -> LiveCluster:
        body = self._modify(cluster_id, None, lambda stored: wire.spec_to_wire(spec, base=stored))
        return wire.cluster_from_wire(body)

    def delete(self, cluster_id: str, *, force: bool = False) -> None:
        with self._store.write() as conn:
            now = self._clock()
            row = self._live_row(conn, cluster_id, now)
            if row.spec.get("clusterType") == ClusterType.GLOBAL:
                raise InvalidArgument(
                    f"cluster {cluster_id!r} is Grid's shared cloud; it cannot be deleted"
                )
            if force:
                delete_row(conn, cluster_id)
            elif row.gone_at is None:
                spec = {**row.spec, "desiredState": Phase.DELETED.value}
                body = {**row.body, "spec": spec, "status": _status(row, now)}
                gone_at = now + self._settings.delete_seconds
                save_row(conn, cluster_id, row._replace(body=body, gone_at=gone_at))

    def set_context(self, cluster_id: str) -> None:
        with self._store.write() as conn:
            self._live_row(conn, cluster_id, self._clock())
            set_meta(conn, "context", cluster_id)

    def close(self) -> None:
        """Nothing stays open between operations; kept for the Backend protocol."""

    # -- Test, demo and HTTP server helpers (Grid's wire format) -------------------------------

    def inject_failure(self, name: str, reason: str) -> None:
        """Make the next provisioning of `name` (in progress now, or a later create) end FAILED."""
        with self._store.write() as conn:
            now = self._clock()
            row = self._store.row(conn, name)
            if row is not None and row.gone_at is None and now < row.ready_at:
                save_row(conn, name, row._replace(failure=reason))
            else:
                save_injected_failure(conn, name, reason)

    def list_wire(
        self,
        *,
        phase_in: Collection[str] = (),
        phase_not_in: Collection[str] = (),
        type_in: Collection[str] = (),
        type_not_in: Collection[str] = (),
    ) -> dict[str, Any]:
        """`GET /v1/core/clusters` with Grid's filters (an empty filter does not filter)."""
        rows, meta, now = self._snapshot()
        clusters = []
        for row in rows:
            status = _status(row, now)
            ctype = str(row.spec.get("clusterType", ClusterType.UNSPECIFIED.value))
            if _keep(_phase_of(status), phase_in, phase_not_in) and _keep(
                ctype, type_in, type_not_in
            ):
                clusters.append(_wire(row, status))
        clusters.sort(key=lambda c: (str(c.get("name", "")), str(c.get("id", ""))))
        return {"clusters": clusters, "defaultCluster": meta.get("default_cluster", GLOBAL_ID)}

    def get_wire(self, cluster_id: str) -> dict[str, Any]:
        with self._store.read() as conn:
            now = self._clock()
            row = self._live_row(conn, cluster_id, now)
            return _wire(row, _status(row, now))

    def create_wire(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /v1/core/clusters`: body `{"name", "spec"}`; the new cluster is QUEUED."""
        name, spec = _parse_body(body)
        if not isinstance(name, str):
            raise InvalidArgument("the create request has no cluster name")
        wire.validate_request(name, spec)
        if spec.get("clusterType", ClusterType.BYOC) != ClusterType.BYOC:
            raise InvalidArgument(
                f"cluster {name!r}: only {ClusterType.BYOC} clusters can be created"
            )
        with self._store.write() as conn:
            now = self._clock()
            existing = self._store.row(conn, name)
            if existing is not None and _phase(existing, now) != Phase.DELETED:
                raise ClusterExists(f"a cluster named {name!r} exists already")
            row = self._new_row(conn, name, spec, now)
            save_row(conn, name, row)
        return row.body

    def put_wire(self, cluster_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """`PUT /v1/core/clusters/{id}`: a full replacement spec; the response has no createdAt."""
        name, spec = _parse_body(body)
        if name is not None and not isinstance(name, str):
            raise InvalidArgument("the update request's cluster name must be a string")
        return self._modify(cluster_id, name, lambda stored: _pin_server_owned(spec, stored))

    # -- rows ------------------------------------------------------------------------------------

    def _new_row(
        self, conn: sqlite3.Connection, name: str, spec: Mapping[str, Any], now: float
    ) -> Row:
        stored_spec = copy.deepcopy(dict(spec))
        stored_spec["clusterType"] = ClusterType.BYOC.value
        stored_spec["desiredState"] = Phase.RUNNING.value
        stored_spec["userId"] = self._user_id
        queued_until = now + self._settings.queued_seconds
        row = Row(
            body={"id": name, "name": name, "createdAt": rfc3339(now), "spec": stored_spec},
            created=now,
            queued_until=queued_until,
            ready_at=queued_until + self._settings.provision_seconds,
            gone_at=None,
            failure=take_injected_failure(conn, name),
        )
        row.body["status"] = _status(row, now)
        return row

    def _seed_global(self, conn: sqlite3.Connection) -> None:
        """Grid's shared cloud, RUNNING from the creation of the state file."""
        now = self._clock()
        spec = {"clusterType": ClusterType.GLOBAL.value, "desiredState": Phase.RUNNING.value}
        body = {"id": GLOBAL_ID, "name": GLOBAL_NAME, "createdAt": rfc3339(now), "spec": spec}
        row = Row(body, created=now, queued_until=now, ready_at=now, gone_at=None, failure=None)
        row.body["status"] = _status(row, now)
        save_row(conn, GLOBAL_ID, row)

    def _modify(
        self,
        cluster_id: str,
        name: str | None,
        make_spec: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        """Replace a cluster's spec with `make_spec(stored spec)` in one write transaction."""
        with self._store.write() as conn:
            now = self._clock()
            row = self._live_row(conn, cluster_id, now)
            stored_name = str(row.body.get("name", cluster_id))
            _check_editable(cluster_id, row, now, name, stored_name)
            spec = make_spec(copy.deepcopy(row.spec))
            wire.validate_request(stored_name, spec)
            body = {**row.body, "spec": spec, "status": _status(row, now)}
            save_row(conn, cluster_id, row._replace(body=body))
        return {k: v for k, v in body.items() if k != "createdAt"}

    def _live_row(self, conn: sqlite3.Connection, cluster_id: str, now: float) -> Row:
        row = self._store.row(conn, cluster_id)
        if row is None or _phase(row, now) == Phase.DELETED:
            raise ClusterNotFound(f"no cluster with id {cluster_id!r} in the {self.description}")
        return row

    def _snapshot(self) -> tuple[list[Row], dict[str, str], float]:
        """Every row and the meta table, read in one transaction, and the time they are seen at."""
        with self._store.read() as conn:
            rows = self._store.rows(conn)
            meta = read_meta(conn)
        return rows, meta, self._clock()


def _keep(value: str, include: Collection[str], exclude: Collection[str]) -> bool:
    return (not include or value in include) and value not in exclude


def _parse_body(body: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if not isinstance(body, Mapping) or not isinstance(body.get("spec"), Mapping):
        raise InvalidArgument('the request body must be an object {"name": ..., "spec": {...}}')
    return body.get("name"), dict(body["spec"])


def _pin_server_owned(spec: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """A PUT spec with the server-owned fields as stored (a client cannot change them).

    The region is not one of them but cannot change in place either: moving a cluster to
    another region means a new cluster (gridsync plans a replace; the CLI never offers it)."""
    _check_region(spec, stored)
    out = copy.deepcopy(dict(spec))
    for key in _SERVER_OWNED:
        if key in stored:
            out[key] = copy.deepcopy(stored[key])
        else:
            out.pop(key, None)
    return out


def _check_region(spec: Mapping[str, Any], stored: Mapping[str, Any]) -> None:
    before = (wire.aws_driver(stored) or {}).get("region")
    after = (wire.aws_driver(spec) or {}).get("region")
    if before and after != before:
        raise InvalidArgument(
            f"the region of a cluster cannot change in place ({before!r} to {after!r}); "
            "delete the cluster and create it in the new region"
        )


def _check_editable(cluster_id: str, row: Row, now: float, name: str | None, stored: str) -> None:
    if row.spec.get("clusterType") == ClusterType.GLOBAL:
        raise InvalidArgument(f"cluster {cluster_id!r} is Grid's shared cloud; it cannot be edited")
    if row.gone_at is not None and now < row.gone_at:
        raise InvalidArgument(f"cluster {cluster_id!r} is terminating; it cannot be edited")
    if name is not None and name != stored:
        raise InvalidArgument(f"cluster {cluster_id!r} cannot be renamed to {name!r}")
