"""`gridsync local-grid ...`: the embedded local Grid control plane (click declarations only)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from gridsync.cli.options import State, global_options


@click.group("local-grid")
def local_grid() -> None:
    """The embedded local Grid control plane (the default backend)."""


@local_grid.command("fail")
@click.argument("name")
@click.option("--reason", required=True, help="The status.reason the cluster reports.")
@global_options
@click.pass_obj
def local_grid_fail(state: State, name: str, reason: str) -> int:
    """Make the next provisioning of cluster NAME end FAILED with REASON."""
    from gridsync.commands.local_grid import fail

    return fail(state.target, name, reason, state.console)


@local_grid.command("reset")
@global_options
@click.pass_obj
def local_grid_reset(state: State) -> int:
    """Delete the local control plane's state (every local cluster)."""
    from gridsync.commands.local_grid import reset

    return reset(state.target, state.console)


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
@global_options
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
    from gridsync.localgrid.server import ServerAuth

    options = ServeOptions(host, port, state_file, ServerAuth(user_id, api_key, username), faults)
    return serve(state.target, options, os.environ, state.console)
