"""The plan's output formats, in one list: `plan --format` offers these names, its help is made
from them, and `render` picks the module. Every format module has one signature,
`render_plan(plan: Plan, paint: Painter) -> str` (a format that is never coloured ignores
`paint`). A new format is a new module and one line here. Modules are imported when used, so
`gridsync --help` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from gridsync.painter import PLAIN, Painter

if TYPE_CHECKING:  # the CLI reads NAMES at import: keep this module light
    from gridsync.plan.changes import Plan

Renderer = Callable[["Plan", Painter], str]


@dataclass(frozen=True)
class Format:
    name: str  # the --format value
    purpose: str  # for the help: "<name> <purpose>"
    module: str  # its module, holding `render_plan`

    def renderer(self) -> Renderer:
        return cast(Renderer, importlib.import_module(self.module).render_plan)


FORMATS = (
    Format("text", "for people", "gridsync.render.text"),
    Format("markdown", "for a pull-request comment", "gridsync.render.markdown"),
    Format("json", "for programs", "gridsync.render.json_format"),
    Format(
        "grid-commands", "for the equivalent grid CLI commands", "gridsync.render.grid_commands"
    ),
)
NAMES = tuple(f.name for f in FORMATS)
DEFAULT = "text"
HELP = ", ".join(f"{f.name} {f.purpose}" for f in FORMATS) + "."


def render(plan: Plan, name: str, paint: Painter = PLAIN) -> str:
    """The plan in format `name` (one of NAMES)."""
    for entry in FORMATS:
        if entry.name == name:
            return entry.renderer()(plan, paint)
    raise ValueError(f"no output format {name!r}; known: {', '.join(NAMES)}")
