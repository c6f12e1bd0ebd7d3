"""Planning the desired state against live state: the policy from gridsync.yaml, what Terraform
and AWS know, and the diff (plan, apply and drift do this after prepare/inputs.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from gridsync.config.desired import ProjectSettings
from gridsync.live.backend import Backend, LiveState
from gridsync.plan.changes import Plan
from gridsync.plan.diff import Memory, Policy, compute_plan
from gridsync.prepare.facts import preflight_notes, terraform_facts
from gridsync.prepare.inputs import Inputs


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
