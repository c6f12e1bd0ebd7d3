"""What every command shares: the State the group options decide, and shared options."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gridsync.errors import GridsyncError

if TYPE_CHECKING:
    from gridsync.commands.session import Target

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Duration(click.ParamType):  # type: ignore[type-arg]
    """Seconds, or a duration like 90s, 30m, 1h30m."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        from gridsync.config.project import parse_duration

        try:
            return parse_duration(value)
        except (ValueError, GridsyncError) as exc:
            self.fail(f"{value!r} is not a duration (e.g. 90s, 30m, 1h30m): {exc}", param, ctx)


class State:
    """What the group options decide, handed to every command."""

    def __init__(self, root: Path, color: str, debug: bool, project: str | None) -> None:
        from gridsync.console import Console

        self.root = root
        self.project = project
        self.github = False
        self.debug = debug
        self.console = Console.create(color)

    @property
    def target(self) -> Target:
        from gridsync.commands.session import Target

        return Target(self.root, self.project)


def project_option(command: Any) -> Any:
    """`--project NAME` after the command too (`gridsync plan --project x`), as well as before it."""

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is not None:
            ctx.ensure_object(State).project = value

    return click.option(
        "--project",
        expose_value=False,
        callback=remember,
        help="The project of gridsync.yaml's projects: to work on.",
    )(command)


def backend_option(command: Any) -> Any:
    return click.option(
        "--backend",
        type=click.Choice(["auto", "local", "api"]),
        help="Where live state is [default: GRIDSYNC_BACKEND, gridsync.yaml, else auto: "
        "api when Grid credentials are configured, local otherwise].",
    )(command)
