"""Golden files for every renderer and plan; the JSON output validates against its schema.

Regenerate with `UPDATE_GOLDENS=1 .venv/bin/pytest tests/render`: the test rewrites the file and
fails, so a rewrite is never silently green. Review the diff, then run again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from render_plans import PLANS

from gridsync.plan import contract
from gridsync.plan.changes import Plan
from gridsync.render import json_format, markdown, text

GOLDEN = Path(__file__).parent / "golden"
SCHEMA_PATH = Path(__file__).parents[2] / "schemas" / "plan.schema.json"

RENDERERS: dict[str, Callable[[Plan], str]] = {
    "txt": text.render_plan,
    "md": markdown.render_plan,
    "json": json_format.render_plan,
}


@pytest.fixture(scope="module")
def validator() -> jsonschema_rs.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema_rs.meta.validate(schema)
    return jsonschema_rs.Draft202012Validator(schema)


@pytest.mark.parametrize("ext", sorted(RENDERERS))
@pytest.mark.parametrize("name", sorted(PLANS))
def test_golden(name: str, ext: str) -> None:
    path = GOLDEN / f"{name}.{ext}"
    rendered = RENDERERS[ext](PLANS[name])
    if os.environ.get("UPDATE_GOLDENS") == "1":
        path.write_text(rendered, encoding="utf-8")
        pytest.fail(f"rewrote {path.name}; review the diff and run again without UPDATE_GOLDENS")
    assert path.exists(), f"{path} is missing; create it with UPDATE_GOLDENS=1"
    assert rendered == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(PLANS))
def test_json_validates_against_schema(
    name: str, validator: jsonschema_rs.Draft202012Validator
) -> None:
    data = json.loads(json_format.render_plan(PLANS[name]))
    errors = [e.message for e in validator.iter_errors(data)]
    assert errors == []


def test_saved_plan_shape_validates(validator: jsonschema_rs.Draft202012Validator) -> None:
    data = contract.plan_to_dict(PLANS["full"])
    data["saved"] = {
        "desired_fingerprint": "ab" * 32,
        "created_at": "2024-05-01T12:00:00Z",
        "gridsync_version": "0.1.0",
    }
    assert list(validator.iter_errors(data)) == []


def _mutations() -> list[tuple[str, Callable[[dict[str, Any]], None]]]:
    def extra_top(d: dict[str, Any]) -> None:
        d["extra"] = 1

    def extra_in_change(d: dict[str, Any]) -> None:
        d["changes"][0]["extra"] = 1

    def bad_action(d: dict[str, Any]) -> None:
        d["changes"][0]["action"] = "recreate"

    def bad_severity(d: dict[str, Any]) -> None:
        d["notes"][0]["severity"] = "error"

    def missing_summary_key(d: dict[str, Any]) -> None:
        del d["summary"]["no-op"]

    def extra_in_saved(d: dict[str, Any]) -> None:
        d["saved"] = {
            "desired_fingerprint": "ab",
            "created_at": "x",
            "gridsync_version": "1",
            "y": 1,
        }

    def wrong_version(d: dict[str, Any]) -> None:
        d["format_version"] = "2.0"

    def object_value(d: dict[str, Any]) -> None:
        d["changes"][0]["fields"][0]["after"] = {"secret": "x"}

    return [
        (f.__name__, f)
        for f in (
            extra_top,
            extra_in_change,
            bad_action,
            bad_severity,
            missing_summary_key,
            extra_in_saved,
            wrong_version,
            object_value,
        )
    ]


@pytest.mark.parametrize(("label", "mutate"), _mutations())
def test_schema_rejects(
    label: str,
    mutate: Callable[[dict[str, Any]], None],
    validator: jsonschema_rs.Draft202012Validator,
) -> None:
    data = contract.plan_to_dict(PLANS["full"])
    mutate(data)
    assert not validator.is_valid(data), label


def test_format_version_matches_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["properties"]["format_version"]["const"] == contract.FORMAT_VERSION


@pytest.mark.parametrize("name", sorted(PLANS))
def test_json_reads_back_into_the_same_rendering(name: str) -> None:
    """A saved JSON plan renders the same Markdown as the plan it came from (the PR comment)."""
    from gridsync.plan.contract import plan_from_dict, plan_to_dict
    from gridsync.render.markdown import render_plan as markdown

    plan = PLANS[name]
    assert markdown(plan_from_dict(plan_to_dict(plan))) == markdown(plan)


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_a_format_1_2_plan_file_still_reads_back(version: str) -> None:
    """1.3 and 1.4 only added keys: a 1.2 plan (no `approved`) and a 1.3 plan (one `blocked`
    text, no `terminating`) read as before."""
    from dataclasses import replace

    from gridsync.plan.contract import plan_from_dict, plan_to_dict

    full = PLANS["full"]
    if version == "1.3":  # 1.3 added `approved`: one approved replace reads back with it
        full = replace(
            full,
            changes=tuple(
                c._replace(approved="--allow-replace") if c.name == "ml-research" else c
                for c in full.changes
            ),
        )
    data = plan_to_dict(full)
    data["format_version"] = version
    del data["terminating"]
    for change in data["changes"]:
        del change["blocked_reasons"]
        if version == "1.2":
            del change["approved"]
    plan = plan_from_dict(data)
    assert plan.terminating == ()
    before = {c.name: c.blocked for c in full.blocked}
    assert before and {c.name: c.blocks for c in plan.blocked} == {
        name: (text,) for name, text in before.items()
    }
    approved = {c.name: c.approved for c in plan.changes if c.approved}
    assert approved == ({"ml-research": "--allow-replace"} if version == "1.3" else {})
