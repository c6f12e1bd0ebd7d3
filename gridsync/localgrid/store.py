"""The SQLite storage of the local Grid control plane (gridsync.localgrid.controlplane): one file, three tables.

`gridsync_meta` holds the app id, the schema version, the context and the default cluster;
`clusters` holds each cluster's Grid wire object as JSON text plus its lifecycle timestamps;
`injected_failures` holds the failures injected for clusters not created yet.

Safe for several threads and processes at once: one short-lived connection per operation, WAL
journal, a busy timeout, and `BEGIN IMMEDIATE` around every write so check-then-insert cannot race.
sqlite3 errors become BackendError here. This module knows nothing of phases or Grid's rules.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from gridsync.errors import BackendError
from gridsync.statedir import ensure_dir, refuse_symlinks

APP_ID = "gridsync-local-control-plane"
SCHEMA_VERSION = "1"
GLOBAL_ID = "prod-2"
BUSY_TIMEOUT_SECONDS = 10.0

_SCHEMA = (
    "CREATE TABLE gridsync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE clusters (id TEXT PRIMARY KEY, body TEXT NOT NULL, created REAL NOT NULL,"
    " queued_until REAL NOT NULL, ready_at REAL NOT NULL, gone_at REAL, failure TEXT)",
    "CREATE TABLE injected_failures (name TEXT PRIMARY KEY, reason TEXT NOT NULL)",
)
_COLUMNS = "body, created, queued_until, ready_at, gone_at, failure"


class Row(NamedTuple):
    """One stored cluster: its wire object as of the last write and its lifecycle timestamps."""

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


# The files SQLite keeps beside a database: the database itself, then its journals.
SIDECAR_SUFFIXES = ("", "-wal", "-shm", "-journal")


def sidecars(path: Path) -> list[Path]:
    """The state file and the journal files SQLite may create next to it, at their exact names."""
    return [path.with_name(path.name + suffix) for suffix in SIDECAR_SUFFIXES]


class Store:
    """The state file at `path`; `seed(conn)` fills a new file inside its creating transaction."""

    def __init__(self, path: Path, *, seed: Callable[[sqlite3.Connection], None]) -> None:
        self.path = path
        self._seed = seed
        self._ready = False
        self._init_lock = threading.Lock()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot (a deferred transaction)."""
        with self._transaction("BEGIN") as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the write lock from its start."""
        with self._transaction("BEGIN IMMEDIATE") as conn:
            yield conn

    def row(self, conn: sqlite3.Connection, cluster_id: str) -> Row | None:
        found = conn.execute(
            f"SELECT {_COLUMNS} FROM clusters WHERE id = ?",  # noqa: S608
            (cluster_id,),
        ).fetchone()
        return None if found is None else self._parse_row(found)

    def rows(self, conn: sqlite3.Connection) -> list[Row]:
        found = conn.execute(f"SELECT {_COLUMNS} FROM clusters").fetchall()  # noqa: S608
        return [self._parse_row(r) for r in found]

    # -- connections -----------------------------------------------------------------------------

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
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            # WAL's NORMAL: a commit survives the process being killed, not a power cut, and
            # is not an fsync each. With FULL, writes of concurrent clients queue on the disk
            # (~140 commits/s here): `local-grid serve` answered 20 parallel creates slower than
            # Grid answers them (bench/, docs/performance.md "Apply over HTTP").
            conn.execute("PRAGMA synchronous = NORMAL")
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
            for path in sidecars(self.path):
                refuse_symlinks(path)
            try:
                ensure_dir(self.path.parent)
            except OSError as exc:
                raise BackendError(f"cannot create the folder of {self.path}: {exc}") from exc
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                self._init_schema(conn)
                conn.execute("COMMIT")
                _use_wal(conn)
            self._ready = True

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "gridsync_meta" in tables:
            meta = read_meta(conn)
            if meta.get("app") != APP_ID or meta.get("schema") != SCHEMA_VERSION:
                raise self._corrupt("it was not written by this version of gridsync")
            return
        if tables:
            raise self._corrupt("it is an SQLite database of something else")
        for statement in _SCHEMA:
            conn.execute(statement)
        meta = {"app": APP_ID, "schema": SCHEMA_VERSION, "default_cluster": GLOBAL_ID}
        conn.executemany("INSERT INTO gridsync_meta (key, value) VALUES (?, ?)", meta.items())
        self._seed(conn)

    # -- errors ----------------------------------------------------------------------------------

    def _parse_row(self, found: tuple[Any, ...]) -> Row:
        try:
            body = json.loads(found[0])
        except (TypeError, ValueError) as exc:
            raise self._corrupt(f"a cluster row is not valid JSON ({exc})") from exc
        if not isinstance(body, dict) or "createdAt" not in body:
            raise self._corrupt("a cluster row is not a Grid cluster object")
        return Row(body, *found[1:])

    def _corrupt(self, why: str) -> BackendError:
        return BackendError(
            f"{self.path} is not a usable gridsync state file: {why}",
            hint="delete it to start over (the local clusters it holds are lost), "
            "or point backend.local.state in gridsync.yaml at another file",
        )

    def _sqlite_error(self, exc: sqlite3.Error) -> BackendError:
        if _is_denied(exc):
            return BackendError(
                f"cannot write the local control plane state {self.path}: {exc}",
                hint=f"make {self.path} and its folder {self.path.parent} writable by this user; "
                "the file itself is intact",
            )
        if _is_busy(exc):
            return BackendError(
                f"the local control plane state {self.path} stayed locked: {exc}",
                hint="another gridsync process is using it; try again when it has finished",
            )
        return self._corrupt(f"SQLite: {exc}")


# -- statements inside a transaction ------------------------------------------------------------


def save_row(conn: sqlite3.Connection, cluster_id: str, row: Row) -> None:
    values = (json.dumps(row.body), row.created, row.queued_until, row.ready_at, row.gone_at)
    conn.execute(
        f"INSERT OR REPLACE INTO clusters (id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (cluster_id, *values, row.failure),
    )


def delete_row(conn: sqlite3.Connection, cluster_id: str) -> None:
    conn.execute("DELETE FROM clusters WHERE id = ?", (cluster_id,))


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM gridsync_meta").fetchall())


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO gridsync_meta (key, value) VALUES (?, ?)", (key, value))


def save_injected_failure(conn: sqlite3.Connection, name: str, reason: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO injected_failures (name, reason) VALUES (?, ?)", (name, reason)
    )


def take_injected_failure(conn: sqlite3.Connection, name: str) -> str | None:
    """The failure injected for `name` before it existed, if any, removed from the table."""
    found = conn.execute("SELECT reason FROM injected_failures WHERE name = ?", (name,)).fetchone()
    conn.execute("DELETE FROM injected_failures WHERE name = ?", (name,))
    return None if found is None else str(found[0])


# -- sqlite plumbing ------------------------------------------------------------------------------


def _is_denied(exc: sqlite3.Error) -> bool:
    """The file or its folder is read-only or cannot be opened: a permission, not damage."""
    name: str = getattr(exc, "sqlite_errorname", "")
    return name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH"))


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
