"""The local Grid control plane served over HTTP, in Grid's exact REST wire format.

A thin layer over LocalControlPlane's wire methods: the real `grid` CLI, gridsync's API backend or
any other Grid client can list, create, edit and delete clusters on it. Stdlib only
(`http.server.ThreadingHTTPServer`, one thread per connection, HTTP/1.1 keep-alive). Loopback
addresses only: there is no TLS and the credentials are test and demo ones.

Per request: a Host header that is not loopback (`127.0.0.1`, `localhost`, `[::1]`, any port) is
refused with 421 at once, so a web page whose DNS name was rebound to 127.0.0.1 cannot drive it
from a browser -> route -> count in `stats` -> fault decision (latency, spike) -> read the body (over
1 MiB: 413) -> an injected 500/503/429 answers here, before anything is done -> auth -> the plane ->
answer (or, for an injected drop, close the connection without one) -> one line in the request log,
`METHOD PATH STATUS MS [fault=...]`, which never holds headers, bodies or credentials.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import socketserver
import sys
import threading
import time
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, TextIO, cast
from urllib.parse import parse_qs, urlsplit

from gridsync.errors import UsageError
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.localgrid.faults import FaultDecision, FaultInjector, FaultKind, FaultSettings
from gridsync.localgrid.routes import (
    ApiError,
    Reply,
    Request,
    Routes,
    ServerAuth,
    error_reply,
    match_route,
)

__all__ = ["MAX_BODY_BYTES", "UNMATCHED_ROUTE", "GridServer", "RequestStats", "ServerAuth"]

MAX_BODY_BYTES = 1 << 20
UNMATCHED_ROUTE = "<unmatched>"  # the stats route of every path that is not an API route
_DRAIN_LIMIT = 16 << 20  # an oversized body up to this is read and dropped, so the 413 arrives


class RequestStats:
    """Requests received, by (method, route pattern) such as ("GET", "/v1/core/clusters"); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, method: str, route: str) -> None:
        with self._lock:
            self._counts[(method, route)] += 1

    def get(self, method: str, route: str) -> int:
        with self._lock:
            return self._counts[(method, route)]

    def snapshot(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


def _fault_reply(decision: FaultDecision, settings: FaultSettings) -> Reply:
    if decision.kind is FaultKind.RATE_LIMIT:
        retry = (("Retry-After", settings.retry_after_header()),)
        return error_reply(429, "too many requests (injected fault); retry later", retry)
    status = 503 if decision.kind is FaultKind.ERROR_503 else 500
    return error_reply(status, f"{HTTPStatus(status).phrase.lower()} (injected fault)")


def _printable(text: str) -> str:
    """The request target as it can go in a log line: control characters percent-encoded."""
    return "".join(c if c.isprintable() and not c.isspace() else f"%{ord(c):02X}" for c in text)


class _RequestLog:
    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(
        self, method: str, target: str, status: str, started: float, marks: list[str]
    ) -> None:
        if self._stream is None:
            return
        ms = (time.perf_counter() - started) * 1000
        line = f"{_printable(method)} {_printable(target)} {status} {ms:.1f}ms"
        line += "".join(f" {m}" for m in marks)
        with self._lock:
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (OSError, ValueError):  # a closed or broken log stream must not stop serving
                pass


class _App(NamedTuple):
    api: Routes
    faults: FaultInjector
    stats: RequestStats
    log: _RequestLog


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog. socketserver's default of 5 overflows when a client opens its parallel
    # connections at once (apply with parallelism 20): the kernel drops the SYN and the client's
    # retry comes 1 s later, a stall the real control plane would not show.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], family: int, app: _App) -> None:
        self.address_family = family
        self.app = app
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # without HTTPServer's reverse DNS lookup
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away is normal; anything else gets one line, never a traceback."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            self.app.log.write("-", "-", "error", time.perf_counter(), [type(exc).__name__])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # not 0.9: even a garbled request gets a status line
    server_version = "gridsync-local-grid"
    sys_version = ""
    timeout = 30.0  # a silent client's connection is closed after this many seconds
    wbufsize = 1 << 16  # headers and body leave in one write (no Nagle/delayed-ACK stall)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Replaced by the one line `_serve` writes."""

    def log_message(self, format: str, *args: Any) -> None:
        """http.server's own messages stay quiet; errors reach the client as RpcStatus bodies."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (a malformed request line, an unknown method) as RpcStatus."""
        self.close_connection = True
        marks: list[str] = []
        status = self._send(error_reply(code, message or HTTPStatus(code).phrase), marks)
        target = str(getattr(self, "path", "") or "-")
        self._app.log.write(self.command or "-", target, status, time.perf_counter(), marks)

    @property
    def _app(self) -> _App:
        return cast(_HttpServer, self.server).app

    def _serve(self) -> None:
        started = time.perf_counter()
        app = self._app
        target = urlsplit(self.path)
        route, params = match_route(target.path)
        app.stats.add(self.command, route or UNMATCHED_ROUTE)
        if not loopback_host(self.headers.get("Host")):
            self.close_connection = True
            reply = error_reply(421, _FOREIGN_HOST)
            app.log.write(self.command, self.path, self._send(reply, []), started, ["host=refused"])
            return
        decision = app.faults.decide()
        if decision.delay_seconds > 0:
            time.sleep(decision.delay_seconds)
        marks = [f"fault={m}" for m in decision.markers]
        status = self._answer(decision, route, params, target.query, marks)
        app.log.write(self.command, self.path, status, started, marks)

    def _answer(
        self,
        decision: FaultDecision,
        route: str | None,
        params: tuple[str, ...],
        query: str,
        marks: list[str],
    ) -> str:
        """Answer the request; the status for the log line."""
        try:
            body = self._read_body()
        except ApiError as exc:
            self.close_connection = True
            return self._send(exc.reply, marks)
        if body is None:
            self.close_connection = True
            marks.append("disconnected")
            return "-"
        if decision.answers_early:
            return self._send(_fault_reply(decision, self._app.faults.settings), marks)
        reply = self._carry_out(route, params, query, body, marks)
        if decision.kind is FaultKind.DROP:
            self.close_connection = True  # carried out, never answered
            return str(reply.status)
        return self._send(reply, marks)

    def _carry_out(
        self, route: str | None, params: tuple[str, ...], query: str, body: bytes, marks: list[str]
    ) -> Reply:
        auth = self.headers.get("Authorization", "")
        request = Request(self.command, params, parse_qs(query), auth, body)
        try:
            return self._app.api.handle(route, request, urlsplit(self.path).path)
        except Exception as exc:  # a bug: answer 500 and keep serving
            marks.append(f"error={type(exc).__name__}")
            return error_reply(500, "internal error in the local Grid server")

    def _read_body(self) -> bytes | None:
        """The request body; None when the client went away before sending all of it."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ApiError(400, "chunked request bodies are not supported; send Content-Length")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise ApiError(400, "the Content-Length header is not a number") from None
        if length < 0:
            raise ApiError(400, "the Content-Length header is negative")
        if length > MAX_BODY_BYTES:
            self._discard(length)
            raise ApiError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
        try:
            data = self.rfile.read(length)
        except OSError:
            return None
        return data if len(data) == length else None

    def _discard(self, length: int) -> None:
        """Read and drop an oversized body (when not huge) so the client can read the 413."""
        remaining = length if length <= _DRAIN_LIMIT else 0
        try:
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    return
                remaining -= len(chunk)
        except OSError:
            return

    def _send(self, reply: Reply, marks: list[str]) -> str:
        """Write the reply; the status for the log line (`disconnected` marked when it failed)."""
        data = json.dumps(reply.body, separators=(",", ":")).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers:
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client went away; the request was still carried out
            self.close_connection = True
            marks.append("disconnected")
        return str(reply.status)


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
_FOREIGN_HOST = (
    "this local Grid server answers only requests addressed to a loopback host "
    "(Host: 127.0.0.1, localhost or [::1], any port)"
)


def loopback_host(header: str | None) -> bool:
    """Whether a Host header names 127.0.0.1, localhost or [::1], with or without a port."""
    if not header:
        return False
    host = header.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        name, rest = host[: end + 1], host[end + 1 :]
    else:
        name, _, port = host.partition(":")
        rest = f":{port}" if port else ""
    return name in _LOOPBACK_HOSTS and (rest == "" or (rest[0] == ":" and rest[1:].isdigit()))


def _loopback(host: str) -> tuple[str, int]:
    """The address to bind and its socket family; anything but loopback is refused."""
    try:
        ip = ipaddress.ip_address("127.0.0.1" if host == "localhost" else host)
    except ValueError:
        ip = None
    if ip is None or not ip.is_loopback:
        raise UsageError(
            f"refusing to serve on {host!r}: the local Grid server binds loopback addresses only",
            hint="use 127.0.0.1 (or ::1); it has no TLS and its credentials are for tests and demos",
        )
    return str(ip), socket.AF_INET6 if ip.version == 6 else socket.AF_INET


class GridServer:
    """Serve `plane` over HTTP in Grid's REST format on a loopback address."""

    def __init__(
        self,
        plane: LocalControlPlane,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        auth: ServerAuth = ServerAuth(),  # noqa: B008 (frozen, so a shared default is safe)
        faults: FaultSettings = FaultSettings(),  # noqa: B008
        log: TextIO | None = None,
    ) -> None:
        address, family = _loopback(host)
        self.stats = RequestStats()
        app = _App(Routes(plane, auth), FaultInjector(faults), self.stats, _RequestLog(log))
        try:
            self._httpd = _HttpServer((address, port), family, app)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host} port {port}: {exc.strerror or exc}",
                hint="pick another port, or 0 for any free one",
            ) from exc
        shown = f"[{address}]" if family == socket.AF_INET6 else address
        self.url = f"http://{shown}:{self._httpd.server_port}"
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._serving = False
        self._closed = False

    def start(self) -> None:
        """Serve in a daemon thread (tests, benchmarks); returns at once."""
        self._begin()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"gridsync-server-{self._httpd.server_port}",
            daemon=True,
        )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread until shutdown() from another thread, or Ctrl-C."""
        self._begin()
        try:
            self._httpd.serve_forever(poll_interval=0.1)
        except KeyboardInterrupt:
            pass
        finally:
            with self._lock:
                self._closed = True
            self._httpd.server_close()

    def shutdown(self) -> None:
        """Stop serving and close the listening socket; safe to call more than once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            serving = self._serving
        if serving:
            self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def _begin(self) -> None:
        with self._lock:
            if self._serving or self._closed:
                raise UsageError("this server was started already or shut down")
            self._serving = True

    def __enter__(self) -> GridServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()
