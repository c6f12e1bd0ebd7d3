"""What every command that compares desired with live state does first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from gridsync.config.desired import DesiredState, ProjectSettings
from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.console import Console
from gridsync.errors import UsageError
from gridsync.escapes import clean
from gridsync.live.backend import Backend, LiveState
from gridsync.plan.changes import Plan
from gridsync.plan.diff import Memory, Policy, compute_plan
from gridsync.prepare.facts import preflight_notes, terraform_facts
from gridsync.render.diagnostics import render_diagnostics


@dataclass(frozen=True)
class Target:
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


@dataclass(frozen=True)
class Inputs:
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


def policy_for(
    settings: ProjectSettings,
    *,
    allow_replace: bool,
    allow_prune_all: bool = False,
    approved_by: str = "",
) -> Policy:
    return Policy(
        prune=settings.prune,
        managed=settings.managed,
        protected=settings.protected,
        max_deletes=settings.max_deletes,
        allow_replace=allow_replace,
        allow_prune_all=allow_prune_all,
        approved_by=approved_by,
    )


def plan_against(
    inputs: Inputs,
    backend: Backend,
    env: Mapping[str, str],
    *,
    allow_replace: bool,
    snapshot: Path | None = None,
    live: LiveState | None = None,
    memory: Memory | None = None,
    allow_prune_all: bool = False,
    approved_by: str = "",
) -> Plan:
    """Read live state (unless the caller already has it), ask Terraform (and AWS) what they
    know, and diff. A snapshot plan (fork pull requests) runs neither Terraform nor AWS checks: it
    has no cloud credentials by design."""
    live = live if live is not None else backend.list_clusters()
    policy = policy_for(
        inputs.settings,
        allow_replace=allow_replace,
        allow_prune_all=allow_prune_all,
        approved_by=approved_by,
    )
    clusters = inputs.desired.clusters
    infra = terraform_facts(inputs.settings, clusters, live, env, snapshot=snapshot)
    plan = compute_plan(inputs.desired, live, policy, backend.description, infra, memory)
    if snapshot is None:
        plan = replace(plan, notes=(*plan.notes, *preflight_notes(clusters)))
    return plan
