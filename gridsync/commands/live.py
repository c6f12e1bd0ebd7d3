"""`gridsync live`: print live clusters, as a table or as a JSON snapshot for `plan --live`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from gridsync.backends import open_backend
from gridsync.console import Console
from gridsync.errors import ExitCode
from gridsync.prepare.inputs import Target
from gridsync.render.live import render_json, render_table


def live(
    target: Target,
    output: str,
    backend_choice: str | None,
    env: Mapping[str, str],
    console: Console,
) -> int:
    settings = target.settings()
    backend = open_backend(settings, backend_choice, env)
    try:
        state = backend.list_clusters()
    finally:
        backend.close()
    if output == "json":
        console.result(render_json(state, backend.description))
    else:
        console.result(render_table(state, datetime.now(UTC)))
    return ExitCode.OK
