"""Fault injection for the local Grid server: what to inject (settings) and, per request, whether to.

One decision is drawn when a request arrives. A single uniform draw picks at most one of error,
rate limit and drop, so each rate is the fraction of requests that get that fault (when the rates add
up to more than 1, error wins over rate limit, which wins over drop). A second draw picks latency
spikes. Errors and rate limits are answered before the request is carried out; a drop closes the
connection after it was carried out (for a write: the ambiguous outcome a client must survive).
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any, NamedTuple

from gridsync.errors import UsageError

ENV_PREFIX = "GRIDSYNC_FAULT_"
_RATES = ("spike_rate", "error_rate", "rate_limit_rate", "drop_rate")
_DURATIONS = ("latency_ms", "spike_ms", "retry_after")


@dataclass(frozen=True)
class FaultSettings:
    """Every rate is a fraction 0..1 of requests; durations are non-negative."""

    latency_ms: float = 0  # added to every request
    spike_rate: float = 0  # fraction of requests that get spike_ms extra
    spike_ms: float = 2000
    error_rate: float = 0  # answered 500 or 503 (alternating) before doing anything
    rate_limit_rate: float = 0  # answered 429 with Retry-After before doing anything
    retry_after: float = 1  # seconds
    drop_rate: float = 0  # connection closed with no answer after the request was carried out
    seed: int | None = None  # deterministic decisions for tests

    def __post_init__(self) -> None:
        for name in (*_RATES, *_DURATIONS):
            problem = _problem(name, getattr(self, name))
            if problem:
                raise UsageError(f"fault setting {name}: {problem}")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise UsageError(f"fault setting seed: expected an integer, got {self.seed!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FaultSettings:
        """Read GRIDSYNC_FAULT_<FIELD> variables (e.g. GRIDSYNC_FAULT_ERROR_RATE); unset keeps the default."""
        values: dict[str, Any] = {}
        for name in (f.name for f in fields(cls)):
            variable = ENV_PREFIX + name.upper()
            text = env.get(variable)
            if text is not None and text.strip():
                values[name] = _parse(variable, name, text.strip())
        return cls(**values)

    def merged(self, **overrides: Any) -> FaultSettings:
        """These settings with every override that is not None (command-line options win over env)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in ("latency_ms", *_RATES))

    def retry_after_header(self) -> str:
        """`Retry-After` as an integer when whole (`1`), else decimal text (`0.5`)."""
        value = self.retry_after
        return str(int(value)) if float(value).is_integer() else repr(float(value))


def _problem(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"expected a number, got {value!r}"
    if value < 0:
        return f"must not be negative, got {value!r}"
    if name in _RATES and value > 1:
        return f"is a fraction of requests between 0 and 1, got {value!r}"
    return ""


def _parse(variable: str, name: str, text: str) -> float | int:
    try:
        value: float | int = int(text) if name == "seed" else float(text)
    except ValueError:
        kind = "an integer" if name == "seed" else "a number"
        raise UsageError(f"{variable}: expected {kind}, got {text!r}") from None
    problem = "" if name == "seed" else _problem(name, value)
    if problem:
        raise UsageError(f"{variable}: {problem}")
    return value


class FaultKind(StrEnum):
    ERROR_500 = "500"
    ERROR_503 = "503"
    RATE_LIMIT = "429"
    DROP = "drop"


class FaultDecision(NamedTuple):
    """What to do to one request."""

    delay_seconds: float = 0.0
    spike: bool = False
    kind: FaultKind | None = None

    @property
    def answers_early(self) -> bool:
        """Answered with an error before the request is carried out."""
        return self.kind in (FaultKind.ERROR_500, FaultKind.ERROR_503, FaultKind.RATE_LIMIT)

    @property
    def markers(self) -> tuple[str, ...]:
        """For the request log: `fault=spike`, `fault=503`, `fault=drop`."""
        marks = ("spike",) if self.spike else ()
        return marks + ((self.kind.value,) if self.kind else ())


NO_FAULT = FaultDecision()


class FaultInjector:
    """Draws decisions from FaultSettings; thread-safe, and deterministic for a seed (in call order)."""

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._rng = random.Random(settings.seed)  # noqa: S311 (test faults, not cryptography)
        self._lock = threading.Lock()
        self._errors = 0

    def decide(self) -> FaultDecision:
        s = self.settings
        if not s.active:
            return NO_FAULT
        with self._lock:
            spike = s.spike_rate > 0 and self._rng.random() < s.spike_rate
            kind = self._kind(self._rng.random())
        delay_ms = s.latency_ms + (s.spike_ms if spike else 0)
        return FaultDecision(delay_seconds=delay_ms / 1000, spike=spike, kind=kind)

    def _kind(self, draw: float) -> FaultKind | None:
        s = self.settings
        if draw < s.error_rate:
            self._errors += 1
            return FaultKind.ERROR_503 if self._errors % 2 else FaultKind.ERROR_500
        if draw < s.error_rate + s.rate_limit_rate:
            return FaultKind.RATE_LIMIT
        if draw < s.error_rate + s.rate_limit_rate + s.drop_rate:
            return FaultKind.DROP
        return None
