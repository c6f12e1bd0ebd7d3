"""What every command that reads the project does first: gridsync.yaml and the desired state.
Planning against live state is prepare/against.py (validate imports no plan machinery)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from gridsync.config.desired import DesiredState, ProjectSettings
from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.console import Console
from gridsync.errors import UsageError
from gridsync.escapes import clean
from gridsync.render.diagnostics import render_diagnostics


class Target(NamedTuple):
    """Which project a command works on: the root, and the `projects:` entry (--project)."""

    root: Path
    project: str | None = None

    def settings(self) -> ProjectSettings:
        """gridsync.yaml for this target; a fleet (projects:) needs --project to pick one."""
        settings = load_project(self.root, self.project)
        if settings.projects and self.project is None:
            raise UsageError(
                f"gridsync.yaml defines projects ({', '.join(settings.projects)}): pass --project NAME",
                hint="`gridsync projects` lists them",
            )
        return settings


class Inputs(NamedTuple):
    settings: ProjectSettings
    desired: DesiredState


def load_inputs(target: Target, env: Mapping[str, str], console: Console) -> Inputs:
    """gridsync.yaml and every cluster file; warnings and notes go to stderr, errors raise."""
    return inputs_for(target.settings(), env, console)


def inputs_for(settings: ProjectSettings, env: Mapping[str, str], console: Console) -> Inputs:
    desired = load_desired(settings, env)
    if desired.diagnostics:
        console.log(render_diagnostics(desired.diagnostics, console.err_paint))
    return Inputs(settings, desired)


def require_files(inputs: Inputs, *, allow_prune_all: bool) -> None:
    """Plan and apply need cluster files: none at all is what running outside the project, or a
    wrong `clusters` glob, looks like. `--allow-prune-all` says that none is meant (every managed
    cluster is to go)."""
    if inputs.desired.files or allow_prune_all:
        return
    settings = inputs.settings
    globs = ", ".join(clean(glob) for glob in settings.cluster_globs)
    raise UsageError(
        f"no cluster files in {clean(str(settings.root))} (searched {globs}): there is nothing "
        "to plan",
        hint="run gridsync inside the project (or pass -C DIR); write clusters/NAME.yaml, or "
        "adopt live clusters with `gridsync import --all`; --allow-prune-all plans the deletion "
        "of every managed cluster",
    )
