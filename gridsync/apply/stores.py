"""Where the apply record is kept: a file under `.gridsync/`, or an S3 object beside the lock.

A file is replaced atomically (a synced temporary file renamed over it), so a reader, or a run
killed half way, sees the old record or the new one, never a mix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from gridsync.atomicfile import write_atomic
from gridsync.errors import GridsyncError
from gridsync.infra.awssession import s3_client
from gridsync.statedir import ensure_dir, refuse_symlinks


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
            raise GridsyncError(
                f"cannot read the apply record {self.path}: {exc.strerror or exc}",
                hint="check that this user may read it and its folder; the file was not changed",
            ) from exc

    def write(self, data: bytes) -> None:
        try:
            ensure_dir(self.path.parent)
            write_atomic(self.path, data)
        except OSError as exc:
            raise self._unwritable(exc) from exc

    def _unwritable(self, exc: OSError) -> GridsyncError:
        return GridsyncError(
            f"cannot write the apply record {self.path}: {exc.strerror or exc}",
            hint=(
                f"make {self.path.parent} writable by this user and run apply again; the record "
                "was left as it was, and rerunning apply converges"
            ),
        )


class S3Store:
    def __init__(self, url: str, endpoint_url: str | None = None) -> None:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        self.bucket, self.key = bucket, key
        self.endpoint_url = endpoint_url

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def _client(self) -> Any:
        return s3_client(self.endpoint_url)

    def read(self) -> bytes | None:
        try:
            body: bytes = self._client().get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except _boto_errors() as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                return None
            raise GridsyncError(f"cannot read the apply record {self.where}: {exc}") from exc
        return body

    def write(self, data: bytes) -> None:  # a PUT replaces the object whole: atomic
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
