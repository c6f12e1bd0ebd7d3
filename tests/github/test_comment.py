"""The sticky plan comment and the drift issue, against the fake GitHub over real loopback HTTP;
and the comment body's size guarantee for plans far over GitHub's limit."""

from __future__ import annotations

import re

import pytest
from fake_github import FakeGitHub
from render_plans import FULL

from gridsync.github.api import GitHub
from gridsync.github.comment import (
    DRIFT_LABEL,
    DRIFT_MARKER,
    MARKER,
    MAX_COMMENT,
    comment_body,
    marker,
    sync_drift_issue,
    upsert_comment,
)
from gridsync.github.context import RunInfo
from gridsync.plan.changes import Action, Change, FieldChange, Note, Plan
from gridsync.render.markdown import render_plan
from gridsync.spec import Source

PR = 42

# --- plans far over the limit -------------------------------------------------------------------


def _big_plan(count: int = 2000) -> Plan:
    changes = []
    for i in range(count):
        name = f"ml-{i:04d}"
        if i % 100 == 7:
            changes.append(Change(Action.DELETE, name, name, reason="undeclared; prune is on"))
        elif i % 200 == 9:
            region = FieldChange("region", "us-east-1", "us-west-2", forces_replace=True)
            changes.append(
                Change(Action.REPLACE, name, name, (region,), "region forces replacement")
            )
        else:
            fields = (
                FieldChange("cost_savings", False, True),
                FieldChange("instance_types[t3.large]", None, "t3.large"),
            )
            source = Source(f"clusters/{name}.yaml")
            changes.append(Change(Action.UPDATE, name, name, fields, source=source))
    notes = (Note("warning", "GRID_EXTERNAL_ID is not set"),)
    return Plan(backend="local control plane", changes=tuple(changes), notes=notes)


def _well_formed(body: str) -> None:
    """Every fence closed, every <details> closed, in order."""
    fence, depth = "", 0
    for line in body.split("\n"):
        run = re.match(r"(`{3,})(.*)", line)
        if fence:
            if run and len(run.group(1)) >= len(fence) and not run.group(2).strip():
                fence = ""
            continue
        if run:
            fence = run.group(1)
        depth += line.count("<details>") - line.count("</details>")
        assert depth >= 0
    assert fence == ""
    assert depth == 0


def test_a_small_plan_is_posted_whole() -> None:
    markdown = render_plan(FULL)
    body = comment_body(markdown, FULL.plan_id)
    assert body.split("\n")[0] == MARKER
    assert markdown.rstrip("\n") in body
    assert body.endswith(f"\n\nplan_id: {FULL.plan_id}\n")
    assert "not shown" not in body


def test_a_2000_change_plan_keeps_the_summary_and_every_delete_and_replace() -> None:
    plan = _big_plan()
    markdown = render_plan(plan)
    assert len(markdown) > 8 * MAX_COMMENT
    body = comment_body(plan, plan.plan_id, project="prod")
    assert len(body) < MAX_COMMENT
    assert body.startswith("<!-- gridsync:plan project=prod -->\n")
    assert "### Plan: 0 to create, 1970 to update, 10 to replace, 20 to delete." in body
    for change in plan.changes:
        block = f"<details><summary><code>{'-' if change.action == Action.DELETE else '-/+'}</code> <b>{change.name}</b>"
        assert (block in body) == (change.action in (Action.DELETE, Action.REPLACE))
    assert (
        "> … 1970 more changes not shown: the full plan is in the workflow run's artifacts" in body
    )
    assert body.endswith(f"plan_id: {plan.plan_id}\n")
    _well_formed(body)


def test_a_2000_change_record_keeps_its_heading_and_the_warning_line() -> None:
    plan = _big_plan()
    run = RunInfo(sha="f" * 40, run_url="https://github.com/acme/infra/actions/runs/1")
    body = comment_body(plan, plan.plan_id, project="prod", run=run)
    assert len(body) < MAX_COMMENT
    lines = body.split("\n")
    assert lines[1] == f"<!-- gridsync:record kind=plan sha={'f' * 40} -->"
    assert lines[3].startswith("**gridsync plan** · project prod · commit `ffff")
    # The warning line names the first ten deletes and replaces, and counts the rest.
    assert "> ⚠️ **20 to delete, 10 to replace:** ml-0007, ml-0009, ml-0107," in body
    assert "and 20 more (review these first)" in body
    assert body.index("⚠️") < body.index("| `-` | ml-0007 |") < body.index("| `~` |")
    _well_formed(body)


def test_one_huge_change_is_clipped_inside_its_block() -> None:
    fields = tuple(
        FieldChange(
            f"instance_types[t{i}.large]", None, f"t{i}.large (root_volume_size={'9' * 60})"
        )
        for i in range(3000)
    )
    plan = Plan(backend="local", changes=(Change(Action.CREATE, "ml-huge", fields=fields),))
    body = comment_body(plan, plan.plan_id, artifact_hint="see the plan artifact")
    assert len(body) < MAX_COMMENT
    assert "<b>ml-huge</b> will be created" in body
    assert re.search(r"\n… \d+ more lines not shown\n```\n\n</details>\n", body)
    assert "+ instance_types[t0.large]" in body
    _well_formed(body)


def test_one_huge_line_is_clipped_without_breaking_the_markup() -> None:
    reason = "quota <exceeded> & `retry` " * 20_000
    plan = Plan(
        backend="local",
        changes=(Change(Action.DELETE, "ml-gone", "ml-gone", reason=reason),),
    )
    body = comment_body(plan, plan.plan_id)
    assert len(body) < MAX_COMMENT
    assert "<summary><code>-</code> <b>ml-gone</b> will be deleted" in body
    assert "| `-` | ml-gone | delete | quota" in body
    assert "\n- ml-gone (id: ml-gone)\n" in body
    assert len(body) < 10_000  # each line cut to a readable length, not to the whole budget
    _well_formed(body)


@pytest.mark.parametrize(
    "markdown",
    [
        "```\nnever closed\n" + "x" * 200_000,
        "<details>\n" * 5000,
        "x" * 300_000,
        "| a |\n" * 40_000,
        "\n".join(f"- note {i} " + "y" * 50 for i in range(5000)),
    ],
    ids=["open-fence", "open-details", "one-line", "rows", "list"],
)
def test_any_input_ends_under_the_limit_and_well_formed(markdown: str) -> None:
    body = comment_body(markdown, "abc")
    assert len(body) < MAX_COMMENT
    assert body.startswith(MARKER + "\n")
    assert body.endswith("plan_id: abc\n")
    _well_formed(body)


def test_project_marker_cannot_end_the_html_comment() -> None:
    assert marker("team a --> <b>") == "<!-- gridsync:plan project=team%20a%20--%3E%20%3Cb%3E -->"
    assert marker(None, DRIFT_MARKER) == DRIFT_MARKER


# --- the sticky comment -------------------------------------------------------------------------


def _ours(fake: FakeGitHub, number: int = PR, first_line: str = MARKER) -> list[dict[str, object]]:
    return [c for c in fake.comments.get(number, []) if str(c["body"]).startswith(first_line)]


def test_first_push_creates_next_push_updates_the_same_comment(
    fake: FakeGitHub, github: GitHub
) -> None:
    other = fake.add_comment(PR, "LGTM, but what about ml-old?", user="alice")
    first = comment_body(render_plan(FULL), FULL.plan_id)
    assert upsert_comment(github, PR, first) == "created"
    created = _ours(fake)
    assert len(created) == 1

    second = comment_body("### Plan: 0 to create, 0 to update, 0 to replace, 0 to delete.", "x")
    assert upsert_comment(github, PR, second) == "updated"
    assert _ours(fake) == [{**created[0], "body": second}]
    assert fake.comments[PR][0] == other  # untouched
    assert len(fake.comments[PR]) == 2
    writes = fake.writes()
    assert writes[0] == ("POST", f"/repos/acme/infra/issues/{PR}/comments")
    assert writes[1] == ("PATCH", f"/repos/acme/infra/issues/comments/{created[0]['id']}")


def test_the_same_body_sends_no_write(fake: FakeGitHub, github: GitHub) -> None:
    body = comment_body(render_plan(FULL), FULL.plan_id)
    upsert_comment(github, PR, body)
    before = len(fake.writes())
    assert upsert_comment(github, PR, body) == "unchanged"
    assert len(fake.writes()) == before
    assert fake.calls()[-1][0] == "GET"


def test_our_comment_on_page_two_is_found(fake: FakeGitHub, github: GitHub) -> None:
    for i in range(130):
        fake.add_comment(PR, f"comment {i}", user="bob")
    mine = fake.add_comment(PR, comment_body("old plan", "1"))
    for i in range(30):
        fake.add_comment(PR, f"later {i}", user="bob")
    new = comment_body("new plan", "2")
    assert upsert_comment(github, PR, new) == "updated"
    lists = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/comments")]
    assert [r.params.get("page", "1") for r in lists] == ["1", "2"]
    assert all(r.params["per_page"] == "100" for r in lists)
    assert mine["body"] == new
    assert len(fake.comments[PR]) == 161


def test_a_quoted_marker_is_not_ours_and_projects_have_their_own(
    fake: FakeGitHub, github: GitHub
) -> None:
    quoted = fake.add_comment(PR, f"> {MARKER}\n> the bot said", user="carol")
    assert upsert_comment(github, PR, comment_body("a", "1")) == "created"
    assert upsert_comment(github, PR, comment_body("b", "2", project="prod"), project="prod") == (
        "created"
    )
    assert upsert_comment(github, PR, comment_body("c", "3")) == "updated"
    assert len(_ours(fake)) == 1
    assert len(_ours(fake, first_line=marker("prod"))) == 1
    assert quoted["body"].startswith("> ")


# --- the drift issue ----------------------------------------------------------------------------


def test_drift_issue_lifecycle(fake: FakeGitHub, github: GitHub) -> None:
    unrelated = fake.add_issue("someone else's", "no marker", [DRIFT_LABEL])
    fake.add_issue("a pull request", DRIFT_MARKER, [DRIFT_LABEL], pr=True)

    assert sync_drift_issue(github, project=None, drifted=False, body="") == "none"
    assert sync_drift_issue(github, project=None, drifted=True, body="### drift 1") == "created"
    ours = fake.issues[-1]
    assert ours["body"].startswith(DRIFT_MARKER + "\n")
    assert "### drift 1" in ours["body"]
    assert [label["name"] for label in ours["labels"]] == [DRIFT_LABEL]

    assert sync_drift_issue(github, project=None, drifted=True, body="### drift 2") == "updated"
    assert "### drift 2" in ours["body"]
    assert sync_drift_issue(github, project=None, drifted=True, body="### drift 2") == "unchanged"
    assert len(fake.issues) == 3

    assert sync_drift_issue(github, project=None, drifted=False, body="") == "closed"
    assert ours["state"] == "closed"
    assert unrelated["state"] == "open"
    assert sync_drift_issue(github, project=None, drifted=False, body="") == "none"

    assert sync_drift_issue(github, project=None, drifted=True, body="### again") == "created"
    assert len(fake.issues) == 4


def test_drift_issues_are_per_project(fake: FakeGitHub, github: GitHub) -> None:
    assert sync_drift_issue(github, project="prod", drifted=True, body="p") == "created"
    assert sync_drift_issue(github, project="dev", drifted=True, body="d") == "created"
    assert sync_drift_issue(github, project="dev", drifted=False, body="") == "closed"
    states = {i["title"]: i["state"] for i in fake.issues}
    assert states == {
        "gridsync: live clusters drifted from the declared state (project prod)": "open",
        "gridsync: live clusters drifted from the declared state (project dev)": "closed",
    }


def test_a_huge_drift_body_fits(fake: FakeGitHub, github: GitHub) -> None:
    markdown = render_plan(_big_plan())
    assert sync_drift_issue(github, project=None, drifted=True, body=markdown) == "created"
    assert len(fake.issues[-1]["body"]) < MAX_COMMENT
