"""Deletion safety (pure, no I/O): which undeclared clusters a plan deletes, and what stops it.

- An undeclared live cluster is deleted only when pruning is on and its name matches `managed`;
  otherwise it is listed as unmanaged. One declared by another project of the fleet is never
  pruned by this one.
- `protected` globs block a delete, and so does the apply record's memory of `protect: true`:
  removing a protected cluster's file does not make it deletable. Lifting `protect` is a reviewed
  change of its own, applied first (Terraform's `prevent_destroy` takes the same two steps).
- A prune that finds no cluster files at all, or that would delete every managed cluster, is
  blocked unless `allow_prune_all` (`--allow-prune-all`): both are what a wrong glob looks like.
- A cluster being torn down is listed (`Teardown`), never deleted or re-created over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import NamedTuple

from gridsync.config.desired import DesiredCluster
from gridsync.live.backend import LiveCluster
from gridsync.plan.changes import Action, Change, Teardown


class Policy(NamedTuple):
    """The safety settings a plan is computed under (from gridsync.yaml and the command line)."""

    prune: bool = False
    managed: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    max_deletes: int | None = None
    allow_replace: bool = False
    allow_prune_all: bool = False  # --allow-prune-all: a prune may empty the managed set
    approved_by: str = ""  # who allowed replaces, as plans show it ("" = "--allow-replace")

    def is_protected(self, name: str, desired: DesiredCluster | None = None) -> bool:
        return (desired is not None and desired.protect) or matches(name, self.protected)


@dataclass(frozen=True)
class Memory:
    """What the command knows beyond this project's files and live state, read before the diff:
    the apply records (this project's and the fleet's) and the other projects' declarations."""

    protected: frozenset[str] = frozenset()  # applied with protect: true, by any project
    deleting: frozenset[str] = frozenset()  # deletions this project's applies asked for
    elsewhere: frozenset[str] = field(default_factory=frozenset)  # declared by another project
    # Cluster name -> the region it was last applied in, for those deletions (leftover checks).
    regions: Mapping[str, str] = field(default_factory=dict)


def matches(name: str, globs: Iterable[str]) -> bool:
    return any(fnmatchcase(name, glob) for glob in globs)


class Pruned(NamedTuple):
    changes: tuple[Change, ...]  # deletes, blocked where a rule says so
    unmanaged: tuple[str, ...]


def prune(
    undeclared: Sequence[LiveCluster],
    policy: Policy,
    memory: Memory,
    *,
    has_files: bool,
    managed_left: int,
) -> Pruned:
    """Deletes for the undeclared live clusters. `managed_left`: the declared clusters whose names
    match `managed` (they stay or are created, so the prune does not empty the managed set)."""
    deletes: list[Change] = []
    unmanaged: list[str] = []
    for cluster in undeclared:
        if (
            policy.prune
            and matches(cluster.name, policy.managed)
            and cluster.name not in memory.elsewhere
        ):
            deletes.append(_prune_change(cluster, policy, memory))
        else:
            unmanaged.append(cluster.name)
    if deletes and not policy.allow_prune_all:
        why = _prune_all(has_files=has_files, emptied=managed_left == 0, count=len(deletes))
        deletes = [c.block(why) for c in deletes] if why else deletes
    return Pruned(tuple(deletes), tuple(sorted(unmanaged)))


def teardowns(live: Iterable[LiveCluster], memory: Memory) -> tuple[Teardown, ...]:
    return tuple(
        sorted(
            Teardown(c.name, c.id, c.name in memory.deleting)
            for c in live
            if c.terminating and not c.is_global
        )
    )


def remembered_protect(name: str) -> str:
    return (
        f"the apply record remembers '{name}' as protect: true, so gridsync does not delete or "
        "replace it although its file no longer says so. Apply a change that sets protect: false "
        "(or removes it) first; once that is applied, a later change may delete it"
    )


def _prune_change(cluster: LiveCluster, policy: Policy, memory: Memory) -> Change:
    globs = ", ".join(f"'{g}'" for g in policy.managed if fnmatchcase(cluster.name, g))
    change = Change(
        action=Action.DELETE,
        name=cluster.name,
        cluster_id=cluster.id,
        reason=f"undeclared; prune is on and it matches managed {globs}",
        live_phase=cluster.phase,
    )
    if policy.is_protected(cluster.name):
        change = change.block(
            f"'{cluster.name}' matches a 'protected' glob; gridsync never deletes it"
        )
    if cluster.name in memory.protected:
        change = change.block(remembered_protect(cluster.name))
    return change


def _prune_all(*, has_files: bool, emptied: bool, count: int) -> str:
    if not has_files:
        return (
            "no cluster files were found, so prune would delete every managed cluster; check the "
            "`clusters` globs in gridsync.yaml (and that the files are checked out), or pass "
            "--allow-prune-all if deleting them all is intended"
        )
    if emptied:
        return (
            f"this prune deletes every cluster gridsync manages ({count}) and keeps none, which "
            "is what a wrong `managed` glob or a removed folder looks like; pass "
            "--allow-prune-all if that is intended"
        )
    return ""
