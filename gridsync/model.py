"""The vocabulary shared by desired state, live state and the plan: Grid's managed cluster fields.

A ``ClusterSpec`` holds exactly the fields gridsync manages. Everything else in Grid's spec (userId,
gridletVersion, operator fields under ``aws``...) belongs to the server and is never compared or
overwritten: backends overlay a ClusterSpec onto the full live spec before they write it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Grid CLI's rule, matched in full (re.fullmatch: `$` alone would accept a trailing newline).
NAME_RE = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
ARM_PREFIXES = ("a1", "t4g", "m6g", "c6g", "g5g", "r6g")
# The instance types `grid clusters aws` uses when none are given; also gridsync's default.
DEFAULT_INSTANCE_TYPES = (
    *("g2.8xlarge", "g3.16xlarge", "g3.4xlarge", "g3.8xlarge", "g3s.xlarge"),
    *("g4dn.12xlarge", "g4dn.16xlarge", "g4dn.2xlarge", "g4dn.4xlarge", "g4dn.8xlarge"),
    *("g4dn.metal", "g4dn.xlarge", "p2.16xlarge", "p2.8xlarge", "p2.xlarge"),
    *("p3.16xlarge", "p3.2xlarge", "p3.8xlarge", "p3dn.24xlarge"),
    *("t2.large", "t2.medium", "t2.xlarge", "t2.2xlarge"),
    *("t3.large", "t3.medium", "t3.xlarge", "t3.2xlarge"),
)
# Fields Grid cannot change in place: changing one means delete and create again.
REPLACE_FIELDS = frozenset({"region"})
# Fields whose values are secret wherever they come from.
SECRET_FIELDS = frozenset({"external_id"})


def is_valid_name(name: str) -> bool:
    return NAME_RE.fullmatch(name) is not None


def is_arm_instance_type(name: str) -> bool:
    family = name.split(".", 1)[0]
    return any(family.startswith(prefix) for prefix in ARM_PREFIXES)


class Phase(StrEnum):
    """Grid's cluster states (status.phase and spec.desiredState). Live values are kept as plain
    strings so a phase gridsync does not know survives; compare them against these members."""

    UNSPECIFIED = "CLUSTER_STATE_UNSPECIFIED"
    PENDING = "CLUSTER_STATE_PENDING"
    QUEUED = "CLUSTER_STATE_QUEUED"
    RUNNING = "CLUSTER_STATE_RUNNING"
    FAILED = "CLUSTER_STATE_FAILED"
    DELETED = "CLUSTER_STATE_DELETED"


class ClusterType(StrEnum):
    UNSPECIFIED = "CLUSTER_TYPE_UNSPECIFIED"
    LEGACY = "CLUSTER_TYPE_LEGACY"
    GLOBAL = "CLUSTER_TYPE_GLOBAL"
    BYOC = "CLUSTER_TYPE_BYOC"


class PerformanceProfile(StrEnum):
    DEFAULT = "CLUSTER_PERFORMANCE_PROFILE_DEFAULT"
    COST_SAVING = "CLUSTER_PERFORMANCE_PROFILE_COST_SAVING"


def short_phase(phase: str) -> str:
    """`CLUSTER_STATE_RUNNING` -> `running`, as `grid clusters` shows it."""
    return phase.removeprefix("CLUSTER_STATE_").lower() or "unknown"


@dataclass(frozen=True, order=True)
class InstanceType:
    name: str
    overprovisioned_ondemand_count: int | None = None
    root_volume_size: int | None = None

    def describe(self) -> str:
        extras = []
        if self.overprovisioned_ondemand_count is not None:
            extras.append(f"overprovisioned_ondemand_count={self.overprovisioned_ondemand_count}")
        if self.root_volume_size is not None:
            extras.append(f"root_volume_size={self.root_volume_size}")
        return f"{self.name} ({', '.join(extras)})" if extras else self.name


@dataclass(frozen=True)
class ClusterSpec:
    """The fields of a cluster that gridsync manages, in gridsync's (snake_case) names."""

    region: str
    role_arn: str
    external_id: str
    instance_types: tuple[InstanceType, ...]
    cost_savings: bool = False


@dataclass(frozen=True, order=True)
class Source:
    """Where something was declared: a file relative to the project root, 1-based line and column."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        """`path:line`, the path on one line (a file name may hold a newline)."""
        from gridsync.output import clean

        return f"{clean(self.path)}:{self.line}"


def spec_digest(spec: ClusterSpec) -> str:
    types = sorted(
        [t.name, t.overprovisioned_ondemand_count, t.root_volume_size] for t in spec.instance_types
    )
    data = [spec.region, spec.role_arn, spec.external_id, types, spec.cost_savings]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def public_fields(spec: ClusterSpec) -> dict[str, Any]:
    return {
        "region": spec.region,
        "instance_types": sorted(t.describe() for t in spec.instance_types),
        "cost_savings": spec.cost_savings,
    }


@dataclass(frozen=True)
class AppliedEntry:
    """What gridsync last applied to one cluster (the apply record; drift reads it)."""

    digest: str  # "" for a cluster gridsync deletes without ever having applied it
    public: Mapping[str, Any]
    applied_at: str
    protect: bool = False  # applied with protect: true; deleting it needs that lifted first
    deleting: bool = False  # gridsync asked for its deletion; gone (or going) is not drift
