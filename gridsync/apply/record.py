"""What gridsync last applied, per cluster, so drift can tell "changed in Grid" from "not applied",
and so a protection outlives the file that declared it.

Each cluster an apply leaves in place is recorded with a digest of its managed spec (secrets
hashed in, never stored), its public fields and whether it is protected. A delete is written
ahead: the entry is marked `deleting` before the request is sent and dropped once the cluster is
gone, so an apply killed at any point leaves a record that is still true. The record lives next to
the lock: `.gridsync/applied.json` (per project), or beside an S3 lock (`s3://bucket/key` ->
`s3://bucket/key.applied.json`) so CI runs share it. It is read and checked before apply changes
anything; a record of a version this gridsync does not know is refused, never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from gridsync.apply.stores import FileStore, S3Store, Store, store_for
from gridsync.errors import GridsyncError
from gridsync.live.backend import LiveCluster
from gridsync.redact import SECRETS, mask_strings
from gridsync.spec import AppliedEntry as Entry
from gridsync.spec import ClusterSpec, public_fields, spec_digest

__all__ = [
    "VERSION",
    "AppliedRecord",
    "FileStore",
    "RecordJournal",
    "S3Store",
    "Store",
    "store_for",
]

VERSION = 2  # 2 added `protect` and `deleting`; version 1 records are read and upgraded
_KNOWN = (1, VERSION)
_FIELDS = {"digest": str, "public": dict, "applied_at": str, "protect": bool, "deleting": bool}
_REQUIRED = ("digest", "public", "applied_at")


class AppliedRecord:
    """One project's record. Apply holds the project's lock, so the entries are read once and
    kept; every change is written through at once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._entries: dict[str, Entry] | None = None
        self._read = False
        # Each entry as last written (masked at a generation of the secrets): a write during an
        # apply of N clusters re-masks only the entries that changed, not all N.
        self._written: dict[str, tuple[Entry, int, str]] = {}
        # Each cluster's digest and public fields by the spec they were computed from: the end of
        # an apply records every cluster again, mostly the very specs its poll rounds recorded.
        self._summaries: dict[str, tuple[ClusterSpec, str, dict[str, Any]]] = {}

    def load(self) -> dict[str, Entry] | None:
        """None when nothing was ever recorded; GridsyncError (nothing changed) when unusable."""
        if not self._read:
            data = self.store.read()
            self._entries = None if data is None else _parse(data, self.store.where)
            self._read = True
        return None if self._entries is None else dict(self._entries)

    def update(
        self, kept: Iterable[LiveCluster], removed: Iterable[str], protected: Iterable[str] = ()
    ) -> None:
        """Record the clusters left in place as live has them (`protected`: those declared with
        protect: true) and forget the ones that are gone."""
        entries = self.load() or {}
        shielded = set(protected)
        changed = False
        now = _now()
        for cluster in kept:
            if cluster.spec is None:
                continue
            digest, public = self._summary(cluster.name, cluster.spec)
            protect = cluster.name in shielded
            old = entries.get(cluster.name)
            if old is not None and (old.digest, old.public, old.protect, old.deleting) == (
                digest,
                public,
                protect,
                False,
            ):
                continue  # as recorded: it was applied then, not now (and nothing to write)
            entries[cluster.name] = Entry(digest, public, now, protect=protect)
            changed = True
        for name in removed:
            changed = entries.pop(name, None) is not None or changed
        if changed or not self._read or self._entries is None:
            self._write(entries)

    def deleting(self, *names: str) -> None:
        """Written before deletes are requested (one write for all): from now on, each cluster
        gone is no drift."""
        entries = self.load() or {}
        for name in names:
            entry = entries.get(name) or Entry("", {}, _now())
            entries[name] = Entry(entry.digest, entry.public, entry.applied_at, entry.protect, True)
        self._write(entries)

    def forget(self, names: Iterable[str]) -> None:
        """Drop clusters that are gone."""
        entries = self.load() or {}
        dropped = [name for name in names if entries.pop(name, None) is not None]
        if dropped:
            self._write(entries)

    def _write(self, entries: Mapping[str, Entry]) -> None:
        """The whole record, one cluster per line, each line kept as last written (json's C
        encoder; `indent=` takes its pure-Python one, 60 ms for 1,000 entries, and deletes are
        written ahead about once a second)."""
        lines = ",\n".join(self._line(name, entry) for name, entry in sorted(entries.items()))
        clusters = f"{{\n{lines}\n  }}" if lines else "{}"
        text = f'{{\n  "version": {VERSION},\n  "clusters": {clusters}\n}}\n'
        self.store.write(text.encode())
        self._entries, self._read = dict(entries), True

    def _summary(self, name: str, spec: ClusterSpec) -> tuple[str, dict[str, Any]]:
        known = self._summaries.get(name)
        if known is not None and known[0] is spec:
            return known[1], known[2]
        digest, public = spec_digest(spec), public_fields(spec)
        self._summaries[name] = (spec, digest, public)
        return digest, public

    def _line(self, name: str, entry: Entry) -> str:
        generation = SECRETS.generation
        written = self._written.get(name)
        if written is not None and written[0] is entry and written[1] == generation:
            return written[2]
        line = f"    {json.dumps(name)}: {json.dumps(_entry_data(entry))}"
        self._written[name] = (entry, generation, line)
        return line


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_data(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "digest": entry.digest,
        # public values from ${env:} are secrets of the run too: masked, like every output
        "public": mask_strings(dict(entry.public)),
        "applied_at": entry.applied_at,
    }
    if entry.protect:
        data["protect"] = True
    if entry.deleting:
        data["deleting"] = True
    return data


# --- reading it back: every problem is found before apply changes anything ----------------------


class _Damaged(Exception):
    pass


def _parse(data: bytes, where: str) -> dict[str, Entry]:
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise _unusable(where, f"it is not JSON ({exc})") from exc
    try:
        return _entries(raw)
    except _Damaged as exc:
        raise _unusable(where, str(exc)) from exc
    except _Newer as exc:
        raise GridsyncError(
            f"the apply record {where} has version {exc.version}, written by a newer gridsync "
            f"(this one reads versions {_KNOWN[0]} to {VERSION}); nothing was changed and the "
            "record was left as it is",
            hint="upgrade gridsync to the version that wrote it (`pip install -U gridsync`)",
        ) from exc


class _Newer(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


def _entries(raw: Any) -> dict[str, Entry]:
    if not isinstance(raw, dict):
        raise _Damaged("it is not a JSON object")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Damaged(f"'version' is {version!r}, not a record version")
    if version > VERSION:
        raise _Newer(version)
    clusters = raw.get("clusters")
    if not isinstance(clusters, dict):
        raise _Damaged(
            f"'clusters' must be an object of cluster name -> entry, not {type(clusters).__name__}"
        )
    return {name: _entry(name, value) for name, value in clusters.items()}


def _entry(name: str, value: Any) -> Entry:
    if not isinstance(value, dict):
        raise _Damaged(f"clusters.{name} is not an object")
    for key, kind in _FIELDS.items():
        if key in value and not isinstance(value[key], kind):
            raise _Damaged(f"clusters.{name}.{key} must be a {kind.__name__}")
    missing = [key for key in _REQUIRED if key not in value]
    unknown = sorted(set(value) - set(_FIELDS))
    if missing or unknown:
        what = (
            f"lacks {', '.join(missing)}" if missing else f"has unknown keys {', '.join(unknown)}"
        )
        raise _Damaged(f"clusters.{name} {what}")
    return Entry(**value)


def _unusable(where: str, why: str) -> GridsyncError:
    return GridsyncError(
        f"the apply record {where} cannot be used: {why}; nothing was changed",
        hint=(
            "it holds what gridsync last applied (for drift) and which clusters are protected: "
            "restore it (from a backup, or the S3 object's previous version); or, if it cannot be "
            f"restored, move it aside (e.g. `mv {where} {where}.damaged`): the next apply records "
            "afresh, and forgets protections whose files were removed"
        ),
    )


class RecordJournal:
    """The executor's journal (apply/executor.py `Journal`) writing through to a record: one
    write per call, however many clusters it names."""

    def __init__(self, record: AppliedRecord) -> None:
        self.record = record

    def deleting(self, names: Sequence[str]) -> None:
        self.record.deleting(*names)

    def gone(self, names: Sequence[str]) -> None:
        self.record.forget(names)

    def running(self, clusters: Sequence[tuple[LiveCluster, bool]]) -> None:
        protected = [cluster.name for cluster, protect in clusters if protect]
        self.record.update([cluster for cluster, _ in clusters], [], protected)
