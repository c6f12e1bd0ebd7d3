"""A second control plane whose model is not Grid's, to show the Backend protocol is gridsync's.

OtherCloud keeps "deployments": a `site` (not a region), an `access` block for the role, node
`pools` keyed by machine with `spare` and `disk_gb`, a `tier` of "economy" or "standard", and a
lifecycle of "building" -> "live" (deleting: "retiring" -> gone). It lives in memory and knows
nothing of Grid's camelCase spec; it translates to and from gridsync's types at its edge, like any
real backend would. Wired in through gridsync.backends.OPENERS only.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from gridsync.errors import ClusterExists, ClusterNotFound, UsageError
from gridsync.live.backend import Blueprint, LiveCluster, LiveState
from gridsync.spec import ClusterSpec, ClusterType, InstanceType, Phase

_PHASES = {
    "building": (Phase.RUNNING, Phase.PENDING),
    "live": (Phase.RUNNING, Phase.RUNNING),
    "retiring": (Phase.DELETED, Phase.RUNNING),
}


def deployment_from_spec(name: str, spec: ClusterSpec) -> dict[str, Any]:
    """OtherCloud's own shape for a cluster gridsync manages."""
    return {
        "label": name,
        "site": spec.region,
        "access": {"role": spec.role_arn, "token": spec.external_id},
        "pools": [
            {
                "machine": t.name,
                "spare": t.overprovisioned_ondemand_count,
                "disk_gb": t.root_volume_size,
            }
            for t in spec.instance_types
        ],
        "tier": "economy" if spec.cost_savings else "standard",
        "owner": "othercloud-operator",  # the server's own field: updates never touch it
    }


def spec_from_deployment(record: dict[str, Any]) -> ClusterSpec:
    return ClusterSpec(
        region=record["site"],
        role_arn=record["access"]["role"],
        external_id=record["access"]["token"],
        instance_types=tuple(
            InstanceType(p["machine"], p["spare"], p["disk_gb"]) for p in record["pools"]
        ),
        cost_savings=record["tier"] == "economy",
    )


@dataclass
class OtherCloud:
    """An in-memory OtherCloud; implements gridsync.live.backend.Backend. A deployment is
    "building" when created and "live" at the next read, as a real one would be minutes later."""

    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    current: str | None = None  # OtherCloud's own "current deployment", gridsync's context
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def description(self) -> str:
        return "OtherCloud (in memory)"

    def list_clusters(self) -> LiveState:
        clusters = [self._live(key, record) for key, record in self._advance()]
        return LiveState(tuple(sorted(clusters, key=lambda c: c.name)), context=self.current)

    def get(self, cluster_id: str) -> LiveCluster:
        return self._live(cluster_id, self._record(cluster_id))

    def blueprint(self, document: object) -> Blueprint:
        raise UsageError("OtherCloud deployments have no Terraform cluster document")

    def create(
        self, name: str, spec: ClusterSpec, blueprint: Blueprint | None = None
    ) -> LiveCluster:
        if any(r["label"] == name for r in self.deployments.values()):
            raise ClusterExists(f"deployment {name!r} exists")
        key = f"dep-{next(self._ids)}"
        self.deployments[key] = {**deployment_from_spec(name, spec), "state": "building"}
        return self.get(key)

    def update(self, cluster_id: str, spec: ClusterSpec) -> LiveCluster:
        record = self._record(cluster_id)
        managed = deployment_from_spec(record["label"], spec)
        del managed["owner"]
        record.update(copy.deepcopy(managed))
        return self.get(cluster_id)

    def delete(self, cluster_id: str, *, force: bool = False) -> None:
        self._record(cluster_id)["state"] = "retiring"

    def set_context(self, cluster_id: str) -> None:
        self._record(cluster_id)
        self.current = cluster_id

    def close(self) -> None:
        """Nothing to close; the deployments stay for the next command."""

    def _advance(self) -> list[tuple[str, dict[str, Any]]]:
        """Time passes between reads: building -> live, retiring -> gone."""
        for key, record in list(self.deployments.items()):
            if record["state"] == "retiring":
                del self.deployments[key]
            elif record["state"] == "building":
                record["state"] = "live"
        return list(self.deployments.items())

    def _record(self, cluster_id: str) -> dict[str, Any]:
        if cluster_id not in self.deployments:
            raise ClusterNotFound(f"no deployment {cluster_id!r}")
        return self.deployments[cluster_id]

    def _live(self, key: str, record: dict[str, Any]) -> LiveCluster:
        desired, phase = _PHASES[record["state"]]
        return LiveCluster(
            id=key,
            name=record["label"],
            cluster_type=ClusterType.BYOC.value,
            desired_state=desired.value,
            phase=phase.value,
            spec=spec_from_deployment(record),
        )
