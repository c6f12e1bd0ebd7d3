"""One sticky plan comment per pull request, and one drift issue per project.

Our comment and our issue are found by a hidden HTML marker on their first line, so a push updates
the comment it posted before, and other people's comments are never touched. Bodies are never
logged (the plan markdown is masked already; still).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
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


def upsert_comment(github: GitHub, number: int, body: str, *, project: str | None = None) -> str:
    """Update our comment on pull request `number` in place, or create it.

    Returns "created", "updated" or "unchanged" (the same body: no request is sent).
    """
    ours = marker(project)
    found = [c for c in github.list_issue_comments(number) if _first_line(c.get("body")) == ours]
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
    return sorted(
        (i for i in issues if _first_line(i.get("body")) == ours),
        key=lambda i: int(i.get("number") or 0),
    )


def sync_drift_issue(github: GitHub, *, project: str | None, drifted: bool, body: str) -> str:
    """Keep one open issue labelled `gridsync-drift` per project in step with drift.

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
