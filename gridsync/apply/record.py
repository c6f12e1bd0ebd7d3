"""What gridsync last applied, per cluster, so drift can tell "changed in Grid" from "not applied".

After an apply, each cluster it left in place is recorded with a digest of its managed spec
(secrets hashed in, never stored) and its public fields; deleted clusters are dropped. The record
lives next to the lock: `.gridsync/applied.json` (per project), or beside an S3 lock
(`s3://bucket/key` -> `s3://bucket/key.applied.json`) so CI runs share it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from gridsync.errors import GridsyncError
from gridsync.live.backend import LiveCluster
from gridsync.model import AppliedEntry as Entry
from gridsync.model import public_fields, spec_digest
from gridsync.redact import mask_strings
from gridsync.statedir import ensure_dir, refuse_symlinks

VERSION = 1


class Store(Protocol):
    def read(self) -> bytes | None: ...
    def write(self, data: bytes) -> None: ...
    @property
    def where(self) -> str: ...


class FileStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def where(self) -> str:
        return str(self.path)

    def read(self) -> bytes | None:
        refuse_symlinks(self.path)
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise GridsyncError(f"cannot read the apply record {self.path}: {exc}") from exc

    def write(self, data: bytes) -> None:
        ensure_dir(self.path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, self.path)


class S3Store:
    def __init__(self, url: str, endpoint_url: str | None = None) -> None:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        self.bucket, self.key = bucket, key
        self.endpoint_url = endpoint_url

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def _client(self) -> Any:
        import boto3  # type: ignore[import-untyped]  # lazy: slow import

        return boto3.client("s3", endpoint_url=self.endpoint_url)

    def read(self) -> bytes | None:
        try:
            body: bytes = self._client().get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except _boto_errors() as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                return None
            raise GridsyncError(f"cannot read the apply record {self.where}: {exc}") from exc
        return body

    def write(self, data: bytes) -> None:
        try:
            self._client().put_object(Bucket=self.bucket, Key=self.key, Body=data)
        except _boto_errors() as exc:
            raise GridsyncError(f"cannot write the apply record {self.where}: {exc}") from exc


def _boto_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    return BotoCoreError, ClientError


def store_for(lock: str | None, root: Path, project: str | None) -> Store:
    if lock and lock.startswith("s3://"):
        return S3Store(f"{lock}.applied.json")
    name = f"applied-{project}.json" if project else "applied.json"
    return FileStore(root / ".gridsync" / name)


class AppliedRecord:
    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self) -> dict[str, Entry] | None:
        """None when nothing was ever recorded."""
        data = self.store.read()
        if data is None:
            return None
        try:
            raw = json.loads(data)
            return {name: Entry(**entry) for name, entry in raw["clusters"].items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise GridsyncError(
                f"the apply record {self.store.where} is damaged ({exc}); delete it"
            ) from exc

    def update(self, kept: Iterable[LiveCluster], removed: Iterable[str]) -> None:
        entries = self.load() or {}
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for cluster in kept:
            if cluster.spec is not None:
                entries[cluster.name] = Entry(
                    spec_digest(cluster.spec), public_fields(cluster.spec), now
                )
        for name in removed:
            entries.pop(name, None)
        clusters = {
            # public values from ${env:} are secrets of the run too: masked, like every output
            n: {
                "digest": e.digest,
                "public": mask_strings(dict(e.public)),
                "applied_at": e.applied_at,
            }
            for n, e in sorted(entries.items())
        }
        self.store.write(
            json.dumps({"version": VERSION, "clusters": clusters}, indent=2).encode() + b"\n"
        )
