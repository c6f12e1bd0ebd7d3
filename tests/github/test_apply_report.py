"""What `apply --github` and `apply --comment` say: outputs per exit code, the Markdown summary of
a partial apply, and a refusal's message escaped."""

from __future__ import annotations

from gridsync.apply.outcome import ApplyResult, Outcome, Status
from gridsync.errors import ExitCode
from gridsync.github.actions import apply_outputs
from gridsync.plan.changes import Action, Change, Plan
from gridsync.render.summary import render_refusal_markdown, render_summary_markdown

PLAN = Plan("test", (Change(Action.CREATE, "ml-a"), Change(Action.DELETE, "ml-b", "ml-b")))
PARTIAL = ApplyResult(
    (
        Outcome("ml-a", Action.CREATE, Status.FAILED, "quota | exceeded <b>"),
        Outcome("ml-b", Action.DELETE, Status.SUCCEEDED, seconds=1.5),
        Outcome("ml-c", Action.UPDATE, Status.NOT_ATTEMPTED),
    ),
    context=Outcome("ml-a", Action.UPDATE, Status.NOT_ATTEMPTED),
)


def test_a_partial_apply_counts_what_succeeded_failed_and_was_not_attempted() -> None:
    assert apply_outputs(PLAN, PARTIAL, ExitCode.PARTIAL) == {
        "result": "partial",
        "applied": "1",
        "created": "0",
        "updated": "0",
        "replaced": "0",
        "deleted": "1",
        "failed": "1",
        "not_attempted": "2",
        "plan_id": PLAN.plan_id,
    }


def test_a_refusal_before_any_plan_has_no_plan_id() -> None:
    outputs = apply_outputs(None, None, ExitCode.LOCK_TIMEOUT)
    assert outputs["result"] == "locked" and outputs["plan_id"] == "" and outputs["applied"] == "0"
    assert apply_outputs(PLAN, None, ExitCode.BLOCKED)["result"] == "blocked"
    assert apply_outputs(PLAN, None, ExitCode.ERROR)["result"] == "error"


def test_the_markdown_summary_escapes_server_text() -> None:
    text = render_summary_markdown(PARTIAL)
    assert text.startswith(
        "### Apply finished with errors: 1 succeeded, 1 failed, 2 not attempted."
    )
    assert "| ❌ failed | ml-a | create | quota \\| exceeded \\<b\\> |" in text
    assert "| ✅ ok in 1.5s | ml-b | delete |  |" in text


def test_a_refusal_quotes_the_error_escaped() -> None:
    text = render_refusal_markdown(ExitCode.STALE_PLAN, "the plan changed\n  hint: <review>")
    assert text.startswith("### Apply refused: stale plan")
    assert "(exit 4)" in text and "Nothing was changed." in text
    assert "> the plan changed\n>   hint: \\<review\\>" in text
