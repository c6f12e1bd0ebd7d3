"""What `gridsync import` may adopt, and where it writes (pure: no I/O but `lexists`).

A live cluster is importable into a project when it is a BYOC cluster with an AWS spec, healthy
(not FAILED, not being deleted), named by Grid's rule, not declared here or by another project of
gridsync.yaml, and, when the project has `managed` globs, matched by them: a project's `managed`
globs are its share of the account (plan/prune.py), so a cluster outside them belongs to someone
else. Grid's global cluster is never importable.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from gridsync.config.cluster import NAME_RULE
from gridsync.config.desired import DesiredState, ProjectSettings
from gridsync.config.discover import has_wildcard, path_matches
from gridsync.confine import is_inside
from gridsync.errors import UsageError
from gridsync.escapes import clean
from gridsync.live.backend import LiveCluster, LiveState
from gridsync.plan.prune import Memory, matches
from gridsync.spec import ClusterType, Phase, is_valid_name


class Refusal(NamedTuple):
    name: str
    why: str

    def line(self) -> str:
        """One line: a name as typed may hold anything."""
        return f"{clean(self.name)}: {self.why}"


def refusal(
    cluster: LiveCluster, desired: DesiredState, settings: ProjectSettings, memory: Memory
) -> str:
    """Why `cluster` cannot be imported into this project ("" when it can)."""
    declared = desired.by_name().get(cluster.name)
    if cluster.is_global:
        return "Grid's global cluster; gridsync never manages it"
    if cluster.cluster_type != ClusterType.BYOC:
        return f"a {cluster.cluster_type} cluster; gridsync manages only BYOC clusters"
    if declared is not None:
        return f"already declared at {declared.source}; edit that file instead"
    if cluster.name in memory.elsewhere:
        return "declared by another project of gridsync.yaml; import it there"
    if settings.managed and not matches(cluster.name, settings.managed):
        globs = ", ".join(repr(g) for g in settings.managed)
        return (
            f"outside this project's managed globs ({globs}), so it belongs to another project "
            "or team; add a glob that matches it to `managed` if it is this project's"
        )
    return _state_refusal(cluster)


def _state_refusal(cluster: LiveCluster) -> str:
    if not is_valid_name(cluster.name):
        return f"its name cannot be declared: {NAME_RULE}"
    if cluster.terminating:
        return "being deleted (terminating)"
    if cluster.phase == Phase.FAILED:
        return "FAILED, so a plan would replace it; delete or repair it first"
    if cluster.spec is None:
        return "its spec has no AWS driver (driver.kubernetes.aws) to declare"
    missing = [f for f in ("role_arn", "external_id") if not getattr(cluster.spec, f)]
    if missing:
        return f"Grid holds no {' or '.join(missing)} for it, which a cluster file needs"
    return ""


def choose(
    names: Sequence[str],
    live: LiveState,
    desired: DesiredState,
    settings: ProjectSettings,
    memory: Memory,
) -> tuple[list[LiveCluster], list[Refusal]]:
    """The clusters to import (sorted by name) and the refusals. With `names`, every refusal is
    an error; without (--all), the undeclared importable clusters, the others refused as notes."""
    by_name, by_id = live.by_name(), live.by_id()
    chosen: dict[str, LiveCluster] = {}
    refused: list[Refusal] = []
    if names:
        candidates: list[LiveCluster] = []
        for name in dict.fromkeys(names):
            found = by_name.get(name) or by_id.get(name)
            if found is None:
                refused.append(Refusal(name, "no live cluster has this name or id"))
            else:
                candidates.append(found)
    else:
        candidates = [c for c in live.clusters if not c.is_global]
    for cluster in candidates:
        why = refusal(cluster, desired, settings, memory)
        if why:
            refused.append(Refusal(cluster.name, why))
        else:
            chosen[cluster.name] = cluster
    return [chosen[n] for n in sorted(chosen)], refused


def cluster_folder(settings: ProjectSettings) -> str:
    """The folder of the first cluster glob before any wildcard ("clusters" for the default)."""
    segments = [s for s in settings.cluster_globs[0].split("/") if s not in ("", ".")][:-1]
    literal: list[str] = []
    for segment in segments:
        if has_wildcard(segment):
            break
        literal.append(segment)
    return "/".join(literal)


def destination(settings: ProjectSettings, file: Path | None, name: str) -> str:
    """Where a cluster's document goes, relative to the root: --file, else <folder>/<name>.yaml.
    UsageError when it is outside the project or no cluster glob would read it."""
    if file is None:
        folder = cluster_folder(settings)
        rel = f"{folder}/{name}.yaml" if folder else f"{name}.yaml"
    else:
        absolute = Path(os.path.abspath(file))
        if not is_inside(settings.root, absolute):
            raise UsageError(
                f"--file {file}: outside the project root {settings.root}",
                hint="write the cluster file inside the project, e.g. clusters/imported.yaml",
            )
        rel = absolute.relative_to(settings.root).as_posix()
    if not any(path_matches(rel, glob) for glob in settings.cluster_globs):
        globs = ", ".join(settings.cluster_globs)
        raise UsageError(
            f"{rel}: no cluster glob of the project ({globs}) reads this file, so plan would "
            "not see what import writes",
            hint="pass --file PATH matching the `clusters` globs of gridsync.yaml",
        )
    return rel
