"""A replace approved in review: the pull request label `gridsync:allow-replace`, added by someone
other than the pull request's author.

GitHub lets only people with triage or write access add labels, but an author with write access
could label their own pull request; that is not a review, so the label counts only when the last
`labeled` event for it (GET /repos/{o}/{r}/issues/{n}/events) was by another login. Nor is a
bot's label (a login ending in `[bot]`, e.g. a labeler workflow the author's push can trigger).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from gridsync.escapes import clean
from gridsync.github.api import GitHub
from gridsync.github.context import PullRequest
from gridsync.plan.diff import REPLACE_LABEL

LABEL = REPLACE_LABEL


class Approval(NamedTuple):
    approved: bool
    why: str  # one sentence, for the log
    by: str = ""  # who added the label, when approved

    @property
    def text(self) -> str:
        """How the plan shows it: `label gridsync:allow-replace (added by @bob)`."""
        return f"label {LABEL} (added by @{self.by})" if self.approved else ""


def label_approval(github: GitHub, pull: PullRequest) -> Approval:
    """Whether `pull` carries the label, added last by someone other than its author."""
    if LABEL not in pull.labels:
        return Approval(False, f"pull request #{pull.number} has no {LABEL} label")
    actor = last_labeled_by(github.issue_events(pull.number), LABEL)
    if not actor:
        return Approval(False, f"cannot tell who added {LABEL} to #{pull.number}: not approved")
    if not pull.author or actor.casefold() == pull.author.casefold():
        return Approval(
            False,
            f"{LABEL} on #{pull.number} was added by its author @{clean(actor)}, which is not a "
            "review: another person with triage or write access must add it",
        )
    if actor.casefold().endswith("[bot]"):
        return Approval(
            False, f"{LABEL} on #{pull.number} was added by the bot @{clean(actor)}, not a reviewer"
        )
    return Approval(True, f"replace approved: @{clean(actor)} added {LABEL}", by=clean(actor))


def last_labeled_by(events: Sequence[dict[str, Any]], label: str) -> str:
    """The login of the last `labeled` event for `label` ("" when there is none)."""
    actor = ""
    for event in events:
        named = event.get("label")
        if event.get("event") != "labeled" or not isinstance(named, dict):
            continue
        who = event.get("actor")
        if named.get("name") == label and isinstance(who, dict):
            login = who.get("login")
            actor = login if isinstance(login, str) else ""
    return actor
