"""The format registry (gridsync.render.formats): every registered format renders every plan
shape through the one signature, and `plan --format` offers exactly the registered names."""

from __future__ import annotations

import importlib
import json

import pytest
from render_plans import PLANS

from gridsync.cli.group import cli
from gridsync.painter import PLAIN, Painter
from gridsync.render import formats

ANSI = "\x1b["


@pytest.mark.parametrize("shape", sorted(PLANS))
@pytest.mark.parametrize("name", formats.NAMES)
def test_every_format_renders_every_plan_shape(name: str, shape: str) -> None:
    plan = PLANS[shape]
    plain = formats.render(plan, name, PLAIN)
    direct = importlib.import_module(formats.FORMATS[formats.NAMES.index(name)].module)
    assert plain == direct.render_plan(plan)  # the registry adds nothing of its own
    assert plain.strip() and ANSI not in plain
    colored = formats.render(plan, name, Painter(True))
    if name == "text":
        assert ANSI in colored
    else:
        assert colored == plain  # only the terminal format is ever coloured
    if name == "json":
        assert json.loads(plain)["format_version"]


def test_plan_offers_exactly_the_registered_formats() -> None:
    plan = cli.commands["plan"]
    option = next(p for p in plan.params if p.name == "fmt")
    assert tuple(option.type.choices) == formats.NAMES  # type: ignore[attr-defined]
    assert option.default == formats.DEFAULT and option.help == formats.HELP
    assert all(f"{name} for" in formats.HELP for name in formats.NAMES)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="no output format 'yaml'"):
        formats.render(PLANS["empty"], "yaml")
