"""Grid's wire JSON (camelCase dicts) to and from gridsync's frozen models.

Shared by every edge that speaks Grid's REST format: the local control plane, its HTTP server and
the httpx API client. Reading is tolerant (unknown phases and types survive as strings, missing
fields take defaults); writing is exact (unset values are omitted, never null) and overlays only the
fields gridsync manages onto the live spec, so server-owned fields survive an update untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from gridsync.errors import GridsyncError, InvalidArgument
from gridsync.live.backend import Blueprint, LiveCluster
from gridsync.live.gridv1 import cluster_request_from_output
from gridsync.spec import (
    ClusterSpec,
    ClusterType,
    InstanceType,
    PerformanceProfile,
    Phase,
    Value,
    is_arm_instance_type,
    is_valid_name,
)

# Keys of a wire instance type that gridsync manages; any other key of an entry is kept on update.
_INSTANCE_TYPE_KEYS = ("name", "overprovisionedOndemandCount", "rootVolumeSize")
_AWS_PATH = ("driver", "kubernetes", "aws")
_AWS_EDITOR = "driver.kubernetes.aws"


def _profile(cost_savings: Value) -> str:
    profile = PerformanceProfile.COST_SAVING if cost_savings else PerformanceProfile.DEFAULT
    return profile.value


class GridField(NamedTuple):
    """How Grid spells one managed field (a row of gridsync.spec.FIELDS): where it sits in the
    wire spec, in the document `grid edit cluster` opens (snake_case keys only: a camelCase key
    fails there), and the `grid clusters aws` flag that sets it at create."""

    name: str
    wire: tuple[str, ...]  # path in the wire spec
    editor: str  # path in the `grid edit cluster` document
    flag: str | None = None  # a value flag; a boolean field's flag is given only when true
    editor_value: Callable[[Value], str] | None = None  # the editor's text, when not the value


# The wire mapping, in the order `grid clusters aws` takes the flags. spec_from_wire and
# spec_to_wire below read and write each field.
GRID_FIELDS: tuple[GridField, ...] = (
    GridField("role_arn", (*_AWS_PATH, "roleArn"), f"{_AWS_EDITOR}.role_arn", "--role-arn"),
    GridField(
        "external_id", (*_AWS_PATH, "externalId"), f"{_AWS_EDITOR}.external_id", "--external-id"
    ),
    GridField("region", (*_AWS_PATH, "region"), f"{_AWS_EDITOR}.region", "--region"),
    GridField(
        "instance_types",
        (*_AWS_PATH, "instanceTypes"),
        f"{_AWS_EDITOR}.instance_types",
        "--instance-types",
    ),
    GridField(
        "cost_savings",
        ("performanceProfile",),
        "performance_profile",
        "--cost-savings",
        editor_value=_profile,
    ),
)
GRID_BY_NAME = {f.name: f for f in GRID_FIELDS}


def has_wire_value(spec_wire: Mapping[str, Any], name: str) -> bool:
    """Whether the wire spec holds the field at all (a snapshot leaves the role out)."""
    value: Any = spec_wire
    for key in GRID_BY_NAME[name].wire:
        if not isinstance(value, Mapping) or key not in value:
            return False
        value = value[key]
    return True


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int_or_none(value: Any) -> int | None:
    """Grid's int64 fields arrive as JSON numbers or, grpc-gateway style, as decimal strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def aws_driver(spec_wire: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """`spec.driver.kubernetes.aws`, or None when the spec has no AWS driver."""
    aws = _mapping(_mapping(spec_wire.get("driver")).get("kubernetes")).get("aws")
    return aws if isinstance(aws, Mapping) else None


def instance_type_from_wire(obj: Mapping[str, Any]) -> InstanceType:
    return InstanceType(
        name=_text(obj.get("name")),
        overprovisioned_ondemand_count=_int_or_none(obj.get("overprovisionedOndemandCount")),
        root_volume_size=_int_or_none(obj.get("rootVolumeSize")),
    )


def spec_from_wire(spec_wire: Mapping[str, Any]) -> ClusterSpec | None:
    """The managed fields of a wire spec; None when there is no `driver.kubernetes.aws`."""
    aws = aws_driver(spec_wire)
    if aws is None:
        return None
    entries = aws.get("instanceTypes")
    items = entries if isinstance(entries, list) else []
    return ClusterSpec(
        region=_text(aws.get("region")),
        role_arn=_text(aws.get("roleArn")),
        external_id=_text(aws.get("externalId")),
        instance_types=tuple(instance_type_from_wire(i) for i in items if isinstance(i, Mapping)),
        cost_savings=spec_wire.get("performanceProfile") == PerformanceProfile.COST_SAVING,
    )


def cluster_from_wire(obj: Mapping[str, Any]) -> LiveCluster:
    """A wire Cluster as a LiveCluster; unknown phases and types are kept as strings."""
    spec = _mapping(obj.get("spec"))
    status = _mapping(obj.get("status"))
    cluster_id = _text(obj.get("id"))
    return LiveCluster(
        id=cluster_id,
        name=_text(obj.get("name")) or cluster_id,
        cluster_type=_text(spec.get("clusterType")) or ClusterType.UNSPECIFIED.value,
        desired_state=_text(spec.get("desiredState")) or Phase.UNSPECIFIED.value,
        phase=_text(status.get("phase")) or Phase.UNSPECIFIED.value,
        reason=_text(status.get("reason")),
        created_at=_text(obj.get("createdAt")),
        spec=spec_from_wire(spec),
    )


def instance_type_to_wire(
    item: InstanceType, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One wire instance type; keys of `base` gridsync does not manage are kept."""
    out = {k: copy.deepcopy(v) for k, v in (base or {}).items() if k not in _INSTANCE_TYPE_KEYS}
    out["name"] = item.name
    if item.overprovisioned_ondemand_count is not None:
        out["overprovisionedOndemandCount"] = item.overprovisioned_ondemand_count
    if item.root_volume_size is not None:
        out["rootVolumeSize"] = item.root_volume_size
    return out


def _instance_types_to_wire(items: Iterable[InstanceType], base: Any) -> list[dict[str, Any]]:
    entries = base if isinstance(base, list) else []
    by_name = {e.get("name"): e for e in entries if isinstance(e, Mapping)}
    return [instance_type_to_wire(item, by_name.get(item.name)) for item in items]


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """parent[key] as a dict, created (or replaced when it is not an object) as needed."""
    value = parent.get(key)
    if not isinstance(value, dict):
        value = parent[key] = {}
    return value


def _set_or_omit(target: dict[str, Any], key: str, value: str) -> None:
    if value:
        target[key] = value
    else:
        target.pop(key, None)


def spec_to_wire(spec: ClusterSpec, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A full wire spec: a deep copy of `base` (the live spec) with only the managed fields overlaid."""
    out: dict[str, Any] = copy.deepcopy(dict(base)) if base else {}
    out.setdefault("clusterType", ClusterType.BYOC.value)
    out["performanceProfile"] = _profile(spec.cost_savings)
    aws = _child(_child(_child(out, "driver"), "kubernetes"), "aws")
    _set_or_omit(aws, "region", spec.region)
    _set_or_omit(aws, "roleArn", spec.role_arn)
    _set_or_omit(aws, "externalId", spec.external_id)
    aws["instanceTypes"] = _instance_types_to_wire(spec.instance_types, aws.get("instanceTypes"))
    return out


def create_request(
    name: str, spec: ClusterSpec, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The body of `POST /v1/core/clusters`, as `grid clusters aws` sends it. `base` is a wire spec
    the managed fields are overlaid on (a Terraform module's `gridv1_cluster` document)."""
    return {"name": name, "spec": spec_to_wire(spec, base=base)}


def blueprint(document: object) -> Blueprint:
    """A `gridv1_cluster` document (a Terraform output: Grid's create request, snake_case or
    camelCase) as a Blueprint: its managed fields, and its wire spec, which a create overlays the
    cluster file's fields on (so the fields gridsync does not manage are sent as the module wrote
    them)."""
    base: dict[str, Any] = cluster_request_from_output(document)["spec"]
    spec = spec_from_wire(base)
    if spec is None:
        raise GridsyncError("the Terraform cluster document has no AWS driver")
    return Blueprint(spec, own=base)


def blueprint_base(blueprint: Blueprint | None) -> Mapping[str, Any] | None:
    """The wire spec a Grid blueprint carries (None: none given)."""
    if blueprint is None:
        return None
    if not isinstance(blueprint.own, Mapping):
        raise GridsyncError("bug: a cluster blueprint that a Grid backend did not read")
    return blueprint.own


def _wire_instance_type_names(spec_wire: Mapping[str, Any]) -> list[str]:
    entries = _mapping(aws_driver(spec_wire)).get("instanceTypes")
    items = entries if isinstance(entries, list) else []
    return [_text(e.get("name")) for e in items if isinstance(e, Mapping)]


def validate_request(name: str, spec_wire: Mapping[str, Any]) -> None:
    """Raise InvalidArgument for what Grid refuses with 400: a bad name, an ARM instance type."""
    if not is_valid_name(name):
        raise InvalidArgument(
            f"invalid cluster name {name!r}: use 1-63 lowercase letters, digits and '-', "
            "not starting or ending with '-' (Grid's docs also allow '.', the grid CLI does not)",
            hint="rename the cluster, e.g. 'prod-use1'",
        )
    arm = [n for n in _wire_instance_type_names(spec_wire) if is_arm_instance_type(n)]
    if arm:
        raise InvalidArgument(
            f"cluster {name!r}: Grid does not support ARM instance types: {', '.join(arm)}",
            hint="use x86 instance types (not a1, t4g, m6g, c6g, g5g or r6g families)",
        )
