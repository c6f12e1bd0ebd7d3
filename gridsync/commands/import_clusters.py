"""`gridsync import`: write cluster documents for live clusters, so that plan shows no change.

Everything is checked before anything is written: which clusters may be imported
(commands/import_select.py), that no target file exists and no name is declared, then every file
is created at once or none (output.create_files). Secrets are written as `${env:VAR}` references
(config/document.py) and only the variable names are printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from gridsync import redact
from gridsync.backends import open_backend
from gridsync.commands.import_select import Refusal, choose, destination
from gridsync.config.desired import DesiredState, ProjectSettings
from gridsync.config.discover import literal_glob
from gridsync.config.document import ClusterDocument, cluster_document
from gridsync.config.load import load_desired
from gridsync.console import Console
from gridsync.errors import ExitCode, GridsyncError, UsageError
from gridsync.live.backend import LiveCluster, LiveState
from gridsync.output import create_files
from gridsync.plan.prune import Memory
from gridsync.prepare.inputs import Target
from gridsync.prepare.memory import own_record, read_memory
from gridsync.render.diagnostics import render_diagnostics
from gridsync.render.imported import render_imported, render_skipped


class ImportOptions(NamedTuple):
    names: tuple[str, ...] = ()
    all: bool = False  # --all: every importable live cluster not declared yet
    file: Path | None = None  # --file: one file for every document (else one per cluster)
    bind_runs: bool = False  # --bind-runs: `runs:` for the run configs that point at each
    backend: str | None = None  # --backend; None: GRIDSYNC_BACKEND, gridsync.yaml, auto


class Imported(NamedTuple):
    """What was written: rel path -> documents, and the run configs left unbound (with why)."""

    files: Mapping[str, tuple[ClusterDocument, ...]]
    unbound: tuple[tuple[str, str], ...] = ()


def import_clusters(
    target: Target, options: ImportOptions, env: Mapping[str, str], console: Console
) -> int:
    if bool(options.names) == options.all:
        raise UsageError(
            "name the clusters to import, or pass --all (not both)",
            hint="`gridsync live` lists the live clusters",
        )
    settings = target.settings()
    desired = _desired(settings, env, console)
    memory = read_memory(settings, env, own_record(settings).load(), fleet=True)
    live = _live(settings, options.backend, env)
    chosen, refused = choose(options.names, live, desired, settings, memory)
    if options.names and refused:
        raise _refused(refused)
    if refused:
        console.log(render_skipped([(r.name, r.why) for r in refused]))
    if not chosen:
        console.log("Nothing to import: every live cluster is declared or cannot be imported.")
        return ExitCode.OK
    imported = _documents(chosen, live, desired, settings, memory, options)
    _write(settings, imported)
    console.result(render_imported(imported.files, imported.unbound))
    return ExitCode.OK


def _desired(settings: ProjectSettings, env: Mapping[str, str], console: Console) -> DesiredState:
    """The declared clusters (errors raise: fix the files first). Only warnings are shown: no
    files at all is where an adoption starts, and the notes are plan's business."""
    desired = load_desired(settings, env)
    shown = [d for d in desired.diagnostics if d.severity == "warning" and desired.files]
    if shown:
        console.log(render_diagnostics(shown, console.err_paint))
    return desired


def _live(settings: ProjectSettings, choice: str | None, env: Mapping[str, str]) -> LiveState:
    backend = open_backend(settings, choice, env)
    try:
        live = backend.list_clusters()
    finally:
        backend.close()
    for cluster in live.clusters:  # never printed, whatever a message might quote
        redact.register(cluster.spec.external_id if cluster.spec else None)
    return live


def _refused(refused: Sequence[Refusal]) -> GridsyncError:
    lines = "\n".join(f"  {r.line()}" for r in refused)
    return UsageError(
        f"cannot import {len(refused)} cluster(s); nothing was written:\n{lines}",
        hint="`gridsync live` lists the live clusters; `gridsync import --all` takes every "
        "cluster that can be imported",
    )


def _documents(
    chosen: Sequence[LiveCluster],
    live: LiveState,
    desired: DesiredState,
    settings: ProjectSettings,
    memory: Memory,
    options: ImportOptions,
) -> Imported:
    has_context = any(c.context for c in desired.clusters)
    files: dict[str, list[ClusterDocument]] = {}
    unbound: list[tuple[str, str]] = []
    for cluster in chosen:
        if cluster.spec is None:  # import_select refuses these; mypy needs the check
            continue
        runs, skipped = _runs_of(cluster, desired) if options.bind_runs else ([], [])
        unbound.extend(skipped)
        document = cluster_document(
            cluster.name,
            cluster.spec,
            protect=cluster.name in memory.protected,
            context=not has_context and live.context == cluster.id,
            runs=runs,
        )
        files.setdefault(destination(settings, options.file, cluster.name), []).append(document)
    return Imported({rel: tuple(docs) for rel, docs in files.items()}, tuple(unbound))


def _runs_of(
    cluster: LiveCluster, desired: DesiredState
) -> tuple[list[str], list[tuple[str, str]]]:
    """Globs for the unbound run configs that name this cluster, and those left alone (a file
    naming it by name when its id differs: binding would rewrite it to the id)."""
    runs: list[str] = []
    skipped: list[tuple[str, str]] = []
    for run in desired.runs:
        if run.bound_to is not None or run.cluster not in (cluster.id, cluster.name):
            continue
        if run.cluster == cluster.id:
            runs.append(literal_glob(run.path))
        else:
            why = (
                f"names '{cluster.name}' by name, its id is '{cluster.id}': bound, plan would "
                "rewrite it to the id; bind it by hand if you want that"
            )
            skipped.append((run.path, why))
    return runs, skipped


def _write(settings: ProjectSettings, imported: Imported) -> None:
    existing = [rel for rel in imported.files if os.path.lexists(settings.root / rel)]
    if existing:
        raise UsageError(
            f"{', '.join(existing)} exists already; gridsync import never overwrites a file, "
            "and nothing was written",
            hint="move the file aside, or pass --file PATH naming a new file",
        )
    texts = {
        settings.root / rel: "---\n".join(d.text(_comment(d)) for d in documents)
        for rel, documents in imported.files.items()
    }
    try:
        create_files(texts)
    except FileExistsError as exc:
        raise UsageError(
            f"{exc.filename} appeared while importing; nothing was written",
            hint="run gridsync import again",
        ) from exc
    except OSError as exc:
        raise GridsyncError(
            f"cannot write {exc.filename}: {exc.strerror}; nothing was written"
        ) from exc


def _comment(document: ClusterDocument) -> str:
    return f"Imported by `gridsync import` from the live cluster '{document.name}'."
