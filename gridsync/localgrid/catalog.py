"""The instance types the local control plane offers: `GET /v1/core/clusters/{id}/instance-types`.

As Grid's model has them (`V1InstanceType`): `cpu`, `gpu` and `memory` are strings, `availability`
an `AVAILABILITY_*` enum, and a type offered both ways is listed twice, once with `spot: true` and
its spot price and once with `spot: false` and its on-demand price: `grid instance-types` sorts
the prices into its Spot and On-demand columns by that flag. The figures are approximate public
us-east-1 list prices; the spot price is a fixed fraction of on-demand (an inference: spot prices
move, and Grid's were never published).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridsync.live import wire
from gridsync.spec import DEFAULT_INSTANCE_TYPES, ClusterType

SPOT_FRACTION = 0.3
AVAILABLE = "AVAILABILITY_AVAILABLE"
# (vCPUs, GPUs, memory GiB, on-demand USD per hour in us-east-1): approximate public list figures.
_CATALOG: dict[str, tuple[int, int, float, float]] = {
    "t2.medium": (2, 0, 4, 0.0464),
    "t2.large": (2, 0, 8, 0.0928),
    "t2.xlarge": (4, 0, 16, 0.1856),
    "t2.2xlarge": (8, 0, 32, 0.3712),
    "t3.medium": (2, 0, 4, 0.0416),
    "t3.large": (2, 0, 8, 0.0832),
    "t3.xlarge": (4, 0, 16, 0.1664),
    "t3.2xlarge": (8, 0, 32, 0.3328),
    "m5.large": (2, 0, 8, 0.096),
    "m5.xlarge": (4, 0, 16, 0.192),
    "m5.2xlarge": (8, 0, 32, 0.384),
    "c5.xlarge": (4, 0, 8, 0.17),
    "r5.xlarge": (4, 0, 32, 0.252),
    "g2.8xlarge": (32, 4, 60, 2.6),
    "g3s.xlarge": (4, 1, 30.5, 0.75),
    "g3.4xlarge": (16, 1, 122, 1.14),
    "g3.8xlarge": (32, 2, 244, 2.28),
    "g3.16xlarge": (64, 4, 488, 4.56),
    "g4dn.xlarge": (4, 1, 16, 0.526),
    "g4dn.2xlarge": (8, 1, 32, 0.752),
    "g4dn.4xlarge": (16, 1, 64, 1.204),
    "g4dn.8xlarge": (32, 1, 128, 2.176),
    "g4dn.12xlarge": (48, 4, 192, 3.912),
    "g4dn.16xlarge": (64, 1, 256, 4.352),
    "g4dn.metal": (96, 8, 384, 7.824),
    "p2.xlarge": (4, 1, 61, 0.9),
    "p2.8xlarge": (32, 8, 488, 7.2),
    "p2.16xlarge": (64, 16, 732, 14.4),
    "p3.2xlarge": (8, 1, 61, 3.06),
    "p3.8xlarge": (32, 4, 244, 12.24),
    "p3.16xlarge": (64, 8, 488, 24.48),
    "p3dn.24xlarge": (96, 8, 768, 31.212),
}


def instance_types(cluster: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The instance-types list of a wire cluster: each known type on demand and on spot."""
    return [entry for name in _type_names(cluster) for entry in _entries(name)]


def _type_names(cluster: Mapping[str, Any]) -> list[str]:
    """A cluster's own instance types; Grid's shared cloud offers the CLI's default list."""
    spec = cluster.get("spec") or {}
    if spec.get("clusterType") == ClusterType.GLOBAL:
        return list(DEFAULT_INSTANCE_TYPES)
    managed = wire.spec_from_wire(spec)
    return [] if managed is None else [t.name for t in managed.instance_types]


def _entries(name: str) -> list[dict[str, Any]]:
    figures = _CATALOG.get(name)
    if figures is None:  # figures unknown: listed on demand with no price; availability unset
        return [{"name": name, "cpu": "0", "gpu": "0", "memory": "0", "spot": False}]
    cpu, gpu, memory, cost = figures
    base = {"name": name, "cpu": str(cpu), "gpu": str(gpu), "memory": f"{memory:g}"}
    return [
        {**base, "hourlyCost": cost, "spot": False, "availability": AVAILABLE},
        {
            **base,
            "hourlyCost": round(cost * SPOT_FRACTION, 4),
            "spot": True,
            "availability": AVAILABLE,
        },
    ]
