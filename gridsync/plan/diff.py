"""Desired state + live state -> Plan. Pure and deterministic: no I/O, no clock, no environment.

Safety rules live here, as data on the plan (`Change.blocked`), so every renderer shows them and
apply refuses a plan that has any:
- Grid's GLOBAL cluster and other clusters that are not BYOC are never changed;
- deletes of undeclared clusters, and what stops them (plan/prune.py): pruning, `managed`, other
  projects' clusters, `protected` globs, protections the apply record remembers, a prune that
  would empty the managed set;
- `protect: true`, the `protected` globs and a remembered protect block a replace;
- a replace (a field Grid cannot change in place) needs `--allow-replace`;
- `max_deletes` caps deletes plus replaces;
- a cluster that is being torn down is listed, not re-created over, unless gridsync deleted it
  itself (a replace cut short): then the create waits until it is gone;
- a delete an earlier apply began (Grid's part done, `terraform destroy` not) is finished;
- a cluster that run configs still target is not deleted, nor replaced when they name its old
  id (plan/runs.py);
- every rule that stops a change adds its reason: a plan shows all its blocks at once.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gridsync.config.desired import DesiredCluster, DesiredState
from gridsync.errors import ConfigError
from gridsync.live.backend import LiveCluster, LiveState
from gridsync.plan.changes import (
    Action,
    Change,
    ContextChange,
    FieldChange,
    Note,
    Plan,
    TerraformStep,
)
from gridsync.plan.prune import Memory, Policy, matches, prune, remembered_protect, teardowns
from gridsync.plan.runs import plan_runs
from gridsync.spec import (
    FIELDS,
    SECRET_FIELDS,
    ClusterSpec,
    ClusterType,
    Compare,
    ManagedField,
    Phase,
    Value,
    entry_field,
    spec_data,
)

__all__ = [
    "REPLACE_LABEL",
    "TERRAFORM_DIR",
    "InfraFacts",
    "Memory",
    "Policy",
    "compute_plan",
    "live_fingerprint",
]


# The pull-request label that approves a replace in review (gridsync.github.approval reads it).
REPLACE_LABEL = "gridsync:allow-replace"
TERRAFORM_DIR = ".gridsync/terraform"  # per-cluster Terraform work dirs, under the project root


@dataclass(frozen=True)
class InfraFacts:
    """What the command learned from Terraform before the diff (the diff itself runs nothing)."""

    # Cluster name -> (summary such as "Terraform: 3 to add, 0 to change, 0 to destroy", has changes).
    plans: Mapping[str, tuple[str, bool]] = field(default_factory=dict)
    recorded: frozenset[str] = frozenset()  # clusters with Terraform state gridsync recorded
    # Undeclared names whose Terraform state gridsync recorded while no live cluster has the name
    # (or only one being torn down): a delete whose `terraform destroy` has not run yet.
    leftover: frozenset[str] = frozenset()
    # Clusters whose module declares no backend while gridsync runs in CI: their state would stay
    # on the runner and be lost (unless gridsync.yaml says terraform_local_state: true).
    runner_state: frozenset[str] = frozenset()
    note: str = ""  # why Terraform was not planned, when it was not (e.g. a --live snapshot)
    # Cluster name -> (why its module does not run on this pull request, whether the module's own
    # files changed): Terraform plans after merge (gridsync.infra.review).
    deferred: Mapping[str, tuple[str, bool]] = field(default_factory=dict)


def compute_plan(
    desired: DesiredState,
    live: LiveState,
    policy: Policy,
    backend: str,
    infra: InfraFacts | None = None,
    memory: Memory | None = None,
) -> Plan:
    """The whole diff. Changes come out sorted by cluster name."""
    infra = infra or InfraFacts()
    memory = memory or Memory()
    live_by_name = live.by_name()
    live_by_id = live.by_id()
    changes: list[Change] = []
    notes: list[Note] = [*_unresolved_notes(desired), *_deferred_notes(desired, infra)]
    claimed: dict[str, LiveCluster] = {}  # live clusters matched to a declaration, by id
    for cluster in desired.clusters:
        match = live_by_name.get(cluster.name) or live_by_id.get(cluster.name)
        if match is not None:
            claimed[match.id] = match
        change, note = _declared_change(cluster, match, policy, memory)
        changes.append(change)
        if note is not None:
            notes.append(note)
        if cluster.name in memory.protected and not cluster.protect:
            notes.append(_lifted(cluster))
    undeclared = [
        c for c in live.clusters if c.id not in claimed and not c.is_global and not c.terminating
    ]
    kept = sum(1 for c in desired.clusters if matches(c.name, policy.managed))
    pruned = prune(undeclared, policy, memory, has_files=bool(desired.files), managed_left=kept)
    changes.extend(pruned.changes)
    changes.extend(_unfinished_deletes(live, infra, memory))
    unmanaged = pruned.unmanaged
    regions = {c.name: c.spec.region for c in live.clusters if c.spec is not None}
    regions = {**memory.regions, **regions}
    changes = [_with_terraform(c, infra, regions.get(c.name, "")) for c in changes]
    changes = _cap_deletes(changes, policy.max_deletes)
    runs = plan_runs(desired, live, changes)
    if runs.errors:
        raise ConfigError(runs.errors, "run configs point at clusters that cannot be used")
    changes = sorted(runs.changes, key=lambda c: c.name)
    return Plan(
        backend=backend,
        changes=tuple(changes),
        context=_context_change(desired, live, changes),
        unmanaged=unmanaged,
        notes=tuple(notes),
        live_fingerprint=live_fingerprint(live),
        run_edits=tuple(sorted(runs.edits, key=lambda e: e.path)),
        run_targets=runs.targets,
        terminating=teardowns(live.clusters, memory),
    )


def _declared_change(
    cluster: DesiredCluster, live: LiveCluster | None, policy: Policy, memory: Memory
) -> tuple[Change, Note | None]:
    base = Change(action=Action.NOOP, name=cluster.name, source=cluster.source, desired=cluster)
    if live is None:
        return base._replace(action=Action.CREATE, fields=_create_fields(cluster)), None
    base = base._replace(cluster_id=live.id, live_phase=live.phase)
    if live.cluster_type != ClusterType.BYOC:
        kind = "Grid's global cluster" if live.is_global else f"a {live.cluster_type} cluster"
        blocked = f"the name is taken by {kind} (id {live.id}), which gridsync never changes"
        return base._replace(action=Action.CREATE).block(blocked), None
    if live.terminating and cluster.name in memory.deleting:
        reason = (
            "the old cluster is being deleted by an earlier apply; apply waits until it is gone"
        )
        change = base._replace(action=Action.CREATE, fields=_create_fields(cluster), reason=reason)
        return change._replace(after_teardown=True), None
    if live.terminating:
        message = (
            f"cluster '{cluster.name}' is being deleted (terminating); it is not re-created now. "
            "Run apply again once it is gone."
        )
        return base._replace(reason="terminating"), Note("warning", message, cluster.source)
    fields = () if live.spec is None else _field_changes(live.spec, cluster, live.unknown)
    if live.phase == Phase.FAILED:
        reason = f"live cluster FAILED: {live.reason}" if live.reason else "live cluster FAILED"
        return _replace_change(base, fields, reason, policy, memory, forced=False), None
    if any(f.forces_replace for f in fields):
        forced_by = ", ".join(f.field for f in fields if f.forces_replace)
        reason = f"{forced_by} forces replacement"
        return _replace_change(base, fields, reason, policy, memory, forced=True), None
    action = Action.UPDATE if fields else Action.NOOP
    return base._replace(action=action, fields=fields), None


def _unfinished_deletes(live: LiveState, infra: InfraFacts, memory: Memory) -> list[Change]:
    """Deletes an earlier apply began whose `terraform destroy` never ran (it stopped once Grid
    had deleted the cluster): waiting for the cluster to go and the destroy finish them. Only
    deletions the apply record says gridsync asked for; another leftover state is never touched."""
    going = {c.name: c.id for c in live.clusters if c.terminating and not c.is_global}
    reason = "deleted in Grid by an earlier apply that stopped before `terraform destroy`"
    return [
        Change(
            Action.DELETE,
            name,
            cluster_id=going.get(name),
            reason=reason,
            after_teardown=True,
        )
        for name in sorted(infra.leftover & memory.deleting)
    ]


def _lifted(cluster: DesiredCluster) -> Note:
    message = (
        f"protect is lifted from '{cluster.name}': once this is applied, a later change may "
        "delete or replace it (not this one)"
    )
    return Note("note", message, cluster.where("protect"))


def _with_terraform(change: Change, infra: InfraFacts, region: str) -> Change:
    """Attach the Terraform step: apply before a create (and before an update when the module has
    changes), destroy after a delete whose state gridsync recorded."""
    if change.action == Action.DELETE:
        if change.name not in infra.recorded and change.name not in infra.leftover:
            return change
        step = TerraformStep(
            "Terraform: destroy",
            destroy=True,
            workdir=_workdir(change.name),
            region=region,
        )
        return change._replace(terraform=step)
    module = change.desired.terraform if change.desired is not None else None
    if module is None:
        return change
    summary, changed = infra.plans.get(
        change.name, (f"Terraform: not planned ({infra.note})", False)
    )
    if change.name in infra.deferred:
        reason, changed = infra.deferred[change.name]
        summary = f"{DEFERRED}: {reason}"  # in every format, the grid commands included
    if change.action == Action.NOOP and changed and not change.blocked:
        why = "its module changed" if change.name in infra.deferred else "Terraform has changes"
        change = change._replace(action=Action.UPDATE, reason=why)
    apply = change.action in (Action.CREATE, Action.REPLACE) or changed
    apply = apply and change.action != Action.NOOP
    if apply and change.name in infra.runner_state:
        change = change.block(_RUNNER_STATE.format(name=change.name, dir=TERRAFORM_DIR))
    return change._replace(terraform=TerraformStep(summary, apply, workdir=_workdir(change.name)))


DEFERRED = "Terraform plans after merge"


def _deferred_notes(desired: DesiredState, infra: InfraFacts) -> Iterable[Note]:
    for cluster in desired.clusters:
        if cluster.name in infra.deferred:
            reason = infra.deferred[cluster.name][0]
            message = (
                f"{cluster.name}: Terraform plans after merge, not on this pull request: {reason}. "
                "A pull request never runs Terraform code it changes; apply on merge runs it."
            )
            yield Note("warning", message, cluster.where("infrastructure"))


_RUNNER_STATE = (
    "the Terraform module of '{name}' declares no backend, so its state would stay in {dir}/ on "
    "this CI runner and be lost when the job ends: the next run would create the infrastructure "
    'again. Give the module a remote backend (backend "s3" {{...}} in its terraform block), or set '
    "terraform_local_state: true in gridsync.yaml if this runner keeps .gridsync/ between runs."
)


def _workdir(cluster: str) -> str:
    return f"{TERRAFORM_DIR}/{cluster}"


def _replace_change(
    base: Change,
    fields: tuple[FieldChange, ...],
    reason: str,
    policy: Policy,
    memory: Memory,
    *,
    forced: bool,
) -> Change:
    recreate = _create_fields(base.desired) if base.desired is not None else ()
    change = base._replace(action=Action.REPLACE, fields=fields, reason=reason, recreate=recreate)
    if policy.is_protected(base.name, base.desired):
        change = change.block(
            f"'{base.name}' is protected (protect: true or a 'protected' glob in gridsync.yaml); "
            "gridsync never replaces it. Change it by hand or lift the protection in a reviewed change."
        )
    elif base.name in memory.protected:
        change = change.block(remembered_protect(base.name))
    if forced and not policy.allow_replace:
        change = change.block(
            f"{reason}: Grid cannot change it in place, so '{base.name}' would be deleted and "
            "created again (its workloads stop). Rerun with --allow-replace to allow that (on a "
            f"pull request: a reviewer adds the label {REPLACE_LABEL})."
        )
    elif forced and not change.blocks:
        # What allowed the replace Grid forces; a protected cluster is never replaced, so nothing
        # approved it.
        change = change._replace(approved=policy.approved_by or "--allow-replace")
    return change


def _cap_deletes(changes: list[Change], max_deletes: int | None) -> list[Change]:
    """Counted over every delete and replace, blocked by another rule or not: lifting that rule
    must not reveal this one in a later round. A delete an earlier apply began was counted in the
    plan that began it."""
    destructive = [
        c for c in changes if c.action in (Action.DELETE, Action.REPLACE) and not c.resumes_delete
    ]
    if max_deletes is None or len(destructive) <= max_deletes:
        return changes
    why = (
        f"this plan deletes {len(destructive)} clusters (deletes and replaces) but max_deletes is "
        f"{max_deletes}; raise max_deletes in gridsync.yaml if that is intended"
    )
    return [c.block(why) if c in destructive else c for c in changes]


def _context_change(
    desired: DesiredState, live: LiveState, changes: list[Change]
) -> ContextChange | None:
    target = next((c for c in desired.clusters if c.context), None)
    if target is None:
        return None
    change = next(c for c in changes if c.name == target.name)
    known_id = change.cluster_id if change.action in (Action.NOOP, Action.UPDATE) else None
    if known_id is not None and known_id == live.context:
        return None
    return ContextChange(
        before=live.context, after=target.name, after_id=known_id, source=target.source
    )


# --- field comparison ---------------------------------------------------------------------------


def _create_fields(cluster: DesiredCluster) -> tuple[FieldChange, ...]:
    return _field_changes(None, cluster)


def _field_changes(
    live: ClusterSpec | None, cluster: DesiredCluster, unknown: frozenset[str] = frozenset()
) -> tuple[FieldChange, ...]:
    """Every managed field that differs, in table order. Fields unknown on either side are not
    compared."""
    out: list[FieldChange] = []
    for spec_field in FIELDS:
        if spec_field.compare == Compare.ENTRIES:
            if spec_field.name not in unknown:
                out.extend(_entry_changes(spec_field, live, cluster))
            continue
        change = _value_change(spec_field, live, cluster, unknown)
        if change is not None:
            out.append(change)
    return tuple(out)


def _value_change(
    spec_field: ManagedField,
    live: ClusterSpec | None,
    cluster: DesiredCluster,
    unknown: frozenset[str],
) -> FieldChange | None:
    name = spec_field.name
    if name in cluster.from_terraform:
        # A Terraform output fills it at apply; for a live cluster it is kept.
        return FieldChange(name, sensitive=True, known_after_apply=True) if live is None else None
    if live is not None and (name in cluster.unresolved or name in unknown):
        return None  # cannot compare; a note says so
    before = getattr(live, name) if live is not None else None
    after = getattr(cluster.spec, name)
    if before == after:
        return None
    sensitive = spec_field.secret or name in cluster.sensitive
    forces = live is not None and spec_field.replace_only
    return FieldChange(name, before, after, sensitive, forces, cluster.templates.get(name))


def _entry_changes(
    spec_field: ManagedField, live: ClusterSpec | None, cluster: DesiredCluster
) -> list[FieldChange]:
    """One change per entry that differs: wanted entries in their order, then removed ones."""
    entries = spec_field.entries
    if entries is None:
        raise TypeError(f"bug: {spec_field.name} compares entries but has no `entries`")
    sensitive = spec_field.secret or spec_field.name in cluster.sensitive
    if live is None:
        value = getattr(cluster.spec, spec_field.name)
        return list(_added_entries(spec_field, entries, value, sensitive))
    have = entries(getattr(live, spec_field.name))
    want = entries(getattr(cluster.spec, spec_field.name))
    order = list(want) + sorted(set(have) - set(want))
    forces = spec_field.replace_only
    out = []
    for key in order:
        before, after = have.get(key), want.get(key)
        if before != after:
            field_name = entry_field(spec_field, key)
            out.append(FieldChange(field_name, before, after, sensitive, forces))
    return out


@functools.lru_cache(maxsize=1024)
def _added_entries(
    spec_field: ManagedField,
    entries: Callable[[Any], Mapping[str, Value]],
    value: Any,
    sensitive: bool,
) -> tuple[FieldChange, ...]:
    """Every entry of a cluster to create, added. Once per distinct list: a fleet repeats its
    instance type lists, and every cluster that leaves them out has Grid's default 27."""
    return tuple(
        FieldChange(entry_field(spec_field, key), None, after, sensitive)
        for key, after in entries(value).items()
    )


def _unresolved_notes(desired: DesiredState) -> Iterable[Note]:
    for cluster in desired.clusters:
        for field_name, var in sorted(cluster.unresolved.items()):
            message = (
                f"{cluster.name}: ${{env:{var}}} is not set, so {field_name} is not compared; "
                "apply refuses until it is set"
            )
            yield Note("note", message, cluster.where(field_name))


# --- fingerprints -------------------------------------------------------------------------------


def live_fingerprint(live: LiveState) -> str:
    """A digest of everything in live state a plan depends on; a secret (the external id) only as
    being there (see spec_data).

    Phases count only as far as they change a plan: failed, terminating, or neither.
    """
    digest = hashlib.sha256()
    for cluster in sorted(live.clusters, key=lambda c: c.id):
        bucket = (
            "failed"
            if cluster.phase == Phase.FAILED
            else "terminating"
            if cluster.terminating
            else ""
        )
        digest.update(json.dumps([cluster.id, cluster.name, cluster.cluster_type, bucket]).encode())
        digest.update(json.dumps(_spec_data(cluster.spec, SECRET_FIELDS)).encode())
    digest.update(json.dumps(["context", live.context]).encode())
    return digest.hexdigest()


def desired_fingerprint(desired: DesiredState) -> str:
    """A digest of the desired state, to tell whether the files moved; a secret or a value from
    the environment only as being there (see spec_data).

    Both kinds of file count by what a plan reads from them, not by their bytes: a cluster by its
    values, a run config by its path, binding, kind and cluster value (apply re-reads an edited
    file and refuses when that value moved)."""
    digest = hashlib.sha256()
    for c in desired.clusters:
        hidden = SECRET_FIELDS | c.sensitive
        digest.update(
            json.dumps([c.name, c.protect, c.context, _spec_data(c.spec, hidden)]).encode()
        )
    for run in desired.runs:
        digest.update(json.dumps([run.path, run.bound_to, run.kind, run.cluster]).encode())
    return digest.hexdigest()


def _spec_data(spec: ClusterSpec | None, hidden: Collection[str]) -> object:
    return None if spec is None else spec_data(spec, hidden)
