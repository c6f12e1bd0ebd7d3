"""Where live state comes from: the Backend protocol and the live cluster model.

Backends speak Grid's model. They take and return these frozen values; raw wire dicts stay inside
the backend. Errors are BackendError subclasses (ClusterNotFound, ClusterExists, InvalidArgument).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from gridsync.model import ClusterSpec, ClusterType, Phase


@dataclass(frozen=True)
class LiveCluster:
    id: str
    name: str
    cluster_type: str  # a ClusterType value, kept as a string so unknown types survive
    desired_state: str  # a Phase value
    phase: str  # a Phase value, kept as a string so unknown phases survive
    reason: str = ""
    created_at: str = ""
    spec: ClusterSpec | None = None  # None when there is no aws driver (GLOBAL) or it is unknown
    # Managed fields whose live value is not known (a snapshot never holds secrets): never compared.
    unknown: frozenset[str] = frozenset()

    @property
    def is_global(self) -> bool:
        return self.cluster_type == ClusterType.GLOBAL

    @property
    def terminating(self) -> bool:
        """Being torn down: asked to be DELETED, not yet gone (`grid clusters`: terminating)."""
        return self.desired_state == Phase.DELETED and self.phase != Phase.DELETED

    @property
    def provisioning(self) -> bool:
        return not self.terminating and self.phase in (Phase.QUEUED, Phase.PENDING)

    @property
    def status(self) -> str:
        """The status word `grid clusters` shows."""
        return (
            "terminating" if self.terminating else self.phase.removeprefix("CLUSTER_STATE_").lower()
        )


@dataclass(frozen=True)
class LiveState:
    """What `grid clusters` shows (deleted clusters hidden), plus the user's cluster context."""

    clusters: tuple[LiveCluster, ...]  # sorted by name
    context: str | None = None  # cluster id of the user's cluster context
    default_cluster: str | None = None

    def by_name(self) -> dict[str, LiveCluster]:
        return {c.name: c for c in self.clusters}

    def by_id(self) -> dict[str, LiveCluster]:
        return {c.id: c for c in self.clusters}


class Backend(Protocol):
    """A Grid control plane. Implementations: the local one (SQLite), the Grid REST API (httpx)."""

    @property
    def description(self) -> str:
        """What the plan says it compared against, e.g. `local control plane (.gridsync/grid.db)`."""
        ...

    def list_clusters(self) -> LiveState:
        """Every cluster not yet DELETED, and the context. One request per call for remote backends."""
        ...

    def get(self, cluster_id: str) -> LiveCluster: ...

    def create(
        self, name: str, spec: ClusterSpec, base: Mapping[str, Any] | None = None
    ) -> LiveCluster:
        """Create a BYOC cluster; `spec` overlaid on the wire spec `base` when given (a Terraform
        module's cluster document, with fields gridsync does not manage). ClusterExists when the
        name is taken."""
        ...

    def update(self, cluster_id: str, spec: ClusterSpec) -> LiveCluster:
        """Overlay the managed fields onto the live spec and write the full spec back."""
        ...

    def delete(self, cluster_id: str, *, force: bool = False) -> None:
        """Ask for deletion (asynchronous: the cluster goes terminating, then gone)."""
        ...

    def set_context(self, cluster_id: str) -> None:
        """Make this cluster the user's cluster context."""
        ...

    def close(self) -> None: ...
