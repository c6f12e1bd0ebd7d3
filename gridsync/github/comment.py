"""One sticky plan comment per pull request, and one drift issue per project.

Our comment and our issue are found by a hidden HTML marker on their first line AND by their
author: the login gridsync posts as (`GitHub.author()`). So a push updates the comment it posted
before, and other people's comments are never touched, even one that copies the marker (it is
logged and ignored, and gridsync posts its own). Bodies are never logged (the plan markdown is
masked already; still).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from gridsync.github.api import GitHub
from gridsync.github.fit import fit_markdown
from gridsync.render.common import clean

log = logging.getLogger(__name__)

MARKER = "<!-- gridsync:plan -->"
DRIFT_MARKER = "<!-- gridsync:drift -->"
DRIFT_LABEL = "gridsync-drift"
MAX_COMMENT = 65_536  # GitHub's limit for a comment or issue body, in characters
ARTIFACT_HINT = "the full plan is in the workflow run's artifacts"
_ID_LIMIT = 80
_NAME_LIMIT = 200


def marker(project: str | None, base: str = MARKER) -> str:
    """The hidden first line: `<!-- gridsync:plan -->`, or `<!-- gridsync:plan project=NAME -->`."""
    if not project:
        return base
    name = quote(project, safe="/@+=")[:_NAME_LIMIT]  # nothing that could end the HTML comment
    return f"{base.removesuffix(' -->')} project={name} -->"


def _with_marker(head: str, markdown: str, foot: str, hint: str) -> str:
    """`head`, the markdown fitted so the whole is under MAX_COMMENT, then `foot` (if any)."""
    prefix, suffix = f"{head}\n\n", f"\n\n{foot}\n" if foot else "\n"
    room = MAX_COMMENT - 1 - len(prefix) - len(suffix)
    return prefix + fit_markdown(markdown, room, hint) + suffix


def comment_body(
    plan_markdown: str,
    plan_id: str,
    *,
    project: str | None = None,
    artifact_hint: str = ARTIFACT_HINT,
) -> str:
    """Marker, the markdown plan (shortened to fit GitHub's limit) and a `plan_id: <id>` footer.

    Shortened, it keeps the heading and summary, every DELETE and REPLACE, and says what it left
    out; it always ends well-formed, and is always shorter than MAX_COMMENT.
    """
    foot = f"plan_id: {clean(plan_id)[:_ID_LIMIT]}"
    return _with_marker(marker(project), plan_markdown, foot, artifact_hint)


def _first_line(text: Any) -> str:
    return text.replace("\r\n", "\n").split("\n", 1)[0].strip() if isinstance(text, str) else ""


def _same(current: Any, body: str) -> bool:
    return isinstance(current, str) and current.replace("\r\n", "\n") == body


def _login(item: dict[str, Any]) -> str:
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else ""


def _written_by_us(
    github: GitHub, marked: list[dict[str, Any]], name: Callable[[dict[str, Any]], str]
) -> list[dict[str, Any]]:
    """The items of `marked` whose author is the login gridsync posts as; warns about the rest.

    Asks GitHub who that is (once per client) only when something carries the marker.
    """
    if not marked:
        return []
    author = github.author()
    ours = []
    for item in marked:
        if _login(item).casefold() == author.casefold():
            ours.append(item)
        else:
            log.warning(
                "%s by %s carries the gridsync marker; ignored (not written by %s)",
                *(name(item), clean(_login(item)) or "an unknown user", author),
            )
    return ours


def upsert_comment(github: GitHub, number: int, body: str, *, project: str | None = None) -> str:
    """Update our comment on pull request `number` in place, or create it.

    Ours: its first line is the marker and its author is `github.author()`.
    Returns "created", "updated" or "unchanged" (the same body: no request is sent).
    """
    ours = marker(project)
    marked = [c for c in github.list_issue_comments(number) if _first_line(c.get("body")) == ours]
    found = _written_by_us(
        github, marked, lambda c: f"pull request #{number}: comment {clean(str(c.get('id')))}"
    )
    if not found:
        github.create_issue_comment(number, body)
        log.info("pull request #%d: plan comment created", number)
        return "created"
    comment = found[0]
    if len(found) > 1:
        log.warning(
            "pull request #%d: %d comments carry the gridsync marker; updating the first",
            number,
            len(found),
        )
    if _same(comment.get("body"), body):
        return "unchanged"
    github.update_issue_comment(int(comment["id"]), body)
    log.info("pull request #%d: plan comment %s updated", number, comment["id"])
    return "updated"


def drift_title(project: str | None) -> str:
    where = f" (project {clean(project)})" if project else ""
    return f"gridsync: live clusters drifted from the declared state{where}"


def drift_body(markdown: str, *, project: str | None = None, hint: str = ARTIFACT_HINT) -> str:
    """The drift issue's body: its marker, then `markdown` shortened to fit."""
    return _with_marker(marker(project, DRIFT_MARKER), markdown, "", hint)


def _open_drift_issues(github: GitHub, project: str | None) -> Sequence[dict[str, Any]]:
    ours = marker(project, DRIFT_MARKER)
    issues = github.find_issues(DRIFT_LABEL, state="open")
    marked = sorted(
        (i for i in issues if _first_line(i.get("body")) == ours),
        key=lambda i: int(i.get("number") or 0),
    )
    return _written_by_us(github, marked, lambda i: f"drift issue #{clean(str(i.get('number')))}")


def sync_drift_issue(github: GitHub, *, project: str | None, drifted: bool, body: str) -> str:
    """Keep one open issue labelled `gridsync-drift` per project in step with drift.

    Ours: open, labelled, its first line is the marker and its author is `github.author()`;
    an issue by anyone else is never updated or closed.
    Drift: create the issue, or update the open one. No drift: close it if it is open.
    Returns "created", "updated", "unchanged" (drift, same body: no request), "closed" or "none".
    `body` is the markdown to show (the plan); the marker is added here.
    """
    issues = _open_drift_issues(github, project)
    if not drifted:
        for issue in issues:
            github.update_issue(int(issue["number"]), state="closed")
            log.info("drift issue #%s closed: no drift", issue["number"])
        return "closed" if issues else "none"
    full = drift_body(body, project=project)
    if not issues:
        created = github.create_issue(drift_title(project), full, [DRIFT_LABEL])
        log.info("drift issue #%s created", created.get("number"))
        return "created"
    issue = issues[0]
    if _same(issue.get("body"), full):
        return "unchanged"
    github.update_issue(int(issue["number"]), body=full)
    log.info("drift issue #%s updated", issue["number"])
    return "updated"
