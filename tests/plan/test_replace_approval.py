"""A replace Grid forces is blocked unless approved; the approval shows in the plan, and an
approved plan never shares its plan_id with the unapproved one."""

from __future__ import annotations

from factories import desired, live, live_state, state

from gridsync.plan import contract
from gridsync.plan.changes import Action, Plan
from gridsync.plan.diff import REPLACE_LABEL, Policy, compute_plan
from gridsync.render import markdown, text

LABEL_TEXT = f"label {REPLACE_LABEL} (added by @bob)"


def _region_change(policy: Policy) -> Plan:
    return compute_plan(
        state(desired("ml-a", region="us-west-2")),
        live_state(live("ml-a", region="us-east-1")),
        policy,
        "test",
    )


def test_an_unapproved_replace_is_blocked_and_names_the_label() -> None:
    (change,) = _region_change(Policy()).changes
    assert change.action == Action.REPLACE
    assert REPLACE_LABEL in change.blocked
    assert change.approved == ""


def test_an_approved_plan_has_another_plan_id_than_the_unapproved_one() -> None:
    unapproved = _region_change(Policy())
    by_flag = _region_change(Policy(allow_replace=True))
    by_label = _region_change(Policy(allow_replace=True, approved_by=LABEL_TEXT))
    assert unapproved.plan_id != by_flag.plan_id
    # Who approved is shown, not pinned: the apply on merge passes --allow-replace.
    assert by_flag.plan_id == by_label.plan_id


def test_the_approval_is_shown_in_every_format() -> None:
    plan = _region_change(Policy(allow_replace=True, approved_by=LABEL_TEXT))
    (change,) = plan.changes
    assert change.approved == LABEL_TEXT and not change.blocked
    assert f"approved by {LABEL_TEXT}" in text.render_plan(plan)
    md = markdown.render_plan(plan)
    assert "✅ approved by label gridsync:allow-replace (added by @bob)" in md
    data = contract.plan_to_dict(plan)
    assert data["changes"][0]["approved"] == LABEL_TEXT
    assert contract.plan_from_dict(data).changes[0].approved == LABEL_TEXT


def test_the_flag_alone_says_so() -> None:
    (change,) = _region_change(Policy(allow_replace=True)).changes
    assert change.approved == "--allow-replace"


def test_deletes_and_replaces_come_first_under_a_warning_line() -> None:
    plan = compute_plan(
        state(desired("aa-new"), desired("zz-moved", region="us-west-2")),
        live_state(live("zz-moved", region="us-east-1")),
        Policy(allow_replace=True),
        "test",
    )
    md = markdown.render_plan(plan)
    assert "> ⚠️ **1 to replace:** zz-moved (review these first)" in md
    assert md.index("| `-/+` | zz-moved") < md.index("| `+` | aa-new")
