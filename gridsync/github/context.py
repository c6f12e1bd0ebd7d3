"""What a GitHub Actions run says about itself: the event payload (GITHUB_EVENT_PATH), the commit,
the run's URL and the pull request, read in one place.

A pull request is read the same way from the event payload's `pull_request` and from the REST API
(`GET /commits/{sha}/pulls` answers the same objects).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from gridsync.errors import GridsyncError

_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_URL = re.compile(r"https?://[A-Za-z0-9.:\[\]_-]+(?:/[A-Za-z0-9._~-]+)*")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_RUN_ID = re.compile(r"[0-9]{1,20}")


class PullRequest(NamedTuple):
    number: int
    author: str  # the login that opened it
    labels: tuple[str, ...]
    head_sha: str
    merged: bool = False


class RunInfo(NamedTuple):
    """Where a comment comes from: the commit it is about and the run that wrote it."""

    sha: str = ""  # the pull request's head commit, else GITHUB_SHA ("" when unknown)
    run_url: str = ""  # $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID


def read_event(env: Mapping[str, str]) -> dict[str, Any]:
    """The event payload of GITHUB_EVENT_PATH; {} when there is none."""
    name = env.get("GITHUB_EVENT_PATH", "").strip()
    if not name:
        return {}
    path = Path(name)
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise GridsyncError(
            f"cannot read the GitHub event file {path}: {exc}",
            hint="GITHUB_EVENT_PATH must name the JSON file GitHub Actions writes",
        ) from exc
    return event if isinstance(event, dict) else {}


def pull_from(data: Any) -> PullRequest | None:
    """A pull request object (event payload or REST API); None when it is not one."""
    if not isinstance(data, dict):
        return None
    number = data.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        return None
    user, head = data.get("user"), data.get("head")
    author = user.get("login") if isinstance(user, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    labels = data.get("labels")
    names = tuple(
        x["name"]
        for x in (labels if isinstance(labels, list) else [])
        if isinstance(x, dict) and isinstance(x.get("name"), str)
    )
    return PullRequest(
        number,
        author if isinstance(author, str) else "",
        names,
        sha if isinstance(sha, str) else "",
        merged=bool(data.get("merged_at")),
    )


def event_pull(env: Mapping[str, str]) -> PullRequest | None:
    """The pull request of a pull_request (or pull_request_target, review...) event."""
    return pull_from(read_event(env).get("pull_request"))


def run_info(env: Mapping[str, str]) -> RunInfo:
    """The commit (the pull request's head from the event, else GITHUB_SHA) and the run's URL;
    anything that does not look like what GitHub sets is left out rather than shown."""
    pull = event_pull(env)
    sha = pull.head_sha if pull is not None and pull.head_sha else env.get("GITHUB_SHA", "")
    return RunInfo(sha.strip() if _SHA.fullmatch(sha.strip()) else "", run_url(env))


def run_url(env: Mapping[str, str]) -> str:
    server = env.get("GITHUB_SERVER_URL", "").strip().rstrip("/") or "https://github.com"
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    run_id = env.get("GITHUB_RUN_ID", "").strip()
    if not (
        _URL.fullmatch(server) and _REPOSITORY.fullmatch(repository) and _RUN_ID.fullmatch(run_id)
    ):
        return ""
    return f"{server}/{repository}/actions/runs/{run_id}"


def default_branch(env: Mapping[str, str]) -> str:
    """The repository's default branch, from the event payload ("" when it does not say)."""
    repository = read_event(env).get("repository")
    branch = repository.get("default_branch") if isinstance(repository, dict) else None
    return branch if isinstance(branch, str) else ""
