"""`gridsync projects`: the projects of gridsync.yaml, as text or as JSON for a CI matrix."""

from __future__ import annotations

import json

from gridsync.config.project import load_project
from gridsync.console import Console
from gridsync.errors import ExitCode
from gridsync.prepare.inputs import Target


def projects(target: Target, as_json: bool, console: Console) -> int:
    top = load_project(target.root)
    entries = []
    for name in top.projects or ():
        settings = load_project(target.root, name)
        entries.append(
            {
                "name": name,
                "clusters": list(settings.cluster_globs),
                "runs": list(settings.run_globs),
                "backend": settings.backend.type,
                "lock": settings.lock or "file",
            }
        )
    if as_json:
        console.result(json.dumps(entries, separators=(",", ":")))
    elif not entries:
        console.result(
            "gridsync.yaml defines no projects: every command works on the whole repository."
        )
    else:
        console.result(
            "\n".join(f"{e['name']}: clusters {', '.join(e['clusters'])}" for e in entries)
        )
    return ExitCode.OK
