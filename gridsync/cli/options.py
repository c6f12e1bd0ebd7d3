"""What every command shares: the State the group options decide, and shared options."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gridsync.backends import OPENERS
from gridsync.errors import GridsyncError
from gridsync.painter import CHOICES

if TYPE_CHECKING:
    from gridsync.console import Console
    from gridsync.prepare.inputs import Target

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
    """What the global options decide, handed to every command. Each global option may also be
    given after the command (`gridsync plan --github`); there it wins over the one before."""

    def __init__(
        self,
        root: Path | None,
        color: str,
        debug: bool,
        project: str | None,
        github: bool | None,
    ) -> None:
        self.root = root  # -C; None: found upward from the working directory
        self.color = color
        self.debug = debug
        self.project = project
        self._github = github
        self._console: Console | None = None

    @property
    def github(self) -> bool:
        if self._github is not None:
            return self._github
        return os.environ.get("GITHUB_ACTIONS") == "true"

    @github.setter
    def github(self, value: bool | None) -> None:
        self._github = value

    @property
    def console(self) -> Console:
        if self._console is None:
            from gridsync.console import Console

            self._console = Console.create(self.color)
        return self._console

    @property
    def target(self) -> Target:
        from gridsync.config.project import find_root
        from gridsync.prepare.inputs import Target

        return Target(self.root or find_root(Path.cwd()), self.project)


def _setter(attribute: str) -> Any:
    def remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            setattr(ctx.find_object(State), attribute, value)

    return remember


ROOT_HELP = (
    "Project root: where gridsync.yaml and clusters/ are [default: the nearest folder upward "
    "holding either]."
)
COLOR_HELP = (
    "Colour output. auto: on a terminal, never with NO_COLOR, always with FORCE_COLOR "
    "(--color wins over both)."
)
DEBUG_HELP = "Show tracebacks of unexpected errors."
GITHUB_HELP = (
    "GitHub Actions output: annotations, step summary, step outputs "
    "[default: on when GITHUB_ACTIONS=true]."
)
PROJECT_HELP = "The project of gridsync.yaml's projects: to work on."
COLOR_CHOICE = click.Choice(CHOICES)
ROOT_TYPE = click.Path(file_okay=False, exists=True, path_type=Path)


def global_options(command: Any) -> Any:
    """The global options after the command too (`gridsync plan --github --project x`), as well as
    before it; given after it, they win."""
    shared: dict[str, Any] = {"expose_value": False, "default": None}
    options = [
        click.option(
            "-C", "--chdir", type=ROOT_TYPE, help=ROOT_HELP, callback=_setter("root"), **shared
        ),
        click.option(
            "--color", type=COLOR_CHOICE, help=COLOR_HELP, callback=_setter("color"), **shared
        ),
        click.option(
            "--debug",
            is_flag=True,
            flag_value=True,
            help=DEBUG_HELP,
            callback=_setter("debug"),
            **shared,
        ),
        click.option(
            "--github/--no-github", help=GITHUB_HELP, callback=_setter("github"), **shared
        ),
        click.option("--project", help=PROJECT_HELP, callback=_setter("project"), **shared),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def backend_option(command: Any) -> Any:
    return click.option(
        "--backend",
        type=click.Choice(["auto", *OPENERS]),
        help="Where live state is [default: GRIDSYNC_BACKEND, gridsync.yaml, else auto: "
        "api when Grid credentials are configured, local otherwise].",
    )(command)


def safety_overrides(command: Any) -> Any:
    """plan's and apply's --allow-replace and --allow-prune-all (lifting a safety rule on purpose)."""
    command = click.option(
        "--allow-prune-all",
        is_flag=True,
        help="Allow a prune that finds no cluster files, or that deletes every managed cluster.",
    )(command)
    return click.option(
        "--allow-replace",
        is_flag=True,
        help="Allow delete-and-create for fields Grid cannot change in place.",
    )(command)
