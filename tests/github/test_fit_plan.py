"""A plan comment is shortened on the plan (gridsync.github.fit.fit_plan), through the Markdown
renderer's Shortening, not by reading its text back."""

from __future__ import annotations

from gridsync import redact
from gridsync.github.fit import fit_markdown, fit_plan
from gridsync.plan.changes import Action, Change, FieldChange, Plan
from gridsync.render.markdown import Shortening, render_plan, render_shortened

HINT = "see the artifact"


def plan_of(count: int) -> Plan:
    changes = []
    for i in range(count):
        name = f"ml-{i:03d}"
        if i % 10 == 3:
            changes.append(Change(Action.DELETE, name, name, reason="undeclared"))
        else:
            fields = (FieldChange("cost_savings", False, True),)
            changes.append(Change(Action.UPDATE, name, name, fields))
    return Plan(backend="local", changes=tuple(changes))


def test_a_plan_that_fits_is_the_whole_rendering() -> None:
    plan = plan_of(5)
    assert fit_plan(plan, 100_000, HINT) == render_plan(plan).rstrip("\n")


def test_shortening_keeps_critical_changes_then_rows_then_blocks() -> None:
    plan = plan_of(60)
    whole = render_plan(plan)
    limit = len(whole) // 2
    fitted = fit_plan(plan, limit, HINT)
    assert len(fitted) <= limit
    for change in plan.changes:
        if change.action == Action.DELETE:
            assert f"| `-` | {change.name} |" in fitted
            assert f"<b>{change.name}</b> will be deleted" in fitted
    # what it is: the renderer's own output for some choice of rows and blocks, none clipped
    others = sum(c.action != Action.DELETE for c in plan.changes)
    renderings = {
        render_shortened(plan, Shortening(rows, blocks, None, HINT)).rstrip("\n")
        for rows, blocks in [(others, n) for n in range(others + 1)]
    }
    assert fitted in renderings
    assert "more change" in fitted and "not shown: see the artifact" in fitted


def test_fewer_rows_before_any_other_block() -> None:
    plan = plan_of(60)
    no_blocks = render_shortened(plan, Shortening(rows=0, blocks=0, hint=HINT))
    fitted = fit_plan(plan, len(no_blocks) + 200, HINT)
    assert "more table row" in fitted and "will be updated" not in fitted
    assert "| `~` | ml-000 |" in fitted  # the first rows, in order


def test_a_clipped_line_keeps_no_part_of_a_secret() -> None:
    """Lines are clipped at a length: the text is masked first, or the clip would leave the
    first characters of a secret, which masking at the sink no longer knows."""
    secret = "fit-secret-" + "0123456789" * 4
    redact.register(secret)
    markdown = "# Plan\n\n" + " ".join([secret] * 60) + "\n"  # wherever a cut falls, one is cut
    for limit in (700, 1200, 2050):
        fitted = redact.mask(fit_markdown(markdown, limit, "see the run"))  # as the sink masks
        assert len(fitted) <= limit and "***" in fitted and secret[:6] not in fitted, limit
