"""The base of every fake HTTP server of the tests: real HTTP on a loopback port, served on a
thread for the length of a `with fake.running():` block, every request recorded, and each answer
a `Reply` that the subclass chooses in `answer` (a script in tests/recorder.py, a stateful API in
tests/github/fake_github.py).

A reply can also drop the connection without answering, or answer late (to force a timeout).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

from loopback import serving


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: str  # as sent; `params` parsed
    headers: dict[str, str]  # names lower-cased
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def params(self) -> dict[str, str]:
        """The query's parameters (the last value of a repeated one)."""
        return {k: v[-1] for k, v in parse_qs(self.query).items()}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)  # JSON, or str/bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # seconds to wait before answering


class FakeServer:
    """Subclasses answer in `answer(request)`, called under `self.lock` after the request is
    recorded; `path_prefix` is appended to `url` (an API served below a path)."""

    content_type: ClassVar[str] = "application/json"

    def __init__(self, path_prefix: str = "") -> None:
        self.requests: list[Recorded] = []
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.host = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = self.host + path_prefix

    def answer(self, request: Recorded) -> Reply:
        raise NotImplementedError

    def handle(self, request: Recorded) -> Reply:
        with self.lock:
            self.requests.append(request)
            return self.answer(request)

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    @contextmanager
    def running(self) -> Iterator[Self]:
        with serving(self._server):
            yield self


def _handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = fake.handle(Recorded(self.command, url.path, url.query, headers, raw))
            time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                return
            try:
                self._answer(reply)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                self.close_connection = True

        def _answer(self, reply: Reply) -> None:
            body = reply.body
            data = body.encode() if isinstance(body, str) else body
            if not isinstance(data, bytes):
                data = json.dumps(body).encode()
            self.send_response(reply.status)
            if not any(name.lower() == "content-type" for name in reply.headers):
                self.send_header("Content-Type", fake.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
