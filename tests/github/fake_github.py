"""A stand-in for the GitHub REST API on 127.0.0.1: issue comments and issues, over real HTTP.

It checks the token and the API version header on every request, records every request, keeps
comments and issues in memory, paginates lists with Link headers as GitHub does (per_page up to
100, page from 1), refuses bodies over GitHub's 65,536 characters with a 422, and can be told to
answer the next matching requests differently (an error status, rate limit headers, a dropped
connection, a crafted Link header).

`GET /user` answers as the token would: by default a 403 "Resource not accessible by integration",
as GITHUB_TOKEN (an installation token) gets, and what the token writes carries the login
`github-actions[bot]`; with `login=` set, a personal access token's user, who is then the author.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from loopback import serving

from gridsync.httpretry import RetryPolicy

TOKEN = "ghs_FAKE0tokenDoNotLeak9x"
REPOSITORY = "acme/infra"
API_VERSION = "2022-11-28"
DOCS = "https://docs.github.com/rest"
MAX_BODY = 65_536
ACTIONS_BOT = "github-actions[bot]"
USER_DOCS = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
INTEGRATION_403 = {
    "message": "Resource not accessible by integration",
    "documentation_url": USER_DOCS,
}
# A client retry policy for tests (they record sleeps instead of sleeping) and a fixed clock.
FAST = RetryPolicy(attempts=3, base_delay=0.5, max_delay=10.0, max_retry_after=60.0, timeout=5.0)
NOW = 1_700_000_000.0


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: Any


@dataclass
class Override:
    """The answer for the next `times` requests matching `method` and the `path` regex."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    path: str | None = None
    times: int = 1
    drop: bool = False  # read the request, then close the connection without answering

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or re.search(self.path, path) is not None
        )


class FakeGitHub:
    def __init__(
        self,
        token: str = TOKEN,
        repository: str = REPOSITORY,
        prefix: str = "",
        login: str | None = None,
    ) -> None:
        self.token, self.repository, self.prefix = token, repository, prefix
        self.login = login  # GET /user's login; None: a 403, as GITHUB_TOKEN gets
        self.requests: list[Recorded] = []
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.issues: list[dict[str, Any]] = []
        self._overrides: list[Override] = []
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{prefix}"

    # -- set up and inspect ----------------------------------------------------------------------

    @property
    def author(self) -> str:
        """The login on what the token writes."""
        return self.login or ACTIONS_BOT

    def add_comment(self, number: int, body: str, user: str | None = None) -> dict[str, Any]:
        """A comment by `user` (by default the token's own login, as if gridsync wrote it)."""
        with self._lock:
            comment = {"id": self._new_id(), "body": body, "user": {"login": user or self.author}}
            self.comments.setdefault(number, []).append(comment)
            return comment

    def add_issue(
        self,
        title: str,
        body: str,
        labels: list[str],
        *,
        state: str = "open",
        pr: bool = False,
        user: str | None = None,
    ) -> dict[str, Any]:
        """An issue by `user` (by default the token's own login, as if gridsync wrote it)."""
        with self._lock:
            issue = self._issue(title, body, labels, state, user or self.author)
            if pr:
                issue["pull_request"] = {"url": f"{self.url}/pulls/{issue['number']}"}
            return issue

    def answer_next(self, status: int, body: Any = None, **kwargs: Any) -> None:
        with self._lock:
            self._overrides.append(Override(status, body, **kwargs))

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def writes(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests if r.method != "GET"]

    @contextmanager
    def running(self) -> Iterator[FakeGitHub]:
        with serving(self._server):
            yield self

    # -- serving ---------------------------------------------------------------------------------

    def handle(self, request: Recorded) -> Override:
        """The answer to one request (an Override stands for any reply here)."""
        with self._lock:
            self.requests.append(request)
            refused = self._refused(request)
            if refused is not None:
                return refused
            for override in self._overrides:
                if override.times > 0 and override.matches(request.method, request.path):
                    override.times -= 1
                    return override
            return self._route(request)

    def _refused(self, request: Recorded) -> Override | None:
        headers = request.headers
        if headers.get("authorization") != f"Bearer {self.token}":
            return Override(401, {"message": "Bad credentials", "documentation_url": DOCS})
        if headers.get("x-github-api-version") != API_VERSION:
            return Override(400, {"message": "Unsupported API version", "documentation_url": DOCS})
        if headers.get("accept") != "application/vnd.github+json":
            return Override(415, {"message": "Unsupported media type", "documentation_url": DOCS})
        return None

    def _route(self, request: Recorded) -> Override:
        if request.method == "GET" and request.path == f"{self.prefix}/user":
            return self._user()
        base = f"{self.prefix}/repos/{self.repository}"
        rest = request.path.removeprefix(base) if request.path.startswith(base + "/") else None
        routes: list[tuple[str, str, Callable[..., Override]]] = [
            ("GET", r"/issues/(\d+)/comments", self._list_comments),
            ("POST", r"/issues/(\d+)/comments", self._create_comment),
            ("PATCH", r"/issues/comments/(\d+)", self._update_comment),
            ("GET", r"/issues", self._list_issues),
            ("POST", r"/issues", self._create_issue),
            ("PATCH", r"/issues/(\d+)", self._update_issue),
        ]
        for method, pattern, route in routes:
            match = re.fullmatch(pattern, rest or "")
            if rest is not None and match and method == request.method:
                return route(request, *(int(g) for g in match.groups()))
        return Override(404, {"message": "Not Found", "documentation_url": DOCS})

    def _user(self) -> Override:
        if self.login is None:
            return Override(403, INTEGRATION_403)
        return Override(200, {"login": self.login, "id": 583231, "type": "User"})

    def _list_comments(self, request: Recorded, number: int) -> Override:
        return self._page(request, self.comments.get(number, []))

    def _create_comment(self, request: Recorded, number: int) -> Override:
        invalid = _invalid_body(request.body, "IssueComment")
        if invalid is not None:
            return invalid
        comment = {
            "id": self._new_id(),
            "body": request.body["body"],
            "user": {"login": self.author},
        }
        self.comments.setdefault(number, []).append(comment)
        return Override(201, comment)

    def _update_comment(self, request: Recorded, comment_id: int) -> Override:
        invalid = _invalid_body(request.body, "IssueComment")
        if invalid is not None:
            return invalid
        for comment in (c for cs in self.comments.values() for c in cs):
            if comment["id"] == comment_id:
                comment["body"] = request.body["body"]
                return Override(200, comment)
        return Override(404, {"message": "Not Found", "documentation_url": DOCS})

    def _list_issues(self, request: Recorded) -> Override:
        state = request.query.get("state", "open")
        wanted = [x for x in request.query.get("labels", "").split(",") if x]
        found = [
            i
            for i in self.issues
            if state in ("all", i["state"]) and all(x in _names(i) for x in wanted)
        ]
        return self._page(request, found)

    def _create_issue(self, request: Recorded) -> Override:
        invalid = _invalid_body(request.body, "Issue")
        if invalid is not None:
            return invalid
        body = request.body
        issue = self._issue(
            body["title"], body["body"], body.get("labels", []), "open", self.author
        )
        return Override(201, issue)

    def _update_issue(self, request: Recorded, number: int) -> Override:
        for issue in self.issues:
            if issue["number"] == number:
                if "body" in request.body:
                    issue["body"] = request.body["body"]
                if "state" in request.body:
                    issue["state"] = request.body["state"]
                return Override(200, issue)
        return Override(404, {"message": "Not Found", "documentation_url": DOCS})

    def _page(self, request: Recorded, items: list[dict[str, Any]]) -> Override:
        per_page = min(100, int(request.query.get("per_page", "30")))
        page = int(request.query.get("page", "1"))
        shown = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            links.append(f'<{self._page_url(request, page + 1)}>; rel="next"')
            links.append(f'<{self._page_url(request, last)}>; rel="last"')
        return Override(200, shown, {"Link": ", ".join(links)} if links else {})

    def _page_url(self, request: Recorded, page: int) -> str:
        host = self.url.removesuffix(self.prefix)
        return f"{host}{request.path}?{urlencode({**request.query, 'page': str(page)})}"

    def _issue(
        self, title: str, body: str, labels: list[str], state: str, user: str
    ) -> dict[str, Any]:
        number = len(self.issues) + 1
        issue = {
            "id": self._new_id(),
            "number": number,
            "title": title,
            "body": body,
            "state": state,
            "labels": [{"name": name} for name in labels],
            "user": {"login": user},
        }
        self.issues.append(issue)
        return issue

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id


def _names(issue: dict[str, Any]) -> list[str]:
    return [label["name"] for label in issue["labels"]]


def _invalid_body(body: Any, resource: str) -> Override | None:
    text = body.get("body") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return Override(422, {"message": "Invalid request.", "documentation_url": DOCS})
    if len(text) > MAX_BODY:
        error = {
            "resource": resource,
            "code": "custom",
            "field": "body",
            "message": f"body is too long (maximum is {MAX_BODY} characters)",
        }
        return Override(
            422, {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS}
        )
    return None


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = json.loads(raw) if raw else None
            reply = fake.handle(Recorded(self.command, url.path, query, headers, body))
            if reply.drop:
                self.close_connection = True
                return
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
