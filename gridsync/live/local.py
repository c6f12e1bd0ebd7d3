"""The embedded local Grid control plane: Grid's cluster API persisted in one SQLite file.

Each cluster row holds Grid's exact wire object (`id`, `name`, `createdAt`, `spec`, `status`) as JSON
text, plus the lifecycle timestamps the current phase is derived from on every read (no background
thread): QUEUED until `queued_until`, PENDING until `ready_at`, then RUNNING (or FAILED with an
injected reason). A delete sets `gone_at`: the cluster keeps its phase with desiredState DELETED
(terminating) until then, and is DELETED (hidden from the default list) after.

Safe for several threads and processes at once: one short-lived connection per operation, WAL
journal, a busy timeout, and `BEGIN IMMEDIATE` around every write so check-then-insert cannot race.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gridsync.config.model import LocalBackendSettings
from gridsync.errors import BackendError, ClusterExists, ClusterNotFound, InvalidArgument
from gridsync.live import wire
from gridsync.live.backend import LiveCluster, LiveState
from gridsync.model import ClusterSpec, ClusterType, Phase
from gridsync.statedir import ensure_dir

APP_ID = "gridsync-local-control-plane"
SCHEMA_VERSION = "1"
GLOBAL_ID = "prod-2"
GLOBAL_NAME = "Grid Cloud"
BUSY_TIMEOUT_SECONDS = 10.0
# Spec fields the server owns: a PUT cannot change them.
_SERVER_OWNED = ("clusterType", "desiredState", "userId")

_SCHEMA = (
    "CREATE TABLE gridsync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE clusters (id TEXT PRIMARY KEY, body TEXT NOT NULL, created REAL NOT NULL,"
    " queued_until REAL NOT NULL, ready_at REAL NOT NULL, gone_at REAL, failure TEXT)",
    "CREATE TABLE injected_failures (name TEXT PRIMARY KEY, reason TEXT NOT NULL)",
)
_COLUMNS = "body, created, queued_until, ready_at, gone_at, failure"


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Row:
    body: dict[str, Any]  # the stored wire Cluster; its status is as of the last write
    created: float
    queued_until: float
    ready_at: float
    gone_at: float | None
    failure: str | None

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}

    def status(self, now: float) -> dict[str, Any]:
        """The status as of `now`, derived from the lifecycle timestamps."""
        if self.gone_at is not None and now < self.gone_at:
            return dict(self.body.get("status") or {})  # terminating: the phase it had when deleted
        phase, since = self._phase_since(now)
        status: dict[str, Any] = {"phase": phase, "lastHealthcheckTimestamp": rfc3339(since)}
        if phase == Phase.FAILED:
            status["reason"] = self.failure
        return status

    def _phase_since(self, now: float) -> tuple[str, float]:
        if self.gone_at is not None:
            return Phase.DELETED.value, self.gone_at
        if now < self.queued_until:
            return Phase.QUEUED.value, self.created
        if now < self.ready_at:
            return Phase.PENDING.value, self.queued_until
        return (Phase.FAILED if self.failure is not None else Phase.RUNNING).value, self.ready_at

    def phase(self, now: float) -> str:
        return str(self.status(now).get("phase", Phase.UNSPECIFIED.value))

    def wire(self, now: float) -> dict[str, Any]:
        return {**copy.deepcopy(self.body), "status": self.status(now)}


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
        self._path = root / settings.state
        self._clock = clock
        self._user_id = user_id
        self._ready = False
        self._init_lock = threading.Lock()

    @property
    def description(self) -> str:
        """Names the state file relative to the project root when it is inside it."""
        path = self._path
        with contextlib.suppress(ValueError):
            path = path.relative_to(self._root)
        return f"local control plane ({path.as_posix()})"

    # -- Backend ---------------------------------------------------------------------------------

    def list_clusters(self) -> LiveState:
        rows, meta, now = self._snapshot()
        live = [wire.cluster_from_wire(r.wire(now)) for r in rows if r.phase(now) != Phase.DELETED]
        return LiveState(
            clusters=tuple(sorted(live, key=lambda c: (c.name, c.id))),
            context=meta.get("context"),
            default_cluster=meta.get("default_cluster"),
        )

    def get(self, cluster_id: str) -> LiveCluster:
        return wire.cluster_from_wire(self.get_wire(cluster_id))

    def create(
        self, name: str, spec: ClusterSpec, base: Mapping[str, Any] | None = None
    ) -> LiveCluster:
        return wire.cluster_from_wire(self.create_wire(wire.create_request(name, spec, base)))

    def update(self, cluster_id: str, spec: ClusterSpec) -> LiveCluster:
        body = self._modify(cluster_id, None, lambda stored: wire.spec_to_wire(spec, base=stored))
        return wire.cluster_from_wire(body)

    def delete(self, cluster_id: str, *, force: bool = False) -> None:
        with self._write() as conn:
            now = self._clock()
            row = self._live_row(conn, cluster_id, now)
            if row.spec.get("clusterType") == ClusterType.GLOBAL:
                raise InvalidArgument(
                    f"cluster {cluster_id!r} is Grid's shared cloud; it cannot be deleted"
                )
            if force:
                conn.execute("DELETE FROM clusters WHERE id = ?", (cluster_id,))
            elif row.gone_at is None:
                spec = {**row.spec, "desiredState": Phase.DELETED.value}
                body = {**row.body, "spec": spec, "status": row.status(now)}
                gone_at = now + self._settings.delete_seconds
                _save(conn, cluster_id, replace(row, body=body, gone_at=gone_at))

    def set_context(self, cluster_id: str) -> None:
        with self._write() as conn:
            self._live_row(conn, cluster_id, self._clock())
            _set_meta(conn, "context", cluster_id)

    def close(self) -> None:
        """Nothing stays open between operations; kept for the Backend protocol."""

    # -- Test, demo and HTTP server helpers (Grid's wire format) -------------------------------

    def inject_failure(self, name: str, reason: str) -> None:
        """Make the next provisioning of `name` (in progress now, or a later create) end FAILED."""
        with self._write() as conn:
            now = self._clock()
            row = self._row(conn, name)
            if row is not None and row.gone_at is None and now < row.ready_at:
                _save(conn, name, replace(row, failure=reason))
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO injected_failures (name, reason) VALUES (?, ?)",
                    (name, reason),
                )

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
            phase = row.phase(now)
            ctype = str(row.spec.get("clusterType", ClusterType.UNSPECIFIED.value))
            if _keep(phase, phase_in, phase_not_in) and _keep(ctype, type_in, type_not_in):
                clusters.append(row.wire(now))
        clusters.sort(key=lambda c: (str(c.get("name", "")), str(c.get("id", ""))))
        return {"clusters": clusters, "defaultCluster": meta.get("default_cluster", GLOBAL_ID)}

    def get_wire(self, cluster_id: str) -> dict[str, Any]:
        with self._read() as conn:
            now = self._clock()
            return self._live_row(conn, cluster_id, now).wire(now)

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
        with self._write() as conn:
            now = self._clock()
            existing = self._row(conn, name)
            if existing is not None and existing.phase(now) != Phase.DELETED:
                raise ClusterExists(f"a cluster named {name!r} exists already")
            row = self._new_row(conn, name, spec, now)
            _save(conn, name, row)
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
    ) -> _Row:
        failure = conn.execute(
            "SELECT reason FROM injected_failures WHERE name = ?", (name,)
        ).fetchone()
        conn.execute("DELETE FROM injected_failures WHERE name = ?", (name,))
        stored_spec = copy.deepcopy(dict(spec))
        stored_spec["clusterType"] = ClusterType.BYOC.value
        stored_spec["desiredState"] = Phase.RUNNING.value
        stored_spec["userId"] = self._user_id
        queued_until = now + self._settings.queued_seconds
        row = _Row(
            body={"id": name, "name": name, "createdAt": rfc3339(now), "spec": stored_spec},
            created=now,
            queued_until=queued_until,
            ready_at=queued_until + self._settings.provision_seconds,
            gone_at=None,
            failure=failure[0] if failure else None,
        )
        row.body["status"] = row.status(now)
        return row

    def _modify(
        self,
        cluster_id: str,
        name: str | None,
        make_spec: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        """Replace a cluster's spec with `make_spec(stored spec)` in one write transaction."""
        with self._write() as conn:
            now = self._clock()
            row = self._live_row(conn, cluster_id, now)
            stored_name = str(row.body.get("name", cluster_id))
            _check_editable(cluster_id, row, now, name, stored_name)
            spec = make_spec(copy.deepcopy(row.spec))
            wire.validate_request(stored_name, spec)
            body = {**row.body, "spec": spec, "status": row.status(now)}
            _save(conn, cluster_id, replace(row, body=body))
        return {k: v for k, v in body.items() if k != "createdAt"}

    def _row(self, conn: sqlite3.Connection, cluster_id: str) -> _Row | None:
        found = conn.execute(
            f"SELECT {_COLUMNS} FROM clusters WHERE id = ?",  # noqa: S608
            (cluster_id,),
        ).fetchone()
        return None if found is None else self._parse_row(found)

    def _live_row(self, conn: sqlite3.Connection, cluster_id: str, now: float) -> _Row:
        row = self._row(conn, cluster_id)
        if row is None or row.phase(now) == Phase.DELETED:
            raise ClusterNotFound(f"no cluster with id {cluster_id!r} in the {self.description}")
        return row

    def _snapshot(self) -> tuple[list[_Row], dict[str, str], float]:
        """Every row and the meta table, read in one transaction, and the time they are seen at."""
        with self._read() as conn:
            found = conn.execute(f"SELECT {_COLUMNS} FROM clusters").fetchall()  # noqa: S608
            meta = self._meta(conn)
        return [self._parse_row(r) for r in found], meta, self._clock()

    def _parse_row(self, found: tuple[Any, ...]) -> _Row:
        try:
            body = json.loads(found[0])
        except (TypeError, ValueError) as exc:
            raise self._corrupt(f"a cluster row is not valid JSON ({exc})") from exc
        if not isinstance(body, dict) or "createdAt" not in body:
            raise self._corrupt("a cluster row is not a Grid cluster object")
        return _Row(body, *found[1:])

    def _meta(self, conn: sqlite3.Connection) -> dict[str, str]:
        return dict(conn.execute("SELECT key, value FROM gridsync_meta").fetchall())

    # -- connections -----------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot (a deferred transaction)."""
        with self._transaction("BEGIN") as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the write lock from its start."""
        with self._transaction("BEGIN IMMEDIATE") as conn:
            yield conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        self._ensure_ready()
        with self._connect() as conn:
            conn.execute(begin)
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection; sqlite3 errors become BackendError here."""
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            yield conn
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc) from exc
        finally:
            if conn is not None:
                conn.close()

    def _ensure_ready(self) -> None:
        """Create the file and schema on first use, seeded once; refuse a foreign file."""
        with self._init_lock:
            if self._ready:
                return
            try:
                ensure_dir(self._path.parent)
            except OSError as exc:
                raise BackendError(f"cannot create the folder of {self._path}: {exc}") from exc
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                self._init_schema(conn)
                conn.execute("COMMIT")
                _use_wal(conn)
            self._ready = True

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "gridsync_meta" in tables:
            meta = self._meta(conn)
            if meta.get("app") != APP_ID or meta.get("schema") != SCHEMA_VERSION:
                raise self._corrupt("it was not written by this version of gridsync")
            return
        if tables:
            raise self._corrupt("it is an SQLite database of something else")
        for statement in _SCHEMA:
            conn.execute(statement)
        meta = {"app": APP_ID, "schema": SCHEMA_VERSION, "default_cluster": GLOBAL_ID}
        conn.executemany("INSERT INTO gridsync_meta (key, value) VALUES (?, ?)", meta.items())
        self._seed_global(conn)

    def _seed_global(self, conn: sqlite3.Connection) -> None:
        now = self._clock()
        spec = {"clusterType": ClusterType.GLOBAL.value, "desiredState": Phase.RUNNING.value}
        body = {"id": GLOBAL_ID, "name": GLOBAL_NAME, "createdAt": rfc3339(now), "spec": spec}
        row = _Row(body, created=now, queued_until=now, ready_at=now, gone_at=None, failure=None)
        row.body["status"] = row.status(now)
        _save(conn, GLOBAL_ID, row)

    def _corrupt(self, why: str) -> BackendError:
        return BackendError(
            f"{self._path} is not a usable gridsync state file: {why}",
            hint="delete it to start over (the local clusters it holds are lost), "
            "or point backend.local.state in gridsync.yaml at another file",
        )

    def _sqlite_error(self, exc: sqlite3.Error) -> BackendError:
        if _is_busy(exc):
            return BackendError(
                f"the local control plane state {self._path} stayed locked: {exc}",
                hint="another gridsync process is using it; try again when it has finished",
            )
        return self._corrupt(f"SQLite: {exc}")


def _is_busy(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to the WAL journal. SQLite does not wait on its busy timeout for this switch when
    another connection is in a transaction, so wait here, as long as the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _keep(value: str, include: Collection[str], exclude: Collection[str]) -> bool:
    return (not include or value in include) and value not in exclude


def _save(conn: sqlite3.Connection, cluster_id: str, row: _Row) -> None:
    values = (json.dumps(row.body), row.created, row.queued_until, row.ready_at, row.gone_at)
    conn.execute(
        f"INSERT OR REPLACE INTO clusters (id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (cluster_id, *values, row.failure),
    )


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO gridsync_meta (key, value) VALUES (?, ?)", (key, value))


def _parse_body(body: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if not isinstance(body, Mapping) or not isinstance(body.get("spec"), Mapping):
        raise InvalidArgument('the request body must be an object {"name": ..., "spec": {...}}')
    return body.get("name"), dict(body["spec"])


def _pin_server_owned(spec: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """A PUT spec with the server-owned fields as stored (a client cannot change them)."""
    out = copy.deepcopy(dict(spec))
    for key in _SERVER_OWNED:
        if key in stored:
            out[key] = copy.deepcopy(stored[key])
        else:
            out.pop(key, None)
    return out


def _check_editable(cluster_id: str, row: _Row, now: float, name: str | None, stored: str) -> None:
    if row.spec.get("clusterType") == ClusterType.GLOBAL:
        raise InvalidArgument(f"cluster {cluster_id!r} is Grid's shared cloud; it cannot be edited")
    if row.gone_at is not None and now < row.gone_at:
        raise InvalidArgument(f"cluster {cluster_id!r} is terminating; it cannot be edited")
    if name is not None and name != stored:
        raise InvalidArgument(f"cluster {cluster_id!r} cannot be renamed to {name!r}")
