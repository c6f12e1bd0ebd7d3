"""What every format must guarantee: no secrets, colour only when asked, well-formed output."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from typing import Any, cast

import pytest
from render_plans import FULL, PLANS, SECRETS

from gridsync.config.desired import DesiredCluster
from gridsync.painter import Painter
from gridsync.plan import contract
from gridsync.plan.changes import Action, Change, FieldChange, Plan
from gridsync.render import json_format, markdown, text

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SUMMARY = re.compile(r"Plan: \d+ to create, \d+ to update, \d+ to replace, \d+ to delete\.")


def _all_outputs(plan: Plan) -> dict[str, str]:
    return {
        "text": text.render_plan(plan),
        "text-color": text.render_plan(plan, Painter(True)),
        "markdown": markdown.render_plan(plan),
        "json": json_format.render_plan(plan),
    }


class _Untouchable:
    """Stands in for Change.desired: any read of it fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a renderer read Change.desired.{name}")


@pytest.mark.parametrize("name", sorted(PLANS))
def test_no_secret_in_any_format(name: str) -> None:
    for fmt, output in _all_outputs(PLANS[name]).items():
        for secret in SECRETS:
            assert secret not in output, f"{fmt} leaks {secret!r}"


def test_full_plan_carries_the_secrets_it_must_hide() -> None:
    # Guards the test above: the plan really holds the secrets in fields and in desired.
    values = {v for c in FULL.changes for f in c.fields for v in (f.before, f.after)}
    desired = [c.desired for c in FULL.changes if c.desired is not None]
    assert set(SECRETS) - {d.spec.external_id for d in desired} <= values
    assert {d.spec.external_id for d in desired} & set(SECRETS)


def test_renderers_never_read_desired() -> None:
    trap = cast(DesiredCluster, _Untouchable())
    plan = replace(FULL, changes=tuple(c._replace(desired=trap) for c in FULL.changes))
    outputs = _all_outputs(plan)
    assert outputs == _all_outputs(FULL)


def test_sensitive_values_masked_in_json() -> None:
    change = Change(
        Action.UPDATE,
        "ml-a",
        "ml-a",
        fields=(
            FieldChange("external_id", "old-secret", "new-secret", sensitive=True),
            FieldChange("role_arn", None, "arn-secret", sensitive=True),
        ),
    )
    fields = contract.plan_to_dict(Plan("b", (change,)))["changes"][0]["fields"]
    assert [(f["before"], f["after"]) for f in fields] == [
        ("(sensitive)", "(sensitive)"),
        (None, "(sensitive)"),
    ]


@pytest.mark.parametrize("name", sorted(PLANS))
def test_no_ansi_without_color(name: str) -> None:
    assert "\x1b" not in text.render_plan(PLANS[name])
    assert "\x1b" not in markdown.render_plan(PLANS[name])


def test_outside_control_characters_are_escaped() -> None:
    plan = PLANS["awkward"]
    assert "\x1b" in plan.changes[0].reason  # the input really carries an escape
    rendered = text.render_plan(plan, Painter(True))
    assert "\\x1b[31m" in rendered
    assert ANSI.sub("", rendered).count("\x1b") == 0


@pytest.mark.parametrize("name", sorted(PLANS))
def test_color_only_adds_ansi(name: str) -> None:
    colored = text.render_plan(PLANS[name], Painter(True))
    assert "\x1b[" in colored
    assert ANSI.sub("", colored) == text.render_plan(PLANS[name])


def test_color_by_action() -> None:
    colored = text.render_plan(FULL, Painter(True))
    green, yellow, red, magenta, bold, reset = (f"\x1b[{n}m" for n in (32, 33, 31, 35, 1, 0))
    assert f"  {green}+{reset} {bold}ml-dev-usw2{reset}" in colored
    assert f"  {yellow}~{reset} {bold}ml-prod-use1{reset}" in colored
    assert f"{magenta}-/+{reset} {bold}ml-research{reset}" in colored
    assert f"  {red}-{reset} {bold}ml-old{reset}" in colored
    assert f"{red}blocked: protect: true" in colored
    assert f"{green}+{reset} instance_types[p3.2xlarge]:" in colored
    assert f"{red}-{reset} instance_types[t2.medium]:" in colored
    assert colored.splitlines()[0].startswith(bold)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_text_ends_with_summary(name: str) -> None:
    for color in (False, True):
        rendered = text.render_plan(PLANS[name], Painter(color))
        assert rendered.endswith("\n")
        assert SUMMARY.fullmatch(ANSI.sub("", rendered.splitlines()[-1]))


def test_empty_plan_says_no_changes() -> None:
    lines = text.render_plan(PLANS["empty"]).splitlines()
    assert "No changes. 0 declared clusters match live state." in lines
    assert lines[-1] == "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete."


@pytest.mark.parametrize("name", sorted(PLANS))
def test_markdown_is_well_formed(name: str) -> None:
    lines = markdown.render_plan(PLANS[name]).splitlines()
    assert all(line == line.rstrip() for line in lines)
    table = [line for line in lines if line.startswith("| ")]
    for row in table:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row
    fence = None
    for line in lines:
        if fence is None and re.fullmatch(r"`{3,}diff", line):
            fence = line.removesuffix("diff")
        elif fence is not None and line == fence:
            fence = None
        elif fence is not None:
            assert line[:1] in {"+", "-", "!", " "} or line.startswith("@@ "), (
                line
            )  # hunks: run configs
            assert fence not in line
    assert fence is None


def test_markdown_fence_outgrows_backticks_in_values() -> None:
    rendered = markdown.render_plan(PLANS["awkward"])
    assert "`````diff\n+ region:" in rendered
    assert "t3.large ```` <b>" in rendered


def test_markdown_escapes_cells_and_summaries() -> None:
    rendered = markdown.render_plan(PLANS["awkward"])
    assert r"declared \| not \`live\` \<script\>" in rendered
    assert (
        "<summary><code>+</code> <b>ml-new</b> will be created: declared | not `live` &lt;script&gt;"
        in rendered
    )
    assert "<script>" not in rendered and "<i>" not in rendered


def test_renderers_do_not_import_click() -> None:
    code = (
        "import sys; import gridsync.render.text, gridsync.render.markdown, "
        "gridsync.render.json_format; sys.exit('click' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize(
    "rows",
    [
        " compute:\n-    cluster: a\n+    cluster: b\n",  # plain: indented in one piece
        " compute:  \n-    cluster: a\n+    cluster: b\n",  # a trailing blank
        " compute:\t\n-    cluster: a\n+    cluster: b\n",  # a tab (escaped)
        " name: caf\u00e9\n-    cluster: a\u00a0\n+    cluster: b\n",  # not ASCII
        " a: 1\r\n-    cluster: a\r\n+    cluster: b\r\n",  # CRLF rows
        " a: 1\x1b[31m\n-    cluster: a\n+    cluster: b\n",  # an escape sequence
        " a: 1\n-    cluster: a\n+    cluster: b",  # no final newline
        " a: 1\u2028b\n-    cluster: a\n+    cluster: b\n",  # a line separator
    ],
)
def test_run_edit_rows_are_the_rows_cleaned_one_by_one(rows: str) -> None:
    """A run config edit's diff shown in one piece (text._run_edit_text) is the same text as its
    rows cleaned and stripped one by one, whatever the rows hold."""
    diff = f"--- a/runs/x.yaml\n+++ b/runs/x.yaml\n@@ -1,3 +1,3 @@\n{rows}"
    edit = FULL.run_edits[0]._replace(diff=diff)
    shown = text._run_edit_text(edit, Painter(False))
    by_row = text._joined(text._run_edit_lines(edit, Painter(False)))
    assert shown == by_row
    assert all(line == line.rstrip() and "\x1b" not in line for line in shown.splitlines())
    assert len(shown.splitlines()) == 1 + len(diff.splitlines())


def test_a_field_shown_once_is_shown_alike_each_time_and_true_is_not_one() -> None:
    """The text and Markdown plans show each distinct field once (render/common.py); equal
    fields that are not the same value (True == 1) and values that cannot be hashed (a plan file
    edited by hand) still show as themselves."""
    as_bool = FieldChange("cost_savings", None, True)
    as_int = FieldChange("cost_savings", None, 1)
    as_list = FieldChange("cost_savings", None, cast(Any, ["x"]))
    shown = [
        text.render_plan(Plan("local", (Change(Action.CREATE, "ml-a", fields=(field,)),)))
        for field in (as_bool, as_int, as_bool, as_list)
    ]
    assert "cost_savings: true" in shown[0]
    assert "cost_savings: 1" in shown[1]
    assert shown[2] == shown[0]
    assert 'cost_savings: ["x"]' in shown[3]
