"""GitHub API errors: what failed, GitHub's own words, and what to do next."""

from __future__ import annotations

import httpx

from gridsync import redact
from gridsync.errors import GridsyncError

AUTHOR_ENV = "GRIDSYNC_GITHUB_AUTHOR"
MESSAGE_LIMIT = 300
HINTS = {
    401: "GitHub refused the token: check GITHUB_TOKEN",
    403: "the token may lack permission: give the workflow `permissions: pull-requests: write` "
    "(plan comment) and `issues: write` (drift issue)",
    404: "check GITHUB_REPOSITORY and the pull request number; a token without access sees 404",
    422: "GitHub refused the request as invalid (for a comment: is the body too long?)",
}


class GitHubError(GridsyncError):
    """A GitHub API request failed."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status: int | None = None,
        github_message: str = "",
        documentation_url: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.method = method
        self.path = path
        self.status = status
        self.github_message = github_message
        self.documentation_url = documentation_url


def rate_limited(response: httpx.Response) -> bool:
    """429, or a 403 that is GitHub's primary or secondary rate limit (not a permission error)."""
    if response.status_code == 429:
        return True
    headers = response.headers
    return response.status_code == 403 and (
        headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers
    )


def error_fields(response: httpx.Response) -> tuple[str, str]:
    """GitHub's `message` (with validation `errors`, if any) and `documentation_url`."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        text = response.text.strip() or response.reason_phrase or "no message"
        return redact.shorten(text, MESSAGE_LIMIT), ""
    message = str(data.get("message") or response.reason_phrase or "no message")
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        message += " (" + "; ".join(_validation(e) for e in errors[:5]) + ")"
    return redact.shorten(message, MESSAGE_LIMIT), str(data.get("documentation_url") or "")


def _validation(error: object) -> str:
    if isinstance(error, dict):
        parts = (error.get(k) for k in ("resource", "field", "code", "message"))
        return " ".join(str(p) for p in parts if p)
    return str(error)


def unknown_author(exc: GitHubError) -> GitHubError:
    """A failed GET /user, said as what it stops: knowing which comments are gridsync's."""
    return GitHubError(
        f"cannot tell which login gridsync posts as: {exc.message}",
        method=exc.method,
        path=exc.path,
        status=exc.status,
        github_message=exc.github_message,
        documentation_url=exc.documentation_url,
        hint=f"{exc.hint}; or set {AUTHOR_ENV} to the login gridsync posts as",
    )
