"""The S3 apply lock (`lock: s3://bucket/key`): for CI runners that share no disk.

The lock is one object holding the holder's JSON. Every step is a conditional S3 request, so two
runs can never both believe they hold it:

- acquire: `PutObject If-None-Match: *` creates the object only if there is none (else 412
  PreconditionFailed, or 409 ConditionalRequestConflict while another write is in flight). When
  refused, read the holder; if it has expired (an abandoned run), `DeleteObject If-Match: <the ETag
  read>` removes exactly that object (a second taker's delete fails), then put again.
- refresh: `PutObject If-Match: <our ETag>` pushes our expiry out, or fails if we were taken over.
- release: read the object and delete it (`If-Match` its ETag) only when its token is ours.

Conditional deletes (`If-Match` on DeleteObject) are in botocore's DeleteObject parameters and moto
5.x honours them; an S3-compatible store that ignores the header degrades release and takeover to
compare-then-delete (still guarded by the token check). boto3 is imported lazily.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

from gridsync.apply.lock import (
    Clock,
    ContextLock,
    Holder,
    LockError,
    Sleep,
    timeout_error,
    wait_for,
)
from gridsync.errors import UsageError
from gridsync.infra.awssession import s3_client

CONTENDED = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
GONE = frozenset({"NoSuchKey", "404"})
MAX_BODY = 64 * 1024


class S3Location(NamedTuple):
    bucket: str
    key: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        if not url.startswith("s3://") or not bucket or not key or key.endswith("/"):
            raise UsageError(
                f"lock {url!r} in gridsync.yaml is not an S3 object URL",
                hint='write it as `lock: "s3://bucket/path/to/apply.lock"`',
            )
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class _Refused(Exception):
    """S3 refused a request in an expected way (a failed condition, a missing key)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class S3Lock(ContextLock):
    """An apply lock held as an S3 object; see the module docstring for the protocol."""

    def __init__(
        self,
        url: str,
        holder: Holder,
        *,
        client_factory: Callable[[], Any] | None = None,
        endpoint_url: str | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        poll: float = 2.0,
        timeout: float = 0.0,  # what `with lock:` waits
    ) -> None:
        self.location = S3Location.parse(url)
        self.holder = holder
        self.timeout = timeout
        self._client_factory = client_factory or (lambda: s3_client(endpoint_url))
        self._client: Any = None
        self._clock = clock
        self._sleep = sleep
        self._poll = poll
        self._etag: str | None = None  # of the object we wrote, while we hold the lock

    @property
    def held(self) -> bool:
        return self._etag is not None

    def acquire(self, timeout: float) -> None:
        """Take the lock, waiting up to `timeout` seconds; LockTimeout names the holder if not."""
        if self.held:
            return
        blocker = wait_for(self._try_once, timeout, self._clock, self._sleep, self._poll)
        if blocker is not None:
            hint = (
                "wait for that run to finish, then retry (or wait longer for the lock); if that "
                f"run is gone, the lock is taken over once it expires, or delete {self.location}"
            )
            raise timeout_error(str(self.location), timeout, blocker, hint)

    def refresh(self) -> None:
        """Push our expiry one ttl past now; LockError if we do not hold the lock any more."""
        if self._etag is None:
            raise LockError(f"cannot refresh the apply lock {self.location}: it is not held")
        renewed = self.holder.renewed(self._clock())
        try:
            reply = self._call(
                "refresh", "put_object", GONE | CONTENDED, **self._body(renewed), IfMatch=self._etag
            )
        except _Refused as exc:
            self._etag = None
            raise LockError(
                f"lost the apply lock {self.location}: it was taken over or deleted after it "
                f"expired at {self.holder.expires_at} ({exc.code})",
                hint="another apply may be running now; refresh the lock more often than its ttl",
            ) from None
        self.holder, self._etag = renewed, str(reply["ETag"])

    def release(self) -> None:
        """Delete the lock object if it is still ours (our token); calling it again does nothing."""
        if self._etag is None:
            return
        current = self._read()
        if current is not None and current[0] is not None and current[0].token == self.holder.token:
            self._delete_if(current[1])
        self._etag = None

    def _try_once(self) -> str | None:
        blocker = "being changed by other runs"
        for _ in range(3):  # the object may vanish or be taken over between our requests
            if self._put_new():
                return None
            current = self._read()
            if current is None:
                continue  # released in between: try again now
            holder, etag = current
            if holder is None:
                return f"held by an unreadable lock object (ETag {etag})"
            if holder.token == self.holder.token:  # our own put, retried after a lost reply
                self._etag = etag
                return None
            if not holder.expired(self._clock()):
                return holder.describe()
            blocker = f"{holder.describe()}, expired, and being taken over"
            self._delete_if(etag)  # only the object we read: a concurrent taker's delete fails
        return blocker

    def _put_new(self) -> bool:
        try:
            reply = self._call(
                "take", "put_object", CONTENDED, **self._body(self.holder), IfNoneMatch="*"
            )
        except _Refused:
            return False
        self._etag = str(reply["ETag"])
        return True

    def _read(self) -> tuple[Holder | None, str] | None:
        """The holder in the object (None if unreadable) and its ETag; None if there is no object."""
        try:
            reply = self._call("read", "get_object", GONE)
        except _Refused:
            return None
        return Holder.from_json(reply["Body"].read(MAX_BODY)), str(reply["ETag"])

    def _delete_if(self, etag: str) -> bool:
        try:
            self._call("delete", "delete_object", GONE | CONTENDED, IfMatch=etag)
        except _Refused:
            return False
        return True

    def _body(self, holder: Holder) -> dict[str, Any]:
        return {"Body": holder.to_json().encode(), "ContentType": "application/json"}

    def _call(self, action: str, method: str, expected: frozenset[str], **params: Any) -> Any:
        """One S3 request on the lock object; `expected` error codes raise _Refused, others LockError."""
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        try:
            if self._client is None:
                self._client = self._client_factory()
            call = getattr(self._client, method)
            return call(Bucket=self.location.bucket, Key=self.location.key, **params)
        except ClientError as exc:
            code = _error_code(exc)
            if code in expected:
                raise _Refused(code) from exc
            raise _client_error(self.location, action, exc, code) from exc
        except BotoCoreError as exc:
            raise _botocore_error(self.location, action, exc) from exc


def _error_code(exc: Any) -> str:
    response = exc.response
    code = str(response.get("Error", {}).get("Code", ""))
    return code or str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _client_error(location: S3Location, action: str, exc: Any, code: str) -> LockError:
    message = str(exc.response.get("Error", {}).get("Message", ""))
    reason = f"{code}: {message}".rstrip(": ")
    return LockError(
        f"could not {action} the apply lock {location} (bucket {location.bucket}, "
        f"key {location.key}): {reason}",
        hint=_hint(location, code),
    )


def _botocore_error(location: S3Location, action: str, exc: Exception) -> LockError:
    from botocore.exceptions import NoCredentialsError, PartialCredentialsError, ProfileNotFound

    if isinstance(exc, NoCredentialsError | PartialCredentialsError | ProfileNotFound):
        hint = "configure AWS credentials (AWS_PROFILE, env, ~/.aws, an instance role)"
    else:
        hint = "check the network and the S3 endpoint, then retry"
    return LockError(
        f"could not {action} the apply lock {location}: {type(exc).__name__}: {exc}", hint=hint
    )


def _hint(location: S3Location, code: str) -> str:
    if code == "NoSuchBucket":
        return (
            f"create bucket {location.bucket}, or point `lock:` in gridsync.yaml at one that exists"
        )
    if code in {"AccessDenied", "Forbidden", "403", "AllAccessDisabled"}:
        return (
            "the AWS credentials need s3:GetObject, s3:PutObject and s3:DeleteObject on "
            f"arn:aws:s3:::{location.bucket}/{location.key}"
        )
    if code in {"NotImplemented", "501"}:
        return (
            "this S3 endpoint does not support conditional writes (If-None-Match, If-Match), "
            "which the lock needs: use Amazon S3 or `lock: file`"
        )
    return "check the bucket, the AWS credentials and the network, then retry"
