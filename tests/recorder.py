"""A recording HTTP server on 127.0.0.1, the fake server base for HTTP clients: it pins the Grid API
client's wire format (tests/live) and drives the shared HTTP edge (tests/test_httpedge.py).

It records every request (method, path, query, headers, body) and answers from a script: per
(method, path), a queue of replies; the last reply of a queue repeats. A reply can also drop the
connection without answering, or answer late (to force a client timeout).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from loopback import serving


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lower-cased
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)  # JSON, or str/bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # seconds to wait before answering


class Recorder:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: dict[tuple[str, str], list[Reply]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        with self._lock:
            self._script.setdefault((method, path), []).extend(replies)

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def record(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            queue = self._script.get((request.method, request.path))
            if not queue:
                return Reply(404, {"code": 5, "message": f"not scripted: {request.path}"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    @contextmanager
    def running(self) -> Iterator[Recorder]:
        with serving(self._server):
            yield self


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = recorder.record(Recorded(self.command, url.path, url.query, headers, raw))
            time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                return
            self._answer(reply)

        def _answer(self, reply: Reply) -> None:
            body = reply.body
            data = body.encode() if isinstance(body, str) else body
            if not isinstance(data, bytes):
                data = json.dumps(body).encode()
            self.send_response(reply.status)
            if not any(name.lower() == "content-type" for name in reply.headers):
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
