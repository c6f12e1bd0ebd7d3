"""What the Grid and GitHub clients share about retrying an HTTP request.

Both retry requests that are safe to repeat on the transport failures in RETRYABLE, with full-jitter
exponential backoff (`RetryPolicy.backoff`) or the delay the server asks for (`retry_after`), capped;
and both repeat a POST only when it provably never left (NOT_SENT).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

# Transport failures worth another try; of those, the ones where the request was never sent.
RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

Outcome = httpx.Response | httpx.TransportError


@dataclass(frozen=True)
class RetryPolicy:
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
