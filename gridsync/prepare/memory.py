"""What a plan must know beyond this project's files and live state (plan/prune.py `Memory`):
the protections and deletions the apply records remember, and the clusters other projects of the
fleet declare. Read before the diff, which does no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from gridsync.apply.record import AppliedRecord, store_for
from gridsync.config.desired import ProjectSettings
from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.plan.prune import Memory
from gridsync.spec import AppliedEntry


def own_record(settings: ProjectSettings) -> AppliedRecord:
    return AppliedRecord(store_for(settings.lock, settings.root, settings.project))


def read_memory(
    settings: ProjectSettings,
    env: Mapping[str, str],
    own: Mapping[str, AppliedEntry] | None,
    *,
    fleet: bool = False,
) -> Memory:
    """`own`: this project's record, already read. Other projects matter to a prune (what
    they declare, and what their records remember as protected, is never this one's to delete)
    and, with `fleet`, to import (never another project's cluster). Raises GridsyncError
    (ConfigError) when any of it cannot be read."""
    entries = dict(own or {})
    protected = {name for name, entry in entries.items() if entry.protect}
    deleting = {name for name, entry in entries.items() if entry.deleting}
    regions = {name: str(entries[name].public.get("region") or "") for name in deleting}
    elsewhere: set[str] = set()
    if settings.prune or fleet:
        for name in settings.projects:
            if name == settings.project:
                continue
            other = load_project(settings.root, name)
            elsewhere |= {cluster.name for cluster in load_desired(other, env).clusters}
            remembered = own_record(other).load() or {}
            protected |= {n for n, entry in remembered.items() if entry.protect}
    return Memory(frozenset(protected), frozenset(deleting), frozenset(elsewhere), regions)
