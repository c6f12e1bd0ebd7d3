"""`gridsync validate`: check every desired-state file offline; no credentials, no live state."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gridsync.commands.session import load_inputs
from gridsync.console import Console
from gridsync.errors import ExitCode


def validate(root: Path, env: Mapping[str, str], console: Console) -> int:
    inputs = load_inputs(root, env, console)
    desired = inputs.desired
    clusters, files, runs = len(desired.clusters), len(desired.files), len(desired.runs)
    console.result(
        f"OK: {clusters} cluster(s) in {files} file(s) and {runs} run config(s) are valid."
    )
    return ExitCode.OK
