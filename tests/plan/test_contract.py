"""The plan's JSON contract: a plan written to JSON and read back is the same plan to every reader
(same dict, same plan_id), and what it writes is what schemas/plan.schema.json documents."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import jsonschema_rs
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "render"))
from render_plans import FULL, PLANS

from gridsync.plan.changes import Action, Plan
from gridsync.plan.contract import FORMAT_VERSION, plan_from_dict, plan_to_dict

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())


def _approved(plan: Plan) -> Plan:
    """FULL with its replace allowed by a review label instead of blocked."""
    changes = tuple(
        c._replace(blocks=(), approved="label gridsync:allow-replace by @lead")
        if c.action == Action.REPLACE
        else c
        for c in plan.changes
    )
    return dataclasses.replace(plan, changes=changes)


SHAPES = {**PLANS, "approved": _approved(FULL)}


def test_the_shapes_cover_blocked_replaces_run_edits_and_terraform() -> None:
    changes = [c for plan in SHAPES.values() for c in plan.changes]
    assert any(c.blocked for c in changes)
    assert any(c.action == Action.REPLACE and c.approved for c in changes)
    assert any(c.terraform is not None for c in changes)
    assert any(plan.run_edits for plan in SHAPES.values())
    assert any(plan.terminating for plan in SHAPES.values())


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_a_plan_read_back_from_json_has_the_same_plan_id_and_dict(name: str) -> None:
    plan = SHAPES[name]
    data = plan_to_dict(plan)
    again = plan_from_dict(json.loads(json.dumps(data)))
    assert again.plan_id == plan.plan_id == data["plan_id"]
    assert plan_to_dict(again) == data


def test_plan_id_is_computed_once_from_the_plan_and_follows_a_change() -> None:
    assert FULL.plan_id == Plan(**_init_fields(FULL)).plan_id
    approved = _approved(FULL)
    assert approved.plan_id != FULL.plan_id  # a blocked change counts in the id
    assert dataclasses.replace(approved, notes=()).plan_id == approved.plan_id


def test_a_plan_read_back_keeps_its_id() -> None:
    again = plan_from_dict(plan_to_dict(FULL))
    assert again.plan_id == FULL.plan_id


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_emitted_plans_validate_against_the_documented_schema(name: str) -> None:
    validator = jsonschema_rs.Draft202012Validator(SCHEMA)
    data = plan_to_dict(SHAPES[name])
    assert [e.message for e in validator.iter_errors(data)] == []
    assert (
        data["format_version"] == FORMAT_VERSION == SCHEMA["properties"]["format_version"]["const"]
    )


def _init_fields(plan: Plan) -> dict[str, object]:
    return {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan) if f.init}
