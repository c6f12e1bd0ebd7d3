"""One sticky comment per pull request (and project), and one drift issue per project.

The comment is the pull request's record: it always shows the latest run, a plan (blocked or not),
validation errors, a plan with no changes (the older plan marked outdated) or an apply's result,
with a heading that names the project, the commit and the run. Its second line, a hidden
`<!-- gridsync:record kind=K sha=S -->`, and its last, `plan_id: ID`, are what the apply on merge
reads back (`read_record`).

Our comment and our issue are found by a hidden HTML marker on their first line AND by their
author: the login gridsync posts as (`GitHub.author()`). So a push updates the comment it posted
before, and other people's comments are never touched, even one that copies the marker (it is
logged and ignored, and gridsync posts its own). Bodies are never logged (the plan markdown is
masked already; still).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote

from gridsync.escapes import clean, md_escape
from gridsync.github.api import GitHub
from gridsync.github.context import RunInfo
from gridsync.github.fit import fit_markdown, fit_plan
from gridsync.plan.changes import Plan

log = logging.getLogger(__name__)

MARKER = "<!-- gridsync:plan -->"
DRIFT_MARKER = "<!-- gridsync:drift -->"
DRIFT_LABEL = "gridsync-drift"
MAX_COMMENT = 65_536  # GitHub's limit for a comment or issue body, in characters
ARTIFACT_HINT = "the full plan is in the workflow run's artifacts"
_ID_LIMIT = 80
_NAME_LIMIT = 200
KINDS = {
    "plan": "gridsync plan",
    "outdated": "gridsync plan (outdated)",
    "validate": "gridsync: validation failed",
    "error": "gridsync plan failed",
    "apply": "gridsync apply",
}
_RECORD = re.compile(r"<!-- gridsync:record kind=([a-z]+)(?: sha=([0-9a-fA-F]{7,64}))? -->")
_PLAN_ID = re.compile(r"plan_id: ([A-Za-z0-9._:+=/-]{1,80})")


@dataclass(frozen=True)
class Record:
    """What the sticky comment shows: a `kind` of KINDS, its Markdown, and the plan_id (if any).

    With `plan`, the plan follows the Markdown (then only a lead, such as the outdated line), and
    is shortened on the plan when the comment would be too long (gridsync.github.fit.fit_plan)."""

    kind: str
    markdown: str
    plan_id: str = ""
    project: str | None = None
    run: RunInfo = field(default_factory=RunInfo)
    plan: Plan | None = None


class ReadRecord(NamedTuple):
    """A comment gridsync wrote, read back: its kind, the commit it was about, its plan_id."""

    kind: str
    sha: str
    plan_id: str


def marker(project: str | None, base: str = MARKER) -> str:
    """The hidden first line: `<!-- gridsync:plan -->`, or `<!-- gridsync:plan project=NAME -->`."""
    if not project:
        return base
    name = quote(project, safe="/@+=")[:_NAME_LIMIT]  # nothing that could end the HTML comment
    return f"{base.removesuffix(' -->')} project={name} -->"


def _with_marker(head: str, markdown: str, foot: str, hint: str, plan: Plan | None = None) -> str:
    """`head`, the markdown (and plan) fitted so the whole is under MAX_COMMENT, then `foot`."""
    prefix, suffix = f"{head}\n\n", f"\n\n{foot}\n" if foot else "\n"
    room = MAX_COMMENT - 1 - len(prefix) - len(suffix)
    if plan is None:
        return prefix + fit_markdown(markdown, room, hint) + suffix
    lead = fit_markdown(markdown, room // 4, hint) + "\n\n" if markdown else ""
    return prefix + lead + fit_plan(plan, room - len(lead), hint) + suffix


def comment_body(
    plan: Plan | str,
    plan_id: str,
    *,
    project: str | None = None,
    artifact_hint: str = ARTIFACT_HINT,
    run: RunInfo | None = None,
) -> str:
    """Marker, heading, the markdown plan (shortened to fit GitHub's limit) and a
    `plan_id: <id>` footer.

    Shortened, it keeps the heading and summary, every DELETE and REPLACE, and says what it left
    out; it always ends well-formed, and is always shorter than MAX_COMMENT.
    """
    if isinstance(plan, str):  # a plan already rendered: fitted as text
        record = Record("plan", plan, plan_id, project, run or RunInfo())
    else:
        record = Record("plan", "", plan_id, project, run or RunInfo(), plan=plan)
    return record_body(record, artifact_hint)


def record_body(record: Record, artifact_hint: str = ARTIFACT_HINT) -> str:
    """The comment for `record`: marker, record line, heading, Markdown (fitted), plan_id."""
    foot = f"plan_id: {clean(record.plan_id)[:_ID_LIMIT]}" if record.plan_id else ""
    head = "\n".join([marker(record.project), _record_line(record), "", _heading(record)])
    return _with_marker(head, record.markdown, foot, artifact_hint, record.plan)


def _record_line(record: Record) -> str:
    sha = f" sha={record.run.sha}" if record.run.sha else ""
    return f"<!-- gridsync:record kind={record.kind}{sha} -->"


def _heading(record: Record) -> str:
    """`**gridsync plan** · project `prod` · commit `abc...` · [workflow run](URL)`."""
    parts = [f"**{KINDS[record.kind]}**"]
    if record.project:
        parts.append(f"project {md_escape(record.project)[:_NAME_LIMIT]}")
    if record.run.sha:
        parts.append(f"commit `{record.run.sha}`")
    if record.run.run_url:
        parts.append(f"[workflow run]({record.run.run_url})")
    return " · ".join(parts)


def read_record(body: Any) -> ReadRecord | None:
    """The kind, commit and plan_id of a comment gridsync wrote; None when it is not one.

    A comment from before the record line counts as a plan when it carries a plan_id.
    """
    if not isinstance(body, str):
        return None
    lines = [line.strip() for line in body.replace("\r\n", "\n").split("\n")]
    found = _RECORD.fullmatch(lines[1]) if len(lines) > 1 else None
    last = next((line for line in reversed(lines) if line), "")
    plan_id = _PLAN_ID.fullmatch(last)
    kind = found.group(1) if found else ("plan" if plan_id else "")
    if not kind:
        return None
    sha = (found.group(2) or "") if found else ""
    return ReadRecord(kind, sha, plan_id.group(1) if plan_id else "")


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


def find_comment(
    github: GitHub, number: int, *, project: str | None = None
) -> dict[str, Any] | None:
    """Our comment on pull request `number`: its first line is the marker and its author is
    `github.author()`; the first of them when there are several (the one gridsync updates)."""
    ours = marker(project)
    marked = [c for c in github.list_issue_comments(number) if _first_line(c.get("body")) == ours]
    found = _written_by_us(
        github, marked, lambda c: f"pull request #{number}: comment {clean(str(c.get('id')))}"
    )
    if len(found) > 1:
        log.warning(
            "pull request #%d: %d comments carry the gridsync marker; using the first",
            number,
            len(found),
        )
    return found[0] if found else None


def upsert_comment(
    github: GitHub,
    number: int,
    body: str,
    *,
    project: str | None = None,
    create: bool = True,
) -> str:
    """Update our comment on pull request `number` in place, or create it (unless `create` is
    False: then nothing is posted when there is none).

    Returns "created", "updated", "unchanged" (the same body: no request is sent) or "none".
    """
    comment = find_comment(github, number, project=project)
    if comment is None:
        if not create:
            return "none"
        github.create_issue_comment(number, body)
        log.info("pull request #%d: plan comment created", number)
        return "created"
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
