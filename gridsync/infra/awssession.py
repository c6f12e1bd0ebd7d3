"""The one place gridsync makes boto3 sessions and clients (AWS preflight and dangling checks, the
S3 lock, the S3 apply record): the normal credential chain (AWS_PROFILE, env, ~/.aws, instance
role; AWS_ENDPOINT_URL is honoured by botocore), bounded timeouts and botocore's standard retries.

boto3 and botocore are imported inside the functions so that `gridsync --help` starts fast.
"""

from __future__ import annotations

from typing import Any, Protocol

READ_TIMEOUT = 30.0  # seconds; an S3 object of the lock or the record is small: S3_READ_TIMEOUT
S3_READ_TIMEOUT = 15.0


class SessionLike(Protocol):
    """What gridsync uses of a boto3 Session."""

    def client(self, service_name: str, **kwargs: Any) -> Any: ...


def session(profile: str | None = None, region: str | None = None) -> SessionLike:
    import boto3  # type: ignore[import-untyped]  # lazy: slow import

    made: SessionLike = boto3.session.Session(profile_name=profile, region_name=region)
    return made


def client(
    from_session: SessionLike,
    service: str,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    read_timeout: float = READ_TIMEOUT,
) -> Any:
    """A client of `service` with gridsync's timeouts and retries."""
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(
        connect_timeout=5,
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": 3},
    )
    kwargs: dict[str, Any] = {"config": config}
    if region:
        kwargs["region_name"] = region
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return from_session.client(service, **kwargs)


def s3_client(endpoint_url: str | None = None) -> Any:
    """An S3 client from the normal credential chain, for the lock and the apply record."""
    return client(session(), "s3", endpoint_url=endpoint_url, read_timeout=S3_READ_TIMEOUT)
