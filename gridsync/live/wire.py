"""Grid's wire JSON (camelCase dicts) to and from gridsync's frozen models.

Shared by every edge that speaks Grid's REST format: the local control plane, its HTTP server and
the httpx API client. Reading is tolerant (unknown phases and types survive as strings, missing
fields take defaults); writing is exact (unset values are omitted, never null) and overlays only the
fields gridsync manages onto the live spec, so server-owned fields survive an update untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from gridsync.errors import InvalidArgument
from gridsync.live.backend import LiveCluster
from gridsync.model import (
    ClusterSpec,
    ClusterType,
    InstanceType,
    PerformanceProfile,
    Phase,
    is_arm_instance_type,
    is_valid_name,
)

# Keys of a wire instance type that gridsync manages; any other key of an entry is kept on update.
_INSTANCE_TYPE_KEYS = ("name", "overprovisionedOndemandCount", "rootVolumeSize")


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
    profile = PerformanceProfile.COST_SAVING if spec.cost_savings else PerformanceProfile.DEFAULT
    out["performanceProfile"] = profile.value
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
