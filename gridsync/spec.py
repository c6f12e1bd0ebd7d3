"""The vocabulary shared by desired state, live state and the plan: the managed cluster fields.

A ``ClusterSpec`` holds exactly the fields gridsync manages, and ``FIELDS`` is their table: one row
per field saying whether it is secret, public (in snapshots and apply records), replace-only, how it
is compared (one value, or entry by entry) and shown, and how its YAML value is read. The config
loader, the diff, the digests, the snapshot, apply and the renderers all work from it; a test ties
it to ClusterSpec and to `schemas/cluster.schema.json`. How a backend spells each field on its wire
is that backend's business (Grid's: gridsync.live.wire). Everything else in a backend's spec
(Grid's userId, gridletVersion...) belongs to the server and is never compared or overwritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from gridsync.escapes import clean

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


def is_valid_name(name: str) -> bool:
    return NAME_RE.fullmatch(name) is not None


def is_arm_instance_type(name: str) -> bool:
    return name.split(".", 1)[0].startswith(ARM_PREFIXES)


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


class InstanceType(NamedTuple):
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


# One tuple for every cluster that leaves instance_types out: making it per cluster took 12% of
# validating 4,000 such clusters.
DEFAULT_TYPES = tuple(InstanceType(name) for name in DEFAULT_INSTANCE_TYPES)


@dataclass(frozen=True)
class ClusterSpec:
    """The fields of a cluster that gridsync manages, in gridsync's (snake_case) names: one
    attribute per row of FIELDS, in the same order, its default the value of an unwritten field."""

    region: str
    role_arn: str = ""
    external_id: str = ""
    instance_types: tuple[InstanceType, ...] = DEFAULT_TYPES
    cost_savings: bool = False


# --- the table of managed fields ------------------------------------------------------------------

# A field value as a plan's FieldChange holds it on either side.
Value = str | bool | int | None


class Compare(StrEnum):
    VALUE = "value"  # one change when the value differs
    ENTRIES = "entries"  # a keyed collection: one change per entry, field `name[key]`


def _same(value: Any) -> Any:
    return value


def _instance_types_from_yaml(items: list[Any]) -> tuple[InstanceType, ...]:
    """`instance_types:` as written: names, or mappings with a name and optional settings."""
    return tuple(
        InstanceType(item)
        if isinstance(item, str)
        else InstanceType(
            item["name"], item.get("overprovisioned_ondemand_count"), item.get("root_volume_size")
        )
        for item in items
    )


def _instance_types_to_yaml(items: tuple[InstanceType, ...]) -> list[Any]:
    """The inverse of _instance_types_from_yaml: a bare name when a type has no options, as
    people write it; else the mapping form."""
    return [_instance_type_to_yaml(item) for item in items]


def _instance_type_to_yaml(item: InstanceType) -> str | dict[str, Any]:
    if item.overprovisioned_ondemand_count is None and item.root_volume_size is None:
        return item.name
    entry: dict[str, Any] = {"name": item.name}
    if item.overprovisioned_ondemand_count is not None:
        entry["overprovisioned_ondemand_count"] = item.overprovisioned_ondemand_count
    if item.root_volume_size is not None:
        entry["root_volume_size"] = item.root_volume_size
    return entry


def _instance_type_entries(items: tuple[InstanceType, ...]) -> dict[str, Value]:
    return {t.name: t.describe() for t in items}


def _instance_type_data(items: tuple[InstanceType, ...]) -> Any:
    return sorted([t.name, t.overprovisioned_ondemand_count, t.root_volume_size] for t in items)


class ManagedField(NamedTuple):
    """One row of FIELDS: a ClusterSpec attribute, its YAML key and its name in plans."""

    name: str
    secret: bool = False  # masked wherever it comes from (and registered for redaction)
    public: bool = True  # kept in live snapshots and apply records (not the role and its secret)
    replace_only: bool = False  # the backend cannot change it in place: a change is a replace
    from_terraform: bool = False  # a Terraform module may supply it when the YAML leaves it out
    compare: Compare = Compare.VALUE
    raw: bool = False  # shown as text (an instance type's description), not JSON-quoted
    from_yaml: Callable[[Any], Any] = _same  # the YAML value (schema-checked) -> attribute value
    to_yaml: Callable[[Any], Any] = _same  # its inverse (the document `gridsync import` writes)
    # Compare.ENTRIES: the attribute value -> {key: what the plan shows for that entry}.
    entries: Callable[[Any], Mapping[str, Value]] | None = None
    # The value as JSON for digests (order-free). Keep it stable: digests are saved.
    data: Callable[[Any], Any] = _same
    # Added after digests were first saved: left out of the digests while at its default, so the
    # digests of clusters that do not use it (apply records, saved plans) stay valid.
    added: bool = False

    def shown(self, value: Any) -> Any:
        """The public form (apply records): an entries field as its sorted entries."""
        return sorted(self.entries(value).values(), key=str) if self.entries else value


FIELDS: tuple[ManagedField, ...] = (
    ManagedField("region", replace_only=True),
    ManagedField("role_arn", public=False, from_terraform=True),
    ManagedField("external_id", secret=True, public=False, from_terraform=True),
    ManagedField(
        "instance_types",
        compare=Compare.ENTRIES,
        raw=True,
        from_yaml=_instance_types_from_yaml,
        to_yaml=_instance_types_to_yaml,
        entries=_instance_type_entries,
        data=_instance_type_data,
    ),
    ManagedField("cost_savings"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
BY_NAME = {f.name: f for f in FIELDS}
# Fields the backend cannot change in place: changing one means delete and create again.
REPLACE_FIELDS = frozenset(f.name for f in FIELDS if f.replace_only)
# Fields whose values are secret wherever they come from.
SECRET_FIELDS = frozenset(f.name for f in FIELDS if f.secret)
# Fields live snapshots and apply records leave out (the role, and its secret).
PRIVATE_FIELDS = frozenset(f.name for f in FIELDS if not f.public)
# Fields a Terraform module may supply (infrastructure.terraform) when the YAML leaves them out.
TERRAFORM_FIELDS = tuple(f.name for f in FIELDS if f.from_terraform)


def field_of(plan_field: str) -> ManagedField | None:
    """The row of a plan's field name: `region`, or `instance_types[t3.large]` for an entry."""
    return BY_NAME.get(plan_field.split("[", 1)[0])


def entry_field(field: ManagedField, key: str) -> str:
    """The plan's field name for one entry of an entries field: `instance_types[t3.large]`."""
    return f"{field.name}[{key}]"


def entry_key(plan_field: str) -> str:
    """`instance_types[t3.large]` -> `t3.large`."""
    return plan_field.split("[", 1)[1][:-1]


def default_of(name: str) -> Any:
    """The ClusterSpec default of a field (MISSING for one the YAML must write)."""
    spec_field = next(f for f in dataclasses.fields(ClusterSpec) if f.name == name)
    if spec_field.default_factory is not dataclasses.MISSING:
        return spec_field.default_factory()
    return spec_field.default


class Source(NamedTuple):
    """Where something was declared: a file relative to the project root, 1-based line and column."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        """`path:line`, the path on one line (a file name may hold a newline)."""
        return f"{clean(self.path)}:{self.line}"


def spec_data(spec: ClusterSpec, hidden: Collection[str] = ()) -> list[Any]:
    """Every managed field as JSON, in table order: what digests and fingerprints hash. A field
    in `hidden` (a secret) counts only as being there: a published digest of its value would let
    anyone test guesses of it (see Plan._digest)."""
    out = []
    for field in FIELDS:
        value = getattr(spec, field.name)
        if field.added and value == default_of(field.name):
            continue
        out.append("(sensitive)" if field.name in hidden else field.data(value))
    return out


def spec_digest(spec: ClusterSpec) -> str:
    return hashlib.sha256(json.dumps(spec_data(spec)).encode()).hexdigest()


def public_fields(spec: ClusterSpec) -> dict[str, Any]:
    return {f.name: f.shown(getattr(spec, f.name)) for f in FIELDS if f.public}


class AppliedEntry(NamedTuple):
    """What gridsync last applied to one cluster (the apply record; drift reads it)."""

    digest: str  # "" for a cluster gridsync deletes without ever having applied it
    public: Mapping[str, Any]
    applied_at: str
    protect: bool = False  # applied with protect: true; deleting it needs that lifted first
    deleting: bool = False  # gridsync asked for its deletion; gone (or going) is not drift
