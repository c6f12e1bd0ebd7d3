"""Helpers of apply/executor.py: what a waited-for cluster's state means, what a hard stop leaves,
and what an apply does once its changes have settled (point run configs at their clusters, set
the cluster context, turn each chain into its outcome)."""

from __future__ import annotations

from pathlib import Path

from gridsync.apply.outcome import Outcome, Progress, Status
from gridsync.apply.runfiles import write_run_edit
from gridsync.apply.steps import Chain, known
from gridsync.errors import GridsyncError
from gridsync.live.backend import Backend, LiveCluster
from gridsync.plan.changes import Action, Plan, RunEdit
from gridsync.spec import Phase


def why_not_running(found: LiveCluster | None) -> str:
    """Why a cluster waited for until RUNNING never will be; '' while it still may be."""
    if found is None:
        return "the cluster disappeared while waiting for it to run"
    if found.phase == Phase.FAILED:
        return f"provisioning FAILED: {found.reason or 'no reason given'}"
    if found.terminating and found.phase != Phase.RUNNING:
        return "the cluster is being deleted by someone else"
    return ""


def mark_in_flight(chains: list[Chain]) -> str:
    """After a hard stop: the chains whose call was out are incomplete; the line that says so."""
    for chain in chains:
        chain.status = Status.INCOMPLETE
        chain.detail = (
            f"may still be in flight: {chain.step} was sent and its answer not awaited; "
            "rerun apply to converge"
        )
    if not chains:
        return "stopped at once; no call was in flight"
    names = ", ".join(c.change.name for c in chains)
    return f"stopped at once; may still be in flight: {names}"


def outcome(chain: Chain) -> Outcome:
    status = chain.status
    if status == Status.NOT_ATTEMPTED and chain.index > 0:
        status = Status.INCOMPLETE
        chain.detail = chain.detail or f"stopped before: {chain.step}"
    return Outcome(
        chain.change.name,
        chain.change.action,
        status,
        chain.detail,
        chain.seconds,
        chain.leftovers,
    )


def write_run(
    edit: RunEdit,
    chains: dict[str, Chain],
    interrupted: bool,
    *,
    root: Path | None,
    waited: bool,
    progress: Progress,
) -> Outcome:
    """Point one run config at its cluster, once that cluster is known to run."""
    chain = chains.get(edit.cluster)
    skipped = _why_not_written(chain, interrupted, root, waited)
    if skipped or root is None:
        return Outcome(edit.path, Action.UPDATE, Status.NOT_ATTEMPTED, f"not edited: {skipped}")
    try:
        cluster_id = edit.after_id or (chain.cluster_id if chain else None) or edit.cluster
        changed = write_run_edit(root, edit, cluster_id)
    except GridsyncError as exc:
        return Outcome(edit.path, Action.UPDATE, Status.FAILED, exc.message)
    progress.event(edit.path, f"compute.provider.cluster -> {cluster_id}")
    detail = f"compute.provider.cluster: {cluster_id}" + ("" if changed else " (already)")
    return Outcome(edit.path, Action.UPDATE, Status.SUCCEEDED, detail)


def _why_not_written(
    chain: Chain | None, interrupted: bool, root: Path | None, waited: bool
) -> str:
    if root is None:
        return "--no-write-runs"
    if interrupted:
        return "interrupted"
    if chain is not None and not waited:
        return "its cluster is not known to be running (--no-wait)"
    if chain is not None and chain.status != Status.SUCCEEDED:
        return "its cluster did not reach RUNNING"
    return ""


def set_context(
    plan: Plan, chains: dict[str, Chain], interrupted: bool, backend: Backend, progress: Progress
) -> Outcome:
    context = known(plan.context)
    name = context.after
    chain = chains.get(name)
    if interrupted or (chain is not None and chain.status != Status.SUCCEEDED):
        return Outcome(name, Action.UPDATE, Status.NOT_ATTEMPTED, "cluster context not set")
    try:
        cluster_id = context.after_id or (chain.cluster_id if chain else None)
        cluster_id = cluster_id or backend.list_clusters().by_name()[name].id
        backend.set_context(cluster_id)
    except (GridsyncError, KeyError) as exc:
        return Outcome(
            name, Action.UPDATE, Status.FAILED, f"setting the cluster context failed: {exc}"
        )
    progress.event(name, "set as the cluster context")
    return Outcome(name, Action.UPDATE, Status.SUCCEEDED, "cluster context set")
