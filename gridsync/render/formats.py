"""The plan's output formats, in one list: `plan --format` offers these names, its help is made
from them, and `render` picks the module. Every format module has one signature,
`render_plan(plan: Plan, paint: Painter) -> str` (a format that is never coloured ignores
`paint`); one may also have `plan_pieces(plan, paint) -> Iterator[str]`, the same text in pieces,
for writing a large plan without holding all of it. A new format is a new module and one line
here. Modules are imported when used, so `gridsync --help` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple, cast

from gridsync.painter import PLAIN, Painter

if TYPE_CHECKING:  # the CLI reads NAMES at import: keep this module light
    from gridsync.plan.changes import Plan

Renderer = Callable[["Plan", Painter], str]


class Format(NamedTuple):
    name: str  # the --format value
    purpose: str  # for the help: "<name> <purpose>"
    module: str  # its module, holding `render_plan`

    def renderer(self) -> Renderer:
        return cast(Renderer, importlib.import_module(self.module).render_plan)

    def pieces(self, plan: Plan, paint: Painter) -> Iterable[str]:
        module = importlib.import_module(self.module)
        if hasattr(module, "plan_pieces"):
            return cast(Iterable[str], module.plan_pieces(plan, paint))
        return [module.render_plan(plan, paint)]


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
    return _format(name).renderer()(plan, paint)


def render_pieces(plan: Plan, name: str, paint: Painter = PLAIN) -> Iterable[str]:
    """The same text as `render`, in pieces where the format makes them (`plan_pieces`)."""
    return _format(name).pieces(plan, paint)


def _format(name: str) -> Format:
    for entry in FORMATS:
        if entry.name == name:
            return entry
    raise ValueError(f"no output format {name!r}; known: {', '.join(NAMES)}")
