"""A small GitHub REST client over httpx: issue comments, issues, the pull requests of a commit,
a branch's head, a pull request's issue events and a workflow's runs; nothing more.

GET and PATCH (which sets fields to given values: safe to repeat) are retried on connection
errors, timeouts, 5xx, 429 and rate-limit 403s, waiting as long as GitHub asks (Retry-After or
x-ratelimit-reset) when that is within the cap, else with full-jitter exponential backoff.
A POST is only repeated when GitHub provably did not act on it (the connection was never made,
or GitHub answered with a rate limit): after a timeout or a 5xx the comment or issue may exist
already, and posting again would duplicate it. The next run finds it by its marker instead.

The token never appears in an error message, a repr or a log line; no request body is logged.

`GitHub.author()` is the login gridsync's comments and issues carry, so that only those count as
gridsync's: GRIDSYNC_GITHUB_AUTHOR when set, else `GET /user`'s login, else (GitHub answers 403 to
an installation token such as GITHUB_TOKEN) `github-actions[bot]`. Asked once per client.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from gridsync import __version__
from gridsync.errors import UsageError
from gridsync.github.errors import (
    AUTHOR_ENV,
    HINTS,
    GitHubError,
    error_fields,
    rate_limited,
    unknown_author,
)
from gridsync.httpedge import (
    DEFAULT_RETRY,
    NOT_SENT,
    HttpEdge,
    Outcome,
    RetryPolicy,
    Service,
    retry_after,
)
from gridsync.redact import mask_strings
from gridsync.redact import register as register_secret

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
ACTIONS_BOT = "github-actions[bot]"  # the login on what GITHUB_TOKEN writes
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}(?:\[bot\])?")


def _retryable(outcome: Outcome, method: str) -> bool:
    if isinstance(outcome, httpx.Response):
        if rate_limited(outcome):
            return True
        return outcome.status_code >= 500 and method != "POST"
    return method != "POST" or isinstance(outcome, NOT_SENT)


class GitHub:
    """The few GitHub REST endpoints gridsync uses, for one repository."""

    def __init__(
        self,
        token: str,
        repository: str,
        *,
        api_url: str = DEFAULT_API_URL,
        client: httpx.Client | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        author: str | None = None,
    ) -> None:
        if not _REPOSITORY.fullmatch(repository):
            raise UsageError(
                f"not a GitHub repository: {repository!r}",
                hint="GITHUB_REPOSITORY must be owner/name",
            )
        if author is not None and not _LOGIN.fullmatch(author):
            raise UsageError(
                f"not a GitHub login: {author!r}",
                hint=f"{AUTHOR_ENV} must be the login gridsync posts as, e.g. my-app[bot]",
            )
        self._author = author
        self._token = token
        register_secret(token)
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=retry.timeout)
        self._clock = clock
        self._edge = HttpEdge(self._service(), self._client, retry=retry, sleep=sleep, rng=rng)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **kwargs: Any) -> GitHub:
        """From GITHUB_TOKEN, GITHUB_REPOSITORY, (GitHub Enterprise) GITHUB_API_URL and
        GRIDSYNC_GITHUB_AUTHOR (the login gridsync posts as, when GET /user cannot tell)."""
        token, repository = env.get("GITHUB_TOKEN", "").strip(), env.get("GITHUB_REPOSITORY", "")
        if not token:
            raise UsageError(
                "GITHUB_TOKEN is not set",
                hint="pass it to the step: `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`",
            )
        if not repository.strip():
            raise UsageError(
                "GITHUB_REPOSITORY is not set",
                hint="set it to owner/name (GitHub Actions sets it for every job)",
            )
        api_url = env.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
        kwargs = {"author": env.get(AUTHOR_ENV, "").strip() or None, **kwargs}
        return cls(token, repository.strip(), api_url=api_url, **kwargs)

    def __repr__(self) -> str:
        return f"GitHub(repository={self.repository!r}, api_url={self.api_url!r})"

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- endpoints -------------------------------------------------------------------------------

    def author(self) -> str:
        """The login on the comments and issues this client writes (see the module docstring)."""
        if self._author is None:
            self._author = self._authenticated_login()
        return self._author

    def _authenticated_login(self) -> str:
        response = self._request("GET", "/user", self.api_url + "/user")
        if response.status_code == 403 and not rate_limited(response):
            log.info(
                "GET /user: HTTP 403 (%s): an installation token such as GITHUB_TOKEN; taking "
                "comments by %s as gridsync's (set %s if the token is another app's)",
                *(self._redact(error_fields(response)[0]), ACTIONS_BOT, AUTHOR_ENV),
            )
            return ACTIONS_BOT
        try:
            data = self._json("/user", "GET", response)
        except GitHubError as exc:
            raise unknown_author(exc) from exc
        login = data.get("login") if isinstance(data, dict) else None
        if not isinstance(login, str) or not _LOGIN.fullmatch(login):
            raise self._shape_error("GET", "/user", response, "a login")
        return login

    def list_issue_comments(self, number: int) -> list[dict[str, Any]]:
        return self._pages(f"/repos/{self.repository}/issues/{int(number)}/comments", {})

    def create_issue_comment(self, number: int, body: str) -> dict[str, Any]:
        path = f"/repos/{self.repository}/issues/{int(number)}/comments"
        return self._object("POST", path, {"body": body})

    def update_issue_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        path = f"/repos/{self.repository}/issues/comments/{int(comment_id)}"
        return self._object("PATCH", path, {"body": body})

    def find_issues(self, label: str, state: str = "open") -> list[dict[str, Any]]:
        """Issues (not pull requests) with `label` in `state` (open, closed or all)."""
        params = {"labels": label, "state": state}
        found = self._pages(f"/repos/{self.repository}/issues", params)
        return [issue for issue in found if "pull_request" not in issue]

    def create_issue(self, title: str, body: str, labels: Sequence[str]) -> dict[str, Any]:
        payload = {"title": title, "body": body, "labels": list(labels)}
        return self._object("POST", f"/repos/{self.repository}/issues", payload)

    def update_issue(
        self, number: int, *, body: str | None = None, state: str | None = None
    ) -> dict[str, Any]:
        payload = {k: v for k, v in (("body", body), ("state", state)) if v is not None}
        return self._object("PATCH", f"/repos/{self.repository}/issues/{int(number)}", payload)

    def commit_pulls(self, sha: str) -> list[dict[str, Any]]:
        """The pull requests associated with commit `sha` (its merged pull request among them)."""
        return self._pages(f"/repos/{self.repository}/commits/{quote(sha, safe='')}/pulls", {})

    def commit_sha(self, ref: str) -> str:
        """The sha of the commit `ref` (a branch name, tag or sha) names."""
        path = f"/repos/{self.repository}/commits/{quote(ref, safe='')}"
        response = self._request("GET", path, self.api_url + path)
        data = self._json(path, "GET", response)
        sha = data.get("sha") if isinstance(data, dict) else None
        if not isinstance(sha, str):
            raise self._shape_error("GET", path, response, "a commit sha")
        return sha

    def issue_events(self, number: int) -> list[dict[str, Any]]:
        """The events of issue or pull request `number` (labeled, unlabeled, ...), oldest first."""
        return self._pages(f"/repos/{self.repository}/issues/{int(number)}/events", {})

    def workflow_runs(
        self, workflow: str, params: Mapping[str, str], *, most: int = 300
    ) -> list[dict[str, Any]]:
        """Runs of the workflow file `workflow`, newest first, at most `most` of them."""
        path = f"/repos/{self.repository}/actions/workflows/{quote(workflow, safe='')}/runs"
        return self._pages(path, params, key="workflow_runs", most=most)

    # -- requests --------------------------------------------------------------------------------

    def _pages(
        self, path: str, params: Mapping[str, str], *, key: str = "", most: int = 0
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list (the list under `key` when the page is an object),
        following the Link header's `next`; with `most`, stop once that many are read."""
        items: list[dict[str, Any]] = []
        url: str | None = self.api_url + path
        query: Mapping[str, str] | None = {**params, "per_page": str(PER_PAGE)}
        while url is not None and not (most and len(items) >= most):
            response = self._request("GET", path, url, params=query)
            data = self._json(path, "GET", response)
            if key and isinstance(data, dict):
                data = data.get(key)
            if not isinstance(data, list):
                raise self._shape_error("GET", path, response, "a JSON list")
            items.extend(item for item in data if isinstance(item, dict))
            url, query = self._next_page(response, path), None
        return items[:most] if most else items

    def _next_page(self, response: httpx.Response, path: str) -> str | None:
        url = response.links.get("next", {}).get("url")
        if url is None:
            return None
        if not url.startswith(self.api_url + "/"):  # never send the token anywhere else
            raise GitHubError(
                f"GET {path}: the next page is on another host ({url.split('?')[0]})",
                method="GET",
                path=path,
                hint="check GITHUB_API_URL",
            )
        return url

    def _object(self, method: str, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        response = self._request(method, path, self.api_url + path, json=payload)
        data = self._json(path, method, response)
        if not isinstance(data, dict):
            raise self._shape_error(method, path, response, "a JSON object")
        return data

    def _service(self) -> Service:
        return Service(
            name="GitHub",
            error=GitHubError,
            message=lambda response: error_fields(response)[0],
            url_hint=f"check GITHUB_API_URL ({self.api_url})",
            api_hint=f"check that GITHUB_API_URL ({self.api_url}) is GitHub's REST API",
            asked_delay=self._asked_delay,
            long_wait_hint="run again later, or use a token with a higher rate limit",
            secrets=lambda: (self._token,),
        )

    def _request(
        self,
        method: str,
        path: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        sent = self._edge.send(
            method,
            path,
            url,
            retryable=lambda outcome: _retryable(outcome, method),
            params=params,
            json=mask_strings(json),
            headers=self._headers(),
        )
        if isinstance(sent.outcome, httpx.Response):
            return sent.outcome  # a failure status becomes a GitHubError with GitHub's message
        raise self._transport_error(method, path, sent.outcome, sent.tries) from sent.outcome

    def _transport_error(
        self, method: str, path: str, exc: httpx.TransportError, tries: int
    ) -> GitHubError:
        maybe_done = method == "POST" and not isinstance(exc, NOT_SENT)
        hint = "check GITHUB_API_URL and the network, then run again"
        if maybe_done:
            hint += " (GitHub may have acted on it: the next run finds it by its marker)"
        return GitHubError(
            f"{method} {path} failed after {tries} attempt(s): {self._edge.describe(exc)}",
            method=method,
            path=path,
            hint=hint,
        )

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"gridsync/{__version__}",
        }

    def _asked_delay(self, response: httpx.Response) -> float | None:
        """The wait GitHub asks for: Retry-After, else x-ratelimit-reset when none remain."""
        asked = retry_after(response.headers.get("retry-after"))
        if asked is not None:
            return asked
        reset = response.headers.get("x-ratelimit-reset")
        if response.headers.get("x-ratelimit-remaining") == "0" and reset:
            try:
                return max(0.0, float(reset) - self._clock())
            except ValueError:
                return None
        return None

    def _json(self, path: str, method: str, response: httpx.Response) -> Any:
        if not response.is_success:
            raise self._status_error(method, path, response)
        return self._edge.json(method, path, response)

    def _status_error(self, method: str, path: str, response: httpx.Response) -> GitHubError:
        message, docs = (self._redact(text) for text in error_fields(response))
        status = response.status_code
        said = f"HTTP {status}: {message}" + (f" (see {docs})" if docs else "")
        hint = HINTS.get(status, "try again later")
        if rate_limited(response):
            hint = "GitHub's rate limit: run again later, or use a token with a higher limit"
        return GitHubError(
            f"{method} {path}: GitHub answered {said}",
            method=method,
            path=path,
            status=status,
            github_message=message,
            documentation_url=docs,
            hint=hint,
        )

    def _shape_error(
        self, method: str, path: str, response: httpx.Response, expected: str
    ) -> GitHubError:
        return GitHubError(
            f"{method} {path}: GitHub answered HTTP {response.status_code} without {expected}",
            method=method,
            path=path,
            status=response.status_code,
            hint=f"check that GITHUB_API_URL ({self.api_url}) is GitHub's REST API",
        )

    def _redact(self, text: str) -> str:
        return self._edge.redact(text)
