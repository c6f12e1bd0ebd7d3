"""Workflow commands and files: annotation escaping and caps, the step summary cap, step outputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from render_plans import EMPTY, FULL

from gridsync.errors import Diagnostic
from gridsync.escapes import escape_data, escape_property
from gridsync.github.actions import (
    Annotation,
    annotations_for_diagnostics,
    annotations_for_plan,
    format_annotation,
    format_annotations,
    github_enabled,
    plan_outputs,
    set_outputs,
    step_summary,
)
from gridsync.render.markdown import render_plan

# --- escaping, exactly as GitHub's toolkit ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\rb", "a%0Db", "a%0Db"),
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v", "k: v", "k%3A v"),
        ("a,b", "a,b", "a%2Cb"),
        ("%0A", "%250A", "%250A"),  # an escape sequence in the input is not taken as one
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
    ],
)
def test_escaping_matches_the_toolkit(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_an_annotation_with_every_property() -> None:
    annotation = Annotation(
        "error", "bad:\nvalue 5%", file="clusters/a,b.yaml", line=3, col=7, title="x: y"
    )
    assert format_annotation(annotation) == (
        "::error file=clusters/a%2Cb.yaml,line=3,col=7,title=x%3A y::bad:%0Avalue 5%25"
    )


def test_an_annotation_without_properties() -> None:
    assert format_annotation(Annotation("notice", "hello")) == "::notice::hello"


def test_a_message_cannot_start_another_command() -> None:
    text = format_annotations([Annotation("warning", "x\n::error::injected\r\n::stop-commands::t")])
    assert text.count("\n") == 1
    assert text.startswith("::warning::x%0A::error::injected%0D%0A")


# --- ordering and caps --------------------------------------------------------------------------


def test_most_severe_first_and_at_most_ten_per_kind() -> None:
    annotations = [Annotation("notice", f"n{i}") for i in range(3)]
    annotations += [Annotation("warning", f"w{i}") for i in range(14)]
    annotations += [Annotation("error", f"e{i}") for i in range(11)]
    lines = format_annotations(annotations).splitlines()
    assert [line.split("::")[1].split()[0] for line in lines] == (
        ["error"] * 11 + ["warning"] * 11 + ["notice"] * 3
    )
    assert lines[:10] == [f"::error::e{i}" for i in range(10)]
    assert lines[10] == "::error::1 more error not shown; see the step summary"
    assert lines[20] == "::warning::w9"
    assert lines[21] == "::warning::4 more warnings not shown; see the step summary"
    assert lines[22:] == ["::notice::n0", "::notice::n1", "::notice::n2"]


def test_per_kind_is_configurable_and_output_is_newline_terminated() -> None:
    text = format_annotations([Annotation("error", "a"), Annotation("error", "b")], per_kind=1)
    assert text == "::error::a\n::error::1 more error not shown; see the step summary\n"
    assert format_annotations([]) == ""


def test_an_unknown_level_is_a_bug() -> None:
    with pytest.raises(ValueError, match="fatal"):
        format_annotations([Annotation("fatal", "x")])


# --- what gets annotated ------------------------------------------------------------------------


def test_diagnostics_map_to_levels_at_their_place() -> None:
    diagnostics = [
        Diagnostic("clusters/a.yaml", 4, 9, "unknown key", "spec.regoin"),
        Diagnostic("clusters/b.yaml", 1, 1, "deprecated", severity="warning"),
        Diagnostic("gridsync.yaml", 2, 3, "defaults used", severity="note"),
    ]
    found = annotations_for_diagnostics(diagnostics, path_prefix="infra/")
    assert found == [
        Annotation("error", "unknown key", "infra/clusters/a.yaml", 4, 9, "spec.regoin"),
        Annotation("warning", "deprecated", "infra/clusters/b.yaml", 1, 1),
        Annotation("notice", "defaults used", "infra/gridsync.yaml", 2, 3),
    ]


def test_plan_annotations_flag_blocked_deleted_and_replaced_clusters() -> None:
    found = annotations_for_plan(FULL)
    blocked = [a for a in found if a.level == "error"]
    assert len(blocked) == 1
    assert blocked[0].file == "clusters/research.yaml"
    assert blocked[0].line == 1
    assert blocked[0].message.startswith("ml-research (replace) is blocked: protect: true")
    deletes = [a for a in found if "DELETED" in a.message]
    assert deletes == [
        Annotation(
            "warning",
            "ml-old will be DELETED: undeclared; prune is on and it matches managed glob 'ml-*'",
            title="gridsync: delete",
        )
    ]
    # creates, updates and run config edits are not annotated; the plan's notes are
    assert not [a for a in found if "ml-dev-usw2" in a.message or "ml-prod-use1 " in a.message]
    notes = [(a.level, a.file, a.line) for a in found if a.title is None]
    assert notes == [("warning", "clusters/prod.yaml", 5), ("notice", None, None)]


def test_a_plan_without_changes_has_no_annotations() -> None:
    assert annotations_for_plan(EMPTY) == []


# --- step summary -------------------------------------------------------------------------------


def _balanced(text: str) -> None:
    fences = [line for line in text.splitlines() if re.fullmatch(r"`{3,}\w*", line)]
    assert len(fences) % 2 == 0
    assert text.count("<details>") == text.count("</details>")


def test_step_summary_appends(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    step_summary("### Plan", summary)
    step_summary("more\n", summary)
    assert summary.read_text() == "# earlier step\n### Plan\nmore\n"


def test_step_summary_stays_under_one_mebibyte(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * 1000 + b"\n")
    block = render_plan(FULL)
    step_summary(block * 2000, summary)  # about 8 MiB
    data = summary.read_bytes()
    assert 1024 * 1024 - 4096 < len(data) < 1024 * 1024
    text = data.decode()
    assert re.search(r"> plan truncated: \d+ more lines; see the plan artifact\n$", text)
    _balanced(text)


def test_step_summary_cut_inside_a_fence_closes_it(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    body = "<details><summary>x</summary>\n\n```diff\n" + "+ line\n" * 500 + "```\n\n</details>\n"
    step_summary(body, summary, limit=1000)
    text = summary.read_text()
    assert len(text.encode()) < 1000
    assert text.endswith("more lines; see the plan artifact\n")
    assert "```\n\n</details>\n" in text
    _balanced(text)
    kept = text.count("+ line\n")
    assert f"plan truncated: {500 - kept + 3} more lines" in text


def test_step_summary_counts_bytes_not_characters(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    step_summary("⛔ blocked\n" * 200, summary, limit=1000)  # 3 bytes per ⛔
    assert len(summary.read_bytes()) < 1000


def test_a_full_step_summary_gets_nothing(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"y" * 999)
    step_summary("### Plan\n", summary, limit=1000)
    assert summary.read_bytes() == b"y" * 999


# --- step outputs -------------------------------------------------------------------------------


def _parse_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT read the way the runner reads it."""
    values: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            body: list[str] = []
            for row in lines:
                if row == delimiter:
                    break
                body.append(row)
            else:
                raise AssertionError(f"delimiter {delimiter} never closed")
            values[key] = "\n".join(body)
        elif line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def test_outputs_single_and_multi_line(tmp_path: Path) -> None:
    out = tmp_path / "output"
    out.write_text("earlier=1\n")
    tricky = "line one\nghadelimiter_x\nEOF\nkey=value"
    set_outputs({"plan_id": "abc123", "markdown": tricky, "empty": ""}, out)
    text = out.read_text()
    assert "plan_id=abc123\n" in text
    assert re.search(r"^markdown<<ghadelimiter_[0-9a-f-]{36}$", text, re.MULTILINE)
    assert _parse_outputs(text) == {
        "earlier": "1",
        "plan_id": "abc123",
        "markdown": tricky,
        "empty": "",
    }


def test_an_output_name_must_be_an_identifier(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a valid step output name"):
        set_outputs({"a=b": "x"}, tmp_path / "output")
    with pytest.raises(ValueError):
        set_outputs({"a\nb": "x"}, tmp_path / "output")


def test_plan_outputs() -> None:
    outputs = plan_outputs(FULL)
    assert outputs == {
        "has_changes": "true",
        "creates": "1",
        "updates": "1",
        "replaces": "1",
        "deletes": "1",
        "plan_id": FULL.plan_id,
    }
    assert plan_outputs(EMPTY)["has_changes"] == "false"
    assert plan_outputs(EMPTY)["deletes"] == "0"


@pytest.mark.parametrize(
    ("env", "flag", "expected"),
    [
        ({"GITHUB_ACTIONS": "true"}, None, True),
        ({"GITHUB_ACTIONS": "false"}, None, False),
        ({}, None, False),
        ({}, True, True),
        ({"GITHUB_ACTIONS": "true"}, False, False),
    ],
)
def test_github_enabled(env: dict[str, str], flag: bool | None, expected: bool) -> None:
    assert github_enabled(env, flag) is expected
