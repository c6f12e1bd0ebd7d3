"""The command line: click declarations only. Each command builds its options and calls a function
in gridsync.commands, imported lazily so `gridsync --help` starts fast. `main` maps every outcome
to an exit code (gridsync.errors.ExitCode) in one place."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from gridsync import __version__
from gridsync.errors import ConfigError, ExitCode, GridsyncError

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

    def __init__(self, root: Path, color: str, debug: bool) -> None:
        from gridsync.console import Console

        self.root = root
        self.debug = debug
        self.console = Console.create(color)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="gridsync")
@click.option(
    "-C",
    "--chdir",
    "root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=".",
    show_default=True,
    help="Project root: where gridsync.yaml and clusters/ are.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour output. auto: only on a terminal and when NO_COLOR is unset.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, root: Path, color: str, debug: bool) -> None:
    """Plan and apply Grid clusters declared in YAML.

    \b
    Exit codes: 0 ok / no changes, 1 error, 2 changes (plan --detailed-exitcode),
    3 internal error, 4 stale plan, 5 lock timeout, 6 partial apply,
    7 blocked by a safety rule, 130 interrupted.
    """
    ctx.obj = State(root, color, debug)


@cli.command()
@click.pass_obj
def validate(state: State) -> int:
    """Check cluster files and gridsync.yaml offline (no credentials, no live state)."""
    from gridsync.commands.validate import validate as run

    return run(state.root, os.environ, state.console)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for people, markdown for a pull-request comment, json for programs.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan (no secrets) for `gridsync apply FILE`.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
@click.option(
    "--allow-replace",
    is_flag=True,
    help="Allow delete-and-create for fields Grid cannot change in place.",
)
@click.pass_obj
def plan(
    state: State, fmt: str, out: Path | None, detailed_exitcode: bool, allow_replace: bool
) -> int:
    """Show what apply would change in live state."""
    from gridsync.commands.plan import PlanOptions
    from gridsync.commands.plan import plan as run

    options = PlanOptions(fmt, out, detailed_exitcode, allow_replace)
    return run(state.root, options, os.environ, state.console)


@cli.command()
@click.argument(
    "planfile", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--allow-replace",
    is_flag=True,
    help="Allow delete-and-create for fields Grid cannot change in place.",
)
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    help="Changes in flight at once [default: 4 or gridsync.yaml].",
)
@click.option(
    "--wait-timeout",
    type=Duration(),
    help="How long to wait for clusters to run or go [default: 90m].",
)
@click.option(
    "--no-wait", is_flag=True, help="Do not wait for clusters to reach RUNNING or be gone."
)
@click.pass_obj
def apply(
    state: State,
    planfile: Path | None,
    auto_approve: bool,
    allow_replace: bool,
    parallelism: int | None,
    wait_timeout: float | None,
    no_wait: bool,
) -> int:
    """Carry out the plan (or a saved PLANFILE, if live state has not moved since)."""
    from gridsync.commands.apply import ApplyOptions
    from gridsync.commands.apply import apply as run

    options = ApplyOptions(
        planfile, auto_approve, allow_replace, parallelism, wait_timeout, not no_wait
    )
    return run(state.root, options, os.environ, state.console, _confirm_on_tty())


def _confirm_on_tty() -> Any:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    def confirm(question: str) -> bool:
        answer: str = click.prompt(question, default="", show_default=False, err=True)
        return answer.strip() == "yes"

    return confirm


@cli.group("local-grid")
def local_grid() -> None:
    """The embedded local Grid control plane (the default backend)."""


@local_grid.command("fail")
@click.argument("name")
@click.option("--reason", required=True, help="The status.reason the cluster reports.")
@click.pass_obj
def local_grid_fail(state: State, name: str, reason: str) -> int:
    """Make the next provisioning of cluster NAME end FAILED with REASON."""
    from gridsync.commands.local_grid import fail

    return fail(state.root, name, reason, state.console)


@local_grid.command("reset")
@click.pass_obj
def local_grid_reset(state: State) -> int:
    """Delete the local control plane's state (every local cluster)."""
    from gridsync.commands.local_grid import reset

    return reset(state.root, state.console)


def main(argv: list[str] | None = None) -> NoReturn:
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        code = cli.main(args=argv, prog_name="gridsync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("\nInterrupted.", err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return ExitCode.ERROR  # never click's 2: with --detailed-exitcode 2 means "changes"
    except ConfigError as exc:
        return _report_config_error(exc)
    except GridsyncError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("\nInterrupted.", err=True)
        return ExitCode.INTERRUPTED
    except Exception:
        if debug:
            traceback.print_exc()
        else:
            kind, value = sys.exc_info()[:2]
            click.echo(
                f"gridsync: internal error: {kind.__name__ if kind else ''}: {value}", err=True
            )
            click.echo(
                "This is a bug. Rerun with --debug for the traceback and report it.", err=True
            )
        return ExitCode.BUG
    return int(code) if isinstance(code, int) else ExitCode.OK


def _report_config_error(exc: ConfigError) -> int:
    from gridsync.render.diagnostics import error_summary, render_diagnostics

    color = os.environ.get("NO_COLOR") is None and sys.stderr.isatty()
    click.echo(render_diagnostics(exc.diagnostics, color=color), err=True, nl=False)
    click.echo(f"Error: {exc.message}: {error_summary(exc.diagnostics)}", err=True)
    return exc.exit_code
