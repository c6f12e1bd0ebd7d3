"""Apply locks: FileLock between real processes, S3Lock against moto's S3 server."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from gridsync.apply.lock import FileLock, Holder, LockError, open_lock, rfc3339
from gridsync.apply.s3lock import S3Lock
from gridsync.errors import ExitCode, LockTimeout, UsageError

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
KEY = "locks/apply.lock"


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def actions_env(actor: str, run_id: str) -> dict[str, str]:
    return {
        "GITHUB_ACTOR": actor,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/clusters",
        "GITHUB_RUN_ID": run_id,
    }


def make_holder(actor: str, run_id: str = "1", clock: Callable[[], float] = time.time) -> Holder:
    return Holder.current(actions_env(actor, run_id), 60.0, clock)


# --- Holder -----------------------------------------------------------------------------------


def test_holder_in_github_actions_names_actor_and_run() -> None:
    holder = Holder.current(actions_env("alice", "42"), 600.0, FakeClock())
    assert holder.who == "alice"
    assert holder.run_url == "https://github.com/acme/clusters/actions/runs/42"
    assert (holder.started_at, holder.expires_at) == (
        "2027-01-15T08:00:00Z",
        "2027-01-15T08:10:00Z",
    )
    assert holder.pid == os.getpid()
    assert holder.describe() == (
        "held by alice (https://github.com/acme/clusters/actions/runs/42) since "
        "2027-01-15T08:00:00Z (expires 2027-01-15T08:10:00Z)"
    )


def test_holder_outside_actions_is_user_at_host_with_pid() -> None:
    holder = Holder.current({"USER": "bob"}, 60.0, FakeClock())
    assert holder.who.startswith("bob@") and len(holder.who) > len("bob@")
    assert holder.run_url == ""
    assert f"held by {holder.who} (pid {os.getpid()}) since" in holder.describe()


def test_each_acquisition_has_its_own_token() -> None:
    first, second = (Holder.current({}, 60.0, FakeClock()) for _ in range(2))
    assert first.token != second.token and len(first.token) == 32


def test_holder_expiry_and_renewal() -> None:
    holder = Holder.current({}, 60.0, FakeClock())
    assert not holder.expired(T0 + 60) and holder.expired(T0 + 61)
    renewed = holder.renewed(T0 + 50)
    assert renewed.expires_at == rfc3339(T0 + 110)
    assert (renewed.started_at, renewed.token) == (holder.started_at, holder.token)


def test_holder_json_round_trip() -> None:
    holder = make_holder("alice")
    assert Holder.from_json(holder.to_json()) == holder
    assert Holder.from_json(holder.to_json().encode()) == holder


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", '{"who": "a"}', make_holder("a").to_json().replace('"pid": ', '"pid": "1')],
)
def test_holder_from_json_rejects_what_is_not_a_holder(text: str) -> None:
    assert Holder.from_json(text) is None


# --- open_lock --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [None, "", "file"])
def test_open_lock_defaults_to_a_file_under_the_root(spec: str | None, tmp_path: Path) -> None:
    lock = open_lock(spec, tmp_path, make_holder("alice"))
    assert isinstance(lock, FileLock)
    assert lock.path == tmp_path / ".gridsync" / "apply.lock"


def test_open_lock_s3_url() -> None:
    lock = open_lock("s3://ci-locks/team/apply.lock", Path("."), make_holder("a"), poll=0.1)
    assert isinstance(lock, S3Lock)
    assert (lock.location.bucket, lock.location.key) == ("ci-locks", "team/apply.lock")


@pytest.mark.parametrize("spec", ["gs://b/k", "s3://bucket", "s3:///key", "s3://b/dir/", "nfs"])
def test_open_lock_rejects_other_specs(spec: str) -> None:
    with pytest.raises(UsageError, match="lock"):
        open_lock(spec, Path("."), make_holder("a"))


# --- FileLock ---------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from gridsync.apply.lock import FileLock, Holder
    lock = FileLock(Path(sys.argv[1]), Holder.current(os.environ, 60.0, time.time))
    lock.acquire(0)
    print("locked", flush=True)
    sys.stdin.readline()
    lock.release()
    print("released", flush=True)
    sys.stdin.readline()
    """
)


@contextmanager
def child_holding(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process (actor alice) holding the file lock until told to release it."""
    env = {**os.environ, "GITHUB_ACTOR": "alice"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        assert proc.stdout.readline() == "locked\n"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()


def test_file_lock_waits_then_times_out_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / ".gridsync" / "apply.lock"
    with child_holding(path) as child:
        lock = FileLock(path, make_holder("bob"), poll=0.05)
        start = time.monotonic()
        with pytest.raises(LockTimeout) as info:
            lock.acquire(0.3)
        assert time.monotonic() - start >= 0.3
        assert f"held by alice (pid {child.pid}) since" in str(info.value)
        assert info.value.exit_code == ExitCode.LOCK_TIMEOUT
        assert not lock.held

        assert child.stdin is not None and child.stdout is not None
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline() == "released\n"
        lock.acquire(0)
        assert Holder.from_json(path.read_text()) == lock.holder
        lock.release()
    assert path.read_text() == ""


def test_file_lock_of_a_killed_holder_is_released_by_the_os(tmp_path: Path) -> None:
    path = tmp_path / "apply.lock"
    with child_holding(path) as child:
        lock = FileLock(path, make_holder("bob"), poll=0.05)
        killer = threading.Timer(0.2, child.kill)
        killer.start()
        start = time.monotonic()
        lock.acquire(5.0)  # waits for the SIGKILL, then gets the lock
        killer.join()
        assert 0.2 <= time.monotonic() - start < 5.0
        assert child.wait() == -9
        assert Holder.from_json(path.read_text()) == lock.holder
        lock.release()


def test_file_lock_as_context_manager_and_idempotent_release(tmp_path: Path) -> None:
    path = tmp_path / "apply.lock"
    with FileLock(path, make_holder("alice")) as first:
        assert first.held
        other = FileLock(path, make_holder("bob"))  # another open file: flock excludes it too
        with pytest.raises(LockTimeout, match="held by alice"):
            other.acquire(0)
    assert not first.held
    first.release()
    with FileLock(path, make_holder("bob")) as second:
        assert second.held


def test_file_lock_unusable_path_is_a_lock_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    lock = FileLock(tmp_path / "file" / "apply.lock", make_holder("alice"))
    with pytest.raises(LockError, match="cannot open the apply lock file"):
        lock.acquire(0)


# --- S3Lock -----------------------------------------------------------------------------------


@pytest.fixture
def s3(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """moto's endpoint and a fresh bucket (unique name: the server is shared by the session)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"gridsync-locks-{uuid.uuid4().hex[:12]}"
    s3_client(moto_server).create_bucket(Bucket=bucket)
    yield moto_server, bucket


def s3_client(endpoint: str) -> Any:
    return boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1")


def s3_lock(s3: tuple[str, str], holder: Holder, **kwargs: Any) -> S3Lock:
    endpoint, bucket = s3
    kwargs.setdefault("endpoint_url", endpoint)
    return S3Lock(f"s3://{bucket}/{KEY}", holder, poll=0.05, **kwargs)


def stored(s3: tuple[str, str]) -> Holder | None:
    """The holder in the lock object, or None when there is no object."""
    endpoint, bucket = s3
    client = s3_client(endpoint)
    if client.list_objects_v2(Bucket=bucket, Prefix=KEY).get("KeyCount", 0) == 0:
        return None
    holder = Holder.from_json(client.get_object(Bucket=bucket, Key=KEY)["Body"].read())
    assert holder is not None
    return holder


def test_s3_two_contenders_at_once_exactly_one_wins(s3: tuple[str, str]) -> None:
    holders = [make_holder("alice", "101"), make_holder("bob", "202")]
    clients = [s3_client(s3[0]) for _ in holders]  # built before the barrier: the race is the put
    locks = [
        s3_lock(s3, h, client_factory=lambda c=c: c) for h, c in zip(holders, clients, strict=True)
    ]
    barrier = threading.Barrier(len(locks))
    outcome: dict[int, LockTimeout | None] = {}

    def contend(i: int) -> None:
        barrier.wait()
        try:
            locks[i].acquire(0.3)
            outcome[i] = None
        except LockTimeout as exc:
            outcome[i] = exc

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(locks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [i for i, error in outcome.items() if error is None]
    assert len(winners) == 1 and len(outcome) == 2
    winner, loser = winners[0], 1 - winners[0]
    message = str(outcome[loser])
    assert f"held by {holders[winner].who} ({holders[winner].run_url}) since" in message
    assert f"s3://{s3[1]}/{KEY}" in message
    assert stored(s3) == holders[winner]


def test_s3_release_then_acquire(s3: tuple[str, str]) -> None:
    alice, bob = s3_lock(s3, make_holder("alice", "1")), s3_lock(s3, make_holder("bob", "2"))
    alice.acquire(0)
    with pytest.raises(LockTimeout, match=r"held by alice \(https://github.com/acme/clusters/"):
        bob.acquire(0)
    alice.release()
    assert stored(s3) is None
    bob.acquire(0)
    alice.release()  # again: not held any more, must not touch bob's lock
    assert stored(s3) == bob.holder


def test_s3_release_by_a_non_holder_does_nothing(s3: tuple[str, str]) -> None:
    alice, bob = s3_lock(s3, make_holder("alice")), s3_lock(s3, make_holder("bob"))
    alice.acquire(0)
    bob.release()
    assert stored(s3) == alice.holder


def test_s3_expired_lock_is_taken_over_and_the_old_holder_cannot_release_it(
    s3: tuple[str, str],
) -> None:
    clock = FakeClock()
    alice = s3_lock(s3, make_holder("alice", "1", clock), clock=clock)
    alice.acquire(0)
    clock.now = T0 + 59  # not expired yet
    bob = s3_lock(s3, make_holder("bob", "2", clock), clock=clock)
    with pytest.raises(LockTimeout, match="held by alice"):
        bob.acquire(0)
    clock.now = T0 + 61
    bob.acquire(0)
    assert stored(s3) == bob.holder

    alice.release()  # alice still thinks she holds it: her release must leave bob's lock alone
    assert stored(s3) == bob.holder

    clock.now = T0 + 59 + 61  # bob's run is abandoned too: carol takes over, bob's refresh fails
    carol = s3_lock(s3, make_holder("carol", "3", clock), clock=clock)
    carol.acquire(0)
    with pytest.raises(LockError, match="lost the apply lock") as info:
        bob.refresh()
    assert "expired at 2027-01-15T08:01:59Z (PreconditionFailed)" in str(info.value)
    assert not bob.held and stored(s3) == carol.holder


def test_s3_refresh_extends_expiry(s3: tuple[str, str]) -> None:
    clock = FakeClock()
    alice = s3_lock(s3, make_holder("alice", "1", clock), clock=clock)
    alice.acquire(0)
    clock.now = T0 + 50
    alice.refresh()
    current = stored(s3)
    assert current is not None and current.expires_at == rfc3339(T0 + 110)
    assert current.token == alice.holder.token

    clock.now = T0 + 100  # past the first expiry, within the refreshed one
    bob = s3_lock(s3, make_holder("bob", "2", clock), clock=clock)
    with pytest.raises(LockTimeout, match="held by alice"):
        bob.acquire(0)
    alice.release()  # the refreshed object (new ETag) is still released
    assert stored(s3) is None


class DeleteInterleaved:
    """An S3 client that runs `before` once, just before this client's first DeleteObject."""

    def __init__(self, client: Any, before: Callable[[], None]) -> None:
        self._client = client
        self._before: Callable[[], None] | None = before

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def delete_object(self, **params: Any) -> Any:
        if self._before is not None:
            before, self._before = self._before, None
            before()
        return self._client.delete_object(**params)


def test_s3_two_takers_of_an_expired_lock_cannot_both_win(s3: tuple[str, str]) -> None:
    clock = FakeClock()
    s3_lock(s3, make_holder("alice", "1", clock), clock=clock).acquire(0)
    clock.now = T0 + 61
    carol = s3_lock(s3, make_holder("carol", "3", clock), clock=clock)
    # bob read alice's expired lock; carol takes it over before bob's delete reaches S3.
    client = DeleteInterleaved(s3_client(s3[0]), lambda: carol.acquire(0))
    bob = s3_lock(s3, make_holder("bob", "2", clock), clock=clock, client_factory=lambda: client)
    with pytest.raises(LockTimeout, match="held by carol"):
        bob.acquire(0)
    assert carol.held and not bob.held
    assert stored(s3) == carol.holder


def test_s3_context_manager(s3: tuple[str, str]) -> None:
    with s3_lock(s3, make_holder("alice"), timeout=1.0) as lock:
        assert stored(s3) == lock.holder
    assert stored(s3) is None


def test_s3_unreadable_lock_object_is_never_taken_over(s3: tuple[str, str]) -> None:
    endpoint, bucket = s3
    s3_client(endpoint).put_object(Bucket=bucket, Key=KEY, Body=b"not json")
    clock = FakeClock(T0 + 10**6)
    with pytest.raises(LockTimeout, match="unreadable lock object") as info:
        s3_lock(s3, make_holder("bob", "2", clock), clock=clock).acquire(0)
    assert f"delete s3://{bucket}/{KEY}" in str(info.value)


def test_s3_missing_bucket_is_a_lock_error_naming_bucket_key_and_code(
    s3: tuple[str, str],
) -> None:
    lock = S3Lock(f"s3://no-such-bucket-here/{KEY}", make_holder("a"), endpoint_url=s3[0])
    with pytest.raises(LockError) as info:
        lock.acquire(0)
    message = str(info.value)
    assert "bucket no-such-bucket-here" in message and f"key {KEY}" in message
    assert "NoSuchBucket" in message and "create bucket no-such-bucket-here" in message


def test_s3_refresh_without_holding_is_a_lock_error(s3: tuple[str, str]) -> None:
    with pytest.raises(LockError, match="not held"):
        s3_lock(s3, make_holder("a")).refresh()
