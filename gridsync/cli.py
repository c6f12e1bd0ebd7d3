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


def backend_option(command: Any) -> Any:
    return click.option(
        "--backend",
        type=click.Choice(["auto", "local", "api"]),
        help="Where live state is [default: GRIDSYNC_BACKEND, gridsync.yaml, else auto: "
        "api when Grid credentials are configured, local otherwise].",
    )(command)


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
    type=click.Choice(["text", "markdown", "json", "grid-commands"]),
    default="text",
    show_default=True,
    help="text for people, markdown for a pull-request comment, json for programs, "
    "grid-commands for the equivalent grid CLI commands.",
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
@backend_option
@click.option(
    "--live",
    "live_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Plan against a saved snapshot (`gridsync live --output json`, or `grid clusters` text) "
    "instead of a backend: no credentials needed.",
)
@click.pass_obj
def plan(
    state: State,
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
    allow_replace: bool,
    backend: str | None,
    live_file: Path | None,
) -> int:
    """Show what apply would change in live state."""
    from gridsync.commands.plan import PlanOptions
    from gridsync.commands.plan import plan as run

    options = PlanOptions(fmt, out, detailed_exitcode, allow_replace, backend, live_file)
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
@click.option(
    "--no-write-runs",
    is_flag=True,
    help="Leave run config files alone (compute.provider.cluster is not updated).",
)
@click.option(
    "--force-delete",
    is_flag=True,
    help="Delete with force: Grid forgets the cluster at once WITHOUT cleaning its cloud resources.",
)
@backend_option
@click.pass_obj
def apply(
    state: State,
    planfile: Path | None,
    auto_approve: bool,
    allow_replace: bool,
    parallelism: int | None,
    wait_timeout: float | None,
    no_wait: bool,
    no_write_runs: bool,
    force_delete: bool,
    backend: str | None,
) -> int:
    """Carry out the plan (or a saved PLANFILE, if live state has not moved since)."""
    from gridsync.commands.apply import ApplyOptions
    from gridsync.commands.apply import apply as run

    options = ApplyOptions(
        planfile=planfile,
        auto_approve=auto_approve,
        allow_replace=allow_replace,
        parallelism=parallelism,
        wait_timeout=wait_timeout,
        wait=not no_wait,
        backend=backend,
        force_delete=force_delete,
        write_runs=not no_write_runs,
    )
    return run(state.root, options, os.environ, state.console, _confirm_on_tty())


def _confirm_on_tty() -> Any:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    def confirm(question: str) -> bool:
        answer: str = click.prompt(question, default="", show_default=False, err=True)
        return answer.strip() == "yes"

    return confirm


@cli.command("preflight")
@click.argument("clusters", nargs=-1)
@click.pass_obj
def preflight(state: State, clusters: tuple[str, ...]) -> int:
    """Check the AWS account and quotas of clusters (all that declare aws: or infrastructure:).

    Credentials come from the normal boto3 chain (AWS_PROFILE, env, ~/.aws, instance role).
    Exit 1 when a check fails (no credentials, wrong account); low quotas are warnings.
    """
    from gridsync.commands.preflight import preflight as run

    return run(state.root, clusters, os.environ, state.console)


@cli.command("live")
@click.option(
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table as `grid clusters` shows it; json: a snapshot (no secrets) for `plan --live`.",
)
@backend_option
@click.pass_obj
def live(state: State, output: str, backend: str | None) -> int:
    """Print the live clusters."""
    from gridsync.commands.live import live as run

    return run(state.root, output, backend, os.environ, state.console)


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


@local_grid.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="0: any free port (printed).",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite state file [default: backend.local.state].",
)
@click.option(
    "--user-id",
    default="local-user",
    show_default=True,
    envvar="GRIDSYNC_LOCAL_USER_ID",
    help="User id accepted in Basic auth.",
)
@click.option(
    "--api-key",
    default="local-api-key",
    show_default=True,
    envvar="GRIDSYNC_LOCAL_API_KEY",
    help="API key accepted in Basic auth and login.",
)
@click.option(
    "--username", default="local", show_default=True, help="Login name for POST /v1/auth/login."
)
@click.option(
    "--latency-ms", type=float, help="Added to every request (GRIDSYNC_FAULT_LATENCY_MS)."
)
@click.option(
    "--spike-rate",
    type=float,
    help="Fraction of requests delayed by --spike-ms (GRIDSYNC_FAULT_SPIKE_RATE).",
)
@click.option(
    "--spike-ms", type=float, help="Latency spike length [default: 2000] (GRIDSYNC_FAULT_SPIKE_MS)."
)
@click.option(
    "--error-rate", type=float, help="Fraction answered 500/503 (GRIDSYNC_FAULT_ERROR_RATE)."
)
@click.option(
    "--rate-limit-rate", type=float, help="Fraction answered 429 (GRIDSYNC_FAULT_RATE_LIMIT_RATE)."
)
@click.option(
    "--retry-after",
    type=float,
    help="Retry-After seconds on 429 [default: 1] (GRIDSYNC_FAULT_RETRY_AFTER).",
)
@click.option(
    "--drop-rate",
    type=float,
    help="Fraction of connections dropped after the work is done (GRIDSYNC_FAULT_DROP_RATE).",
)
@click.option("--seed", type=int, help="Seed for fault decisions (GRIDSYNC_FAULT_SEED).")
@click.pass_obj
def local_grid_serve(
    state: State,
    /,
    host: str,
    port: int,
    state_file: Path | None = None,
    user_id: str = "",
    api_key: str = "",
    username: str = "",
    **faults: float | int | None,
) -> int:
    """Serve the local control plane over HTTP in Grid's REST wire format.

    Any Grid client can use it: GRID_URL=<printed url>, GRID_USER_ID and GRID_API_KEY as set here.
    Requests are logged to stderr as METHOD PATH STATUS MS; credentials never are.
    """
    from gridsync.commands.local_grid import ServeOptions, serve
    from gridsync.live.server import ServerAuth

    options = ServeOptions(host, port, state_file, ServerAuth(user_id, api_key, username), faults)
    return serve(state.root, options, os.environ, state.console)


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
