"""Small builders for desired and live clusters, shared by unit tests."""

from __future__ import annotations

from typing import Any

from gridsync.config.desired import DesiredCluster, DesiredState
from gridsync.live.backend import LiveCluster, LiveState
from gridsync.spec import ClusterSpec, ClusterType, InstanceType, Phase, Source

SECRET = "ext-id-s3cr3t-7f1c"


def spec(**overrides: Any) -> ClusterSpec:
    values: dict[str, Any] = {
        "region": "us-east-1",
        "role_arn": "arn:aws:iam::123456789012:role/grid",
        "external_id": SECRET,
        "instance_types": (InstanceType("t3.large"), InstanceType("p3.2xlarge", 1, 200)),
        "cost_savings": False,
    }
    values.update(overrides)
    return ClusterSpec(**values)


def desired(name: str, **overrides: Any) -> DesiredCluster:
    flags = {
        k: overrides.pop(k)
        for k in ("protect", "context", "unresolved", "sensitive")
        if k in overrides
    }
    return DesiredCluster(
        name=name, spec=spec(**overrides), source=Source(f"clusters/{name}.yaml", 1, 1), **flags
    )


def live(
    name: str,
    phase: str = Phase.RUNNING,
    *,
    desired_state: str = Phase.RUNNING,
    cluster_type: str = ClusterType.BYOC,
    cluster_id: str | None = None,
    reason: str = "",
    **overrides: Any,
) -> LiveCluster:
    return LiveCluster(
        id=cluster_id or name,
        name=name,
        cluster_type=cluster_type,
        desired_state=desired_state,
        phase=phase,
        reason=reason,
        spec=spec(**overrides),
    )


GLOBAL = LiveCluster("prod-2", "grid-cloud", ClusterType.GLOBAL, Phase.RUNNING, Phase.RUNNING)


def state(*clusters: DesiredCluster) -> DesiredState:
    """Desired state as read from one file per cluster."""
    ordered = tuple(sorted(clusters, key=lambda c: c.name))
    return DesiredState(ordered, files=tuple(sorted({c.source.path for c in ordered})))


def live_state(*clusters: LiveCluster, context: str | None = None) -> LiveState:
    return LiveState(
        tuple(sorted(clusters, key=lambda c: c.name)), context=context, default_cluster="prod-2"
    )
