"""The shared HTTP edge (gridsync.httpedge) on its own, against a recording server on loopback:
retries and their waits, Retry-After (capped or refused), timeouts, redaction and JSON checks."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from recorder import Recorder, Reply

from gridsync.errors import GridsyncError
from gridsync.httpedge import HttpEdge, Outcome, RetryPolicy, Service

SECRET = "s3cr3t-edge-token"


class EdgeError(GridsyncError):
    def __init__(
        self, message: str, *, hint: str, method: str, path: str, status: int | None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status


def message(response: httpx.Response) -> str:
    return response.text.strip() or "no message"


def service(**over: Any) -> Service:
    fields: dict[str, Any] = {
        "name": "Svc",
        "error": EdgeError,
        "message": message,
        "url_hint": "check SVC_URL",
        "api_hint": "check that SVC_URL is the API",
        "secrets": lambda: (SECRET,),
        **over,
    }
    return Service(**fields)


def retry_failures(outcome: Outcome) -> bool:
    return not isinstance(outcome, httpx.Response) or outcome.status_code >= 429


@pytest.fixture
def server() -> Iterator[Recorder]:
    with Recorder().running() as recorder:
        yield recorder


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as made:
        yield made


def make_edge(
    client: httpx.Client, sleeps: list[float], policy: RetryPolicy | None = None, **over: Any
) -> HttpEdge:
    policy = policy or RetryPolicy(attempts=3, base_delay=0.5, max_retry_after=5.0, timeout=2.0)
    rng = random.Random(7)  # noqa: S311 - jitter
    return HttpEdge(service(**over), client, retry=policy, sleep=sleeps.append, rng=rng)


def send(edge: HttpEdge, server: Recorder, path: str = "/x") -> Any:
    return edge.send("GET", path, server.url + path, retryable=retry_failures)


def test_a_failure_worth_another_try_is_retried_with_backoff(
    server: Recorder, client: httpx.Client
) -> None:
    server.script("GET", "/x", Reply(503, "busy"), Reply(503, "busy"), Reply(200, {"ok": 1}))
    sleeps: list[float] = []
    sent = send(make_edge(client, sleeps), server)
    assert isinstance(sent.outcome, httpx.Response) and sent.outcome.status_code == 200
    assert sent.tries == 3 and sent.maybe_processed  # a 5xx may have acted
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_the_last_outcome_is_returned_when_the_attempts_are_spent(
    server: Recorder, client: httpx.Client
) -> None:
    server.script("GET", "/x", Reply(503, "busy"))
    sleeps: list[float] = []
    sent = send(make_edge(client, sleeps), server)
    assert sent.tries == 3 and sent.outcome.status_code == 503
    assert len(server.requests) == 3 and len(sleeps) == 2


def test_an_answer_not_worth_another_try_is_returned_at_once(
    server: Recorder, client: httpx.Client
) -> None:
    server.script("GET", "/x", Reply(404, "no"))
    sleeps: list[float] = []
    sent = send(make_edge(client, sleeps), server)
    assert (sent.tries, sent.outcome.status_code, sleeps) == (1, 404, [])


def test_retry_after_is_honoured_and_capped(server: Recorder, client: httpx.Client) -> None:
    server.script(
        "GET",
        "/x",
        Reply(429, "slow", {"Retry-After": "2"}),
        Reply(429, "slow", {"Retry-After": "600"}),
        Reply(200, {}),
    )
    sleeps: list[float] = []
    sent = send(make_edge(client, sleeps), server)
    assert sleeps == [2.0, 5.0]
    assert not sent.maybe_processed  # a 429 did nothing


def test_a_service_may_refuse_a_wait_over_the_cap(server: Recorder, client: httpx.Client) -> None:
    server.script("GET", "/x", Reply(429, "slow", {"Retry-After": "600"}))
    edge = make_edge(client, sleeps := [], long_wait_hint="run later")
    with pytest.raises(EdgeError, match="asks to wait 600s, longer than gridsync waits") as caught:
        send(edge, server)
    assert caught.value.hint == "run later" and caught.value.status == 429
    assert sleeps == [] and len(server.requests) == 1


def test_a_timeout_is_retried(server: Recorder, client: httpx.Client) -> None:
    server.script("GET", "/x", Reply(200, {}, delay=0.5), Reply(200, {"late": False}))
    policy = RetryPolicy(attempts=2, timeout=0.1)
    sent = send(make_edge(client, [], policy), server)
    assert sent.outcome.json() == {"late": False} and sent.maybe_processed


def test_a_dropped_connection_may_have_reached_the_server(
    server: Recorder, client: httpx.Client
) -> None:
    server.script("GET", "/x", Reply(drop=True), Reply(404, "gone"))
    sent = send(make_edge(client, []), server)
    assert sent.outcome.status_code == 404 and sent.maybe_processed


def test_a_request_that_cannot_be_made_is_the_service_error_redacted(
    client: httpx.Client,
) -> None:
    edge = make_edge(client, [])
    with pytest.raises(EdgeError) as caught:
        edge.send("GET", "/x", f"{SECRET}.invalid/x", retryable=retry_failures)
    assert caught.value.hint == "check SVC_URL" and "GET /x failed" in caught.value.message
    assert SECRET not in str(caught.value)


def test_server_words_are_redacted_in_messages_and_logs(
    server: Recorder, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("GET", "/x", Reply(503, f"token {SECRET} rejected"), Reply(200, {}))
    edge = make_edge(client, [])
    with caplog.at_level(logging.INFO, logger="gridsync.httpedge"):
        send(edge, server)
    assert "retrying in" in caplog.text and "HTTP 503: token *** rejected" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply(200, "<html>login</html>", {"Content-Type": "text/html"}), "(text/html)"),
        (Reply(200, "{not json"), "(invalid JSON: "),
    ],
)
def test_an_answer_that_is_not_json_is_a_clear_error(
    server: Recorder, client: httpx.Client, reply: Reply, why: str
) -> None:
    server.script("GET", "/x", reply)
    edge = make_edge(client, [])
    response = send(edge, server).outcome
    with pytest.raises(EdgeError) as caught:
        edge.json("GET", "/x", response, expected="a JSON object")
    text = caught.value.message
    assert text.startswith("GET /x: Svc answered HTTP 200 with something that is not a JSON object")
    assert why in text and caught.value.hint == "check that SVC_URL is the API"


@pytest.mark.parametrize("kind", ["application/json", "application/vnd.github+json; charset=utf-8"])
def test_json_answers_decode(server: Recorder, client: httpx.Client, kind: str) -> None:
    server.script("GET", "/x", Reply(200, {"a": [1]}, {"Content-Type": kind}))
    edge = make_edge(client, [])
    assert edge.json("GET", "/x", send(edge, server).outcome) == {"a": [1]}
