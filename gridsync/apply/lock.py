"""Apply locks: one `gridsync apply` at a time per project.

Two kinds, chosen by `lock:` in gridsync.yaml (`open_lock`):

- `FileLock` (the default, `.gridsync/apply.lock` under the project root): `fcntl.flock` on the file,
  so it guards one machine. The OS drops a crashed holder's flock, so it never goes stale; the holder
  JSON written into the file is only there to tell waiters who they wait for. POSIX only (fcntl).
- `S3Lock` (`lock: s3://bucket/key`, in gridsync.apply.s3lock): an S3 object written with a
  conditional put, for CI runners that share no disk. An abandoned object expires (`Holder.expires_at`)
  and is taken over; a long apply calls `S3Lock.refresh` to push its expiry out.

A waiter that gives up raises `LockTimeout` (exit 5) naming the holder: who, which run, since when.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from gridsync.errors import GridsyncError, LockTimeout, UsageError
from gridsync.statedir import ensure_dir, refuse_symlinks

DEFAULT_LOCK_PATH = Path(".gridsync") / "apply.lock"

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class LockError(GridsyncError):
    """The lock could not be taken, read, refreshed or released (other than by waiting too long)."""


def rfc3339(seconds: float) -> str:
    """`seconds` since the epoch as RFC 3339 UTC, to the second: 2026-01-31T12:00:00Z."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> float:
    """Seconds since the epoch; a time without an offset is taken as UTC. ValueError if malformed."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: shown to whoever waits."""

    who: str  # actor: GITHUB_ACTOR, else $USER@hostname
    run_url: str  # the GitHub Actions run, else ""
    started_at: str  # RFC 3339 UTC
    expires_at: str  # RFC 3339 UTC: started_at + ttl (abandoned locks expire)
    pid: int
    token: str  # random id of this acquisition (release only what you hold)

    @classmethod
    def current(cls, env: Mapping[str, str], ttl: float, clock: Clock) -> Holder:
        """This process, about to take a lock that expires `ttl` seconds from now."""
        now = clock()
        return cls(
            who=env.get("GITHUB_ACTOR") or f"{_user(env)}@{socket.gethostname()}",
            run_url=_run_url(env),
            started_at=rfc3339(now),
            expires_at=rfc3339(now + ttl),
            pid=os.getpid(),
            token=secrets.token_hex(16),
        )

    def describe(self) -> str:
        """'held by alice (https://github.com/o/r/actions/runs/1) since ... (expires ...)'."""
        where = self.run_url or f"pid {self.pid}"
        return f"held by {self.who} ({where}) since {self.started_at} (expires {self.expires_at})"

    def expired(self, now: float) -> bool:
        """True once `expires_at` has passed; a malformed time counts as never expiring."""
        try:
            return parse_rfc3339(self.expires_at) < now
        except ValueError:
            return False

    def renewed(self, now: float) -> Holder:
        """The same acquisition, expiring one ttl (expires_at - started_at) after `now`."""
        ttl = parse_rfc3339(self.expires_at) - parse_rfc3339(self.started_at)
        return replace(self, expires_at=rfc3339(now + ttl))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Holder | None:
        """The holder written by `to_json`, or None when the text is not one (empty, partial, other)."""
        try:
            raw = json.loads(text)
        except ValueError:
            return None
        if not isinstance(raw, dict):
            return None
        return _holder_from_dict(raw)


def _holder_from_dict(raw: dict[str, Any]) -> Holder | None:
    values: dict[str, Any] = {}
    for spec in fields(Holder):
        value = raw.get(spec.name)
        wanted = int if spec.name == "pid" else str
        if type(value) is not wanted:
            return None
        values[spec.name] = value
    return Holder(**values)


def _user(env: Mapping[str, str]) -> str:
    return env.get("USER") or env.get("USERNAME") or env.get("LOGNAME") or "unknown"


def _run_url(env: Mapping[str, str]) -> str:
    repository, run_id = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if not (repository and run_id):
        return ""
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    return f"{server}/{repository}/actions/runs/{run_id}"


class Lock(Protocol):
    """What apply needs of a lock; `with lock:` acquires (if not yet held) and releases."""

    def acquire(self, timeout: float) -> None: ...

    def release(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def wait_for(
    attempt: Callable[[], str | None], timeout: float, clock: Clock, sleep: Sleep, poll: float
) -> str | None:
    """Call `attempt` until it returns None (acquired) or `timeout` seconds have passed.

    `attempt` returns None on success, else what blocks it (a holder's `describe()`); the last of those
    is returned on timeout. `timeout` 0 tries exactly once.
    """
    deadline = clock() + timeout
    while True:
        blocker = attempt()
        if blocker is None:
            return None
        remaining = deadline - clock()
        if remaining <= 0:
            return blocker
        sleep(min(poll, remaining))


def timeout_error(where: str, timeout: float, blocker: str, hint: str) -> LockTimeout:
    return LockTimeout(
        f"could not take the apply lock {where} within {timeout:g}s: it is {blocker}", hint=hint
    )


class ContextLock:
    """`with lock:` acquires with the lock's own `timeout` and always releases."""

    timeout: float

    def acquire(self, timeout: float) -> None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.acquire(self.timeout)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class FileLock(ContextLock):
    """`flock` on a file under the project root; the holder JSON inside tells waiters who holds it.

    POSIX only. The file is never deleted: unlinking a flocked file lets a waiter lock the old inode
    while a newcomer creates and locks a new one. Release truncates it and drops the flock.
    """

    def __init__(
        self,
        path: Path,
        holder: Holder,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        poll: float = 0.5,
        timeout: float = 0.0,  # what `with lock:` waits
    ) -> None:
        self.path = path
        self.holder = holder
        self.timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._poll = poll
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, timeout: float) -> None:
        """Take the lock, waiting up to `timeout` seconds; LockTimeout names the holder if not."""
        if self.held:
            return
        blocker = wait_for(self._try_once, timeout, self._clock, self._sleep, self._poll)
        if blocker is not None:
            hint = "wait for that run to finish, then retry (or wait longer for the lock)"
            raise timeout_error(str(self.path), timeout, blocker, hint)

    def release(self) -> None:
        """Drop the lock if this object holds it; calling it again does nothing."""
        import fcntl

        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _try_once(self) -> str | None:
        import fcntl

        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            blocker = _describe_file_holder(fd)
            os.close(fd)
            return blocker
        except BaseException:
            os.close(fd)
            raise
        try:
            self._write_holder(fd)
        except BaseException:
            os.close(fd)  # drops the flock too
            raise
        self._fd = fd
        return None

    def _open(self) -> int:
        try:
            ensure_dir(self.path.parent)
            refuse_symlinks(self.path)
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise LockError(
                f"cannot open the apply lock file {self.path}: {exc.strerror or exc}",
                hint="check that the project directory is writable",
            ) from exc

    def _write_holder(self, fd: int) -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, self.holder.to_json().encode(), 0)


def _describe_file_holder(fd: int) -> str:
    holder = Holder.from_json(os.pread(fd, 64 * 1024, 0))
    if holder is None:  # it has the flock but has not written itself in yet
        return "held by another process (not yet identified)"
    return holder.describe()


def open_lock(spec: str | None, root: Path, holder: Holder, **kwargs: Any) -> Lock:
    """The lock `lock:` in gridsync.yaml names: None, "" or "file" -> FileLock under `root`;
    "s3://bucket/key" -> S3Lock. `kwargs` go to the lock's constructor (clock, sleep, poll, ...)."""
    if not spec or spec == "file":
        return FileLock(root / DEFAULT_LOCK_PATH, holder, **kwargs)
    if spec.startswith("s3://"):
        from gridsync.apply.s3lock import S3Lock

        return S3Lock(spec, holder, **kwargs)
    raise UsageError(
        f"unknown lock {spec!r} in gridsync.yaml",
        hint='use `lock: file` (the default) or `lock: "s3://bucket/key"`',
    )
