"""A stand-in for the GitHub REST API on 127.0.0.1, over real HTTP: issue comments, issues, pull
requests and their labels, commits, issue events and workflow runs.

It checks the token and the API version header on every request, records every request, keeps its
state in memory, paginates lists with Link headers as GitHub does (per_page up to 100, page from 1),
refuses bodies over GitHub's 65,536 characters with a 422, and can be told to answer the next
matching requests differently (an error status, rate limit headers, a dropped connection, a
crafted Link header).

`GET /user` answers as the token would: by default a 403 "Resource not accessible by integration",
as GITHUB_TOKEN (an installation token) gets, and what the token writes carries the login
`github-actions[bot]`; with `login=` set, a personal access token's user, who is then the author.

Importable as `fake_github` (tests/github on sys.path) or `github.fake_github` (tests/ on sys.path).

Seeding (all return the stored JSON object, which later requests see and change):

    fake = FakeGitHub()                        # FakeGitHub(login="octo") for a personal token
    with fake.running():                       # serves on fake.url (GITHUB_API_URL)
        fake.add_comment(7, body, user=None)   # a comment on issue/PR 7 (default: by the token)
        fake.add_issue(title, body, labels)    # an issue (pr=True: a pull request's issue)
        pr = fake.add_pull(7, head_sha="a"*40, merge_sha="b"*40, user="alice", labels=[...])
                                               # merged unless merged=False; labels given here
                                               # have a `labeled` event by `labeled_by`
        fake.add_label(7, "gridsync:allow-replace", actor="bob")    # label + `labeled` event
        fake.remove_label(7, "gridsync:allow-replace", actor="bob") # and `unlabeled` event
        fake.set_branch("main", "b"*40)        # GET /commits/main answers that sha
        fake.add_workflow_run("gridsync-drift.yml", event="schedule", conclusion="success",
                              branch="main", head_repository=None, run_started_at=...)
        fake.pull_request_event(7)             # a `pull_request` event payload for GITHUB_EVENT_PATH
        fake.actions_env(tmp, event)           # an Actions run's env against the fake (files in tmp)

Endpoints (under /repos/{repository} unless said): GET /user; GET, POST /issues/{n}/comments;
PATCH /issues/comments/{id}; GET, POST /issues; PATCH /issues/{n}; GET /issues/{n}/events;
GET /commits/{sha}/pulls (pull requests whose head or merge commit is sha, newest first);
GET /commits/{ref} (a branch name or a known sha: {"sha": ...}; else 422 as GitHub);
GET /actions/workflows/{file}/runs?branch=&status=success&event= ({"total_count",
"workflow_runs"}, newest first).

The HTTP plumbing and the request log are tests/fakehttp.py's (FakeServer).

Reading what happened: `fake.requests` (every Recorded request; `.params` its query), `fake.calls()` and
`fake.writes()` as (method, path) pairs, `fake.comments[n]` (the comments of issue/PR n, with their
bodies), `fake.issues`, `fake.pulls[n]`, `fake.events[n]`, `fake.runs`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fakehttp import FakeServer, Recorded, Reply

from gridsync.httpedge import RetryPolicy

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

    def reply(self) -> Reply:
        return Reply(self.status, self.body, self.headers, drop=self.drop)


class FakeGitHub(FakeServer):
    content_type = "application/json; charset=utf-8"

    def __init__(
        self,
        token: str = TOKEN,
        repository: str = REPOSITORY,
        prefix: str = "",
        login: str | None = None,
    ) -> None:
        super().__init__(prefix)
        self.token, self.repository, self.prefix = token, repository, prefix
        self.login = login  # GET /user's login; None: a 403, as GITHUB_TOKEN gets
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.issues: list[dict[str, Any]] = []
        self.pulls: dict[int, dict[str, Any]] = {}
        self.events: dict[int, list[dict[str, Any]]] = {}
        self.branches: dict[str, str] = {}
        self.runs: list[dict[str, Any]] = []
        self._overrides: list[Override] = []
        self._next_id = 1000

    # -- set up and inspect ----------------------------------------------------------------------

    @property
    def author(self) -> str:
        """The login on what the token writes."""
        return self.login or ACTIONS_BOT

    def add_comment(self, number: int, body: str, user: str | None = None) -> dict[str, Any]:
        """A comment by `user` (by default the token's own login, as if gridsync wrote it)."""
        with self.lock:
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
        with self.lock:
            issue = self._issue(title, body, labels, state, user or self.author)
            if pr:
                issue["pull_request"] = {"url": f"{self.url}/pulls/{issue['number']}"}
            return issue

    def add_pull(
        self,
        number: int,
        *,
        head_sha: str,
        merge_sha: str | None = None,
        merged: bool = True,
        user: str = "alice",
        labels: list[str] | tuple[str, ...] = (),
        labeled_by: str = "bob",
        head_ref: str = "feature",
        base_ref: str = "main",
        head_repository: str | None = None,
    ) -> dict[str, Any]:
        """A pull request by `user`; `labels` are on it already, each added by `labeled_by`."""
        with self.lock:
            pull = {
                "id": self._new_id(),
                "number": number,
                "state": "closed" if merged else "open",
                "user": {"login": user},
                "labels": [],
                "head": {
                    "sha": head_sha,
                    "ref": head_ref,
                    "repo": {"full_name": head_repository or self.repository},
                },
                "base": {"ref": base_ref, "repo": {"full_name": self.repository}},
                "merge_commit_sha": merge_sha,
                "merged_at": "2026-01-01T12:00:00Z" if merged else None,
            }
            self.pulls[number] = pull
        for label in labels:
            self.add_label(number, label, actor=labeled_by)
        return pull

    def add_label(self, number: int, label: str, *, actor: str) -> None:
        """Label pull request `number`, as `actor` would: the label and a `labeled` event."""
        with self.lock:
            labels = self.pulls[number]["labels"]
            if all(x["name"] != label for x in labels):
                labels.append({"name": label})
            self._event(number, "labeled", actor, label)

    def remove_label(self, number: int, label: str, *, actor: str) -> None:
        with self.lock:
            pull = self.pulls[number]
            pull["labels"] = [x for x in pull["labels"] if x["name"] != label]
            self._event(number, "unlabeled", actor, label)

    def set_branch(self, name: str, sha: str) -> None:
        """The head commit of branch `name` (GET /commits/{name})."""
        with self.lock:
            self.branches[name] = sha

    def add_workflow_run(
        self,
        workflow: str,
        *,
        event: str = "schedule",
        conclusion: str | None = "success",
        branch: str = "main",
        head_repository: str | None = None,
        run_started_at: str = "2026-01-01T06:17:00Z",
        run_id: int | None = None,
    ) -> dict[str, Any]:
        """A run of `workflow` (a file name); runs added later are newer."""
        with self.lock:
            run = {
                "id": run_id or self._new_id(),
                "path": f".github/workflows/{workflow}",
                "event": event,
                "status": "completed" if conclusion else "in_progress",
                "conclusion": conclusion,
                "head_branch": branch,
                "head_repository": {"full_name": head_repository or self.repository},
                "run_started_at": run_started_at,
            }
            self.runs.insert(0, run)
            return run

    def actions_env(self, folder: Path, event: dict[str, Any], **extra: str) -> dict[str, str]:
        """A GitHub Actions run's environment against this fake: `event` written to
        GITHUB_EVENT_PATH, the step summary and outputs as files in `folder`."""
        (folder / "event.json").write_text(json.dumps(event))
        return {
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(folder / "summary.md"),
            "GITHUB_OUTPUT": str(folder / "output.txt"),
            "GITHUB_EVENT_PATH": str(folder / "event.json"),
            "GITHUB_TOKEN": self.token,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_API_URL": self.url,
            **extra,
        }

    @staticmethod
    def step_outputs(folder: Path) -> dict[str, str]:
        """The step outputs written to `actions_env(folder, ...)`'s GITHUB_OUTPUT, then cleared."""
        path = folder / "output.txt"
        found = dict(line.split("=", 1) for line in path.read_text().splitlines())
        path.unlink()
        return found

    def pull_request_event(self, number: int, action: str = "synchronize") -> dict[str, Any]:
        """The payload GitHub writes to GITHUB_EVENT_PATH for a `pull_request` event."""
        return {
            "action": action,
            "number": number,
            "pull_request": self.pulls[number],
            "repository": {"full_name": self.repository, "default_branch": "main"},
        }

    def answer_next(self, status: int, body: Any = None, **kwargs: Any) -> None:
        with self.lock:
            self._overrides.append(Override(status, body, **kwargs))

    def writes(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests if r.method != "GET"]

    # -- serving ---------------------------------------------------------------------------------

    def answer(self, request: Recorded) -> Reply:
        """The answer to one request (recorded, under the lock: see FakeServer)."""
        refused = self._refused(request)
        if refused is not None:
            return refused.reply()
        for override in self._overrides:
            if override.times > 0 and override.matches(request.method, request.path):
                override.times -= 1
                return override.reply()
        return self._route(request).reply()

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
            ("GET", r"/issues/(\d+)/events", self._list_events),
            ("GET", r"/commits/([^/]+)/pulls", self._commit_pulls),
            ("GET", r"/commits/([^/]+)", self._commit),
            ("GET", r"/actions/workflows/([^/]+)/runs", self._workflow_runs),
            ("POST", r"/issues/(\d+)/comments", self._create_comment),
            ("PATCH", r"/issues/comments/(\d+)", self._update_comment),
            ("GET", r"/issues", self._list_issues),
            ("POST", r"/issues", self._create_issue),
            ("PATCH", r"/issues/(\d+)", self._update_issue),
        ]
        for method, pattern, route in routes:
            match = re.fullmatch(pattern, rest or "")
            if rest is not None and match and method == request.method:
                return route(request, *(int(g) if g.isdigit() else g for g in match.groups()))
        return Override(404, {"message": "Not Found", "documentation_url": DOCS})

    def _user(self) -> Override:
        if self.login is None:
            return Override(403, INTEGRATION_403)
        return Override(200, {"login": self.login, "id": 583231, "type": "User"})

    def _list_comments(self, request: Recorded, number: int) -> Override:
        return self._page(request, self.comments.get(number, []))

    def _list_events(self, request: Recorded, number: int) -> Override:
        return self._page(request, self.events.get(number, []))

    def _commit_pulls(self, request: Recorded, sha: str) -> Override:
        sha = str(sha)
        found = [
            p
            for p in sorted(self.pulls.values(), key=lambda p: -int(p["number"]))
            if sha in (p["head"]["sha"], p["merge_commit_sha"])
        ]
        return self._page(request, found)

    def _commit(self, request: Recorded, ref: str) -> Override:
        ref = str(ref)
        known = {p["head"]["sha"] for p in self.pulls.values()}
        known |= {p["merge_commit_sha"] for p in self.pulls.values()} | set(self.branches.values())
        sha = self.branches.get(ref) or (ref if ref in known else None)
        if sha is None:
            message = f"No commit found for SHA: {ref}"
            return Override(422, {"message": message, "documentation_url": DOCS})
        return Override(200, {"sha": sha, "commit": {"message": "a commit"}})

    def _workflow_runs(self, request: Recorded, workflow: str) -> Override:
        query = request.params
        found = [
            r
            for r in self.runs
            if r["path"].endswith(f"/{workflow}")
            and query.get("branch", r["head_branch"]) == r["head_branch"]
            and query.get("event", r["event"]) == r["event"]
            and (query.get("status") != "success" or r["conclusion"] == "success")
        ]
        page = self._page(request, found)
        return Override(200, {"total_count": len(found), "workflow_runs": page.body}, page.headers)

    def _event(self, number: int, kind: str, actor: str, label: str) -> None:
        event = {
            "id": self._new_id(),
            "event": kind,
            "actor": {"login": actor},
            "label": {"name": label},
            "created_at": "2026-01-01T10:00:00Z",
        }
        self.events.setdefault(number, []).append(event)

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
        state = request.params.get("state", "open")
        wanted = [x for x in request.params.get("labels", "").split(",") if x]
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
        per_page = min(100, int(request.params.get("per_page", "30")))
        page = int(request.params.get("page", "1"))
        shown = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            links.append(f'<{self._page_url(request, page + 1)}>; rel="next"')
            links.append(f'<{self._page_url(request, last)}>; rel="last"')
        return Override(200, shown, {"Link": ", ".join(links)} if links else {})

    def _page_url(self, request: Recorded, page: int) -> str:
        return f"{self.host}{request.path}?{urlencode({**request.params, 'page': str(page)})}"

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
