"""The one HTTP edge of gridsync's API clients (Grid, GitHub): how a request is sent, retried,
waited for, redacted and read back as JSON. Each client keeps only what is its own: which answers
are worth another try, and how a status code becomes one of its errors.

- Retries: a client says which outcomes are worth another try (`retryable`); the edge tries up to
  `RetryPolicy.attempts` times, waiting the delay the server asks for (`Retry-After`, or what the
  service reads from its own headers), else full-jitter exponential backoff (`RetryPolicy.backoff`).
  A wait longer than `max_retry_after` is capped, or refused when the service says so.
- Transport failures in RETRYABLE are worth another try; of those, NOT_SENT never left this
  machine (so even a POST may be repeated). Any other httpx error is the client's error at once.
- Timeouts: every request carries `RetryPolicy.timeout`.
- Redaction: every text that came from outside (an exception, the server's message) goes through
  `gridsync.redact` with the client's secrets registered, before it is logged or raised.
- JSON: a success answer is read with `json`: a non-JSON content type or a body that does not
  decode is a clear error naming the request, not a ValueError.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple, Protocol

import httpx

from gridsync import redact as layer
from gridsync.errors import GridsyncError

log = logging.getLogger(__name__)

# Transport failures worth another try; of those, the ones where the request was never sent.
RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

Outcome = httpx.Response | httpx.TransportError


class RetryPolicy(NamedTuple):
    attempts: int = 5  # total tries for a request that is safe to repeat
    base_delay: float = 0.5  # full-jitter backoff: uniform(0, min(max_delay, base_delay * 2**n))
    max_delay: float = 10.0
    max_retry_after: float = 60.0  # honour Retry-After (seconds or HTTP date) up to this
    timeout: float = 30.0  # httpx timeout per request

    def backoff(self, rng: random.Random, n: int) -> float:
        """The full-jitter delay before try n + 2 (n counts from 0)."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2**n))


DEFAULT_RETRY = RetryPolicy()


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None when unusable."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def asked_by_retry_after(response: httpx.Response) -> float | None:
    return retry_after(response.headers.get("Retry-After"))


def may_have_acted(outcome: Outcome) -> bool:
    """Whether a failed attempt may have changed something on the server."""
    if isinstance(outcome, httpx.Response):
        return outcome.status_code >= 500
    return not isinstance(outcome, NOT_SENT)


class ErrorFactory(Protocol):
    def __call__(
        self, message: str, *, hint: str, method: str, path: str, status: int | None
    ) -> GridsyncError: ...


@dataclass(frozen=True)
class Service:
    """What one API tells the edge about itself."""

    name: str  # "Grid", "GitHub": for messages
    error: ErrorFactory  # the client's error type, built from a message and a hint
    message: Callable[[httpx.Response], str]  # the server's own words in an answer (unredacted)
    url_hint: str  # what to check when a request cannot be made at all
    api_hint: str  # what to check when a success answer is not the API's JSON
    asked_delay: Callable[[httpx.Response], float | None] = asked_by_retry_after
    long_wait_hint: str | None = None  # set: refuse a wait over the cap (else: cap it)
    secrets: Callable[[], Sequence[str]] = field(default=lambda: ())


class Sent(NamedTuple):
    """The last outcome of a request, how many tries it took, and whether an earlier failed try
    may have reached the server (so a 404 after a DELETE may mean it worked)."""

    outcome: Outcome
    tries: int
    maybe_processed: bool


class HttpEdge:
    """Sends one service's requests over an httpx client with a retry policy."""

    def __init__(
        self,
        service: Service,
        client: httpx.Client,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.service = service
        self.client = client
        self.retry = retry
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def send(
        self,
        method: str,
        path: str,
        url: str,
        *,
        retryable: Callable[[Outcome], bool],
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Sent:
        """Try until an outcome is not `retryable` or the attempts are spent; waits in between."""
        attempts = max(1, self.retry.attempts)
        maybe_processed = False
        for n in range(attempts):
            outcome = self.attempt(method, path, url, params=params, json=json, headers=headers)
            if n + 1 >= attempts or not retryable(outcome):
                return Sent(outcome, n + 1, maybe_processed)
            maybe_processed = maybe_processed or may_have_acted(outcome)
            self.wait(n, outcome, method, path)
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns

    def attempt(
        self,
        method: str,
        path: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Outcome:
        """One try: the response, or the transport error that is worth another try."""
        try:
            response = self.client.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=self.retry.timeout,
            )
        except RETRYABLE as exc:
            return exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self.service.error(
                f"{method} {path} failed: {self.redact(str(exc)) or type(exc).__name__}",
                hint=self.service.url_hint,
                method=method,
                path=path,
                status=None,
            ) from exc
        log.debug("%s %s -> HTTP %d", method, path, response.status_code)
        return response

    def wait(self, n: int, outcome: Outcome, method: str, path: str) -> None:
        """Sleep before try n + 2: as long as the server asks (capped), else the backoff."""
        policy, service = self.retry, self.service
        asked = service.asked_delay(outcome) if isinstance(outcome, httpx.Response) else None
        if asked is not None and asked > policy.max_retry_after:
            if service.long_wait_hint is not None:
                raise service.error(
                    f"{method} {path}: {service.name} rate limit; it asks to wait {asked:.0f}s, "
                    f"longer than gridsync waits ({policy.max_retry_after:.0f}s)",
                    hint=service.long_wait_hint,
                    method=method,
                    path=path,
                    status=outcome.status_code if isinstance(outcome, httpx.Response) else None,
                )
            asked = policy.max_retry_after
        delay = policy.backoff(self._rng, n) if asked is None else asked
        log.info(
            "%s %s: %s; retrying in %.1fs (attempt %d of %d)",
            *(method, path, self.describe(outcome), delay, n + 2, policy.attempts),
        )
        self._sleep(delay)

    def json(
        self, method: str, path: str, response: httpx.Response, *, expected: str = "JSON"
    ) -> Any:
        """The decoded JSON of an answer; a clear error when it is not JSON at all."""
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        why = ""
        if kind and not (kind == "application/json" or kind.endswith("+json")):
            why = kind
        else:
            try:
                return response.json()
            except ValueError as exc:
                why = f"invalid JSON: {self.redact(str(exc))}"
        raise self.service.error(
            f"{method} {path}: {self.service.name} answered HTTP {response.status_code} with "
            f"something that is not {expected} ({why})",
            hint=self.service.api_hint,
            method=method,
            path=path,
            status=response.status_code,
        )

    def redact(self, text: str) -> str:
        """`text` with every secret of the run and of this service as `***`."""
        secrets = tuple(self.service.secrets())
        layer.register_all(secrets)
        return layer.mask(text, extra=secrets)

    def said(self, response: httpx.Response) -> str:
        """The server's own words in an answer, redacted."""
        return self.redact(self.service.message(response))

    def describe(self, outcome: Outcome) -> str:
        if isinstance(outcome, httpx.Response):
            return f"HTTP {outcome.status_code}: {self.said(outcome)}"
        return f"{type(outcome).__name__}: {self.redact(str(outcome)) or 'no detail'}"
