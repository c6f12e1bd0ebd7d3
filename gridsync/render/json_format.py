"""The plan as JSON, for machines: the shape is the plan's contract (`gridsync.plan.contract`,
documented by schemas/plan.schema.json); this renderer only writes it out."""

from __future__ import annotations

import json

from gridsync.painter import PLAIN, Painter
from gridsync.plan.changes import Plan
from gridsync.plan.contract import plan_to_dict


def render_plan(plan: Plan, paint: Painter = PLAIN) -> str:
    return json.dumps(plan_to_dict(plan), indent=2, sort_keys=False) + "\n"
