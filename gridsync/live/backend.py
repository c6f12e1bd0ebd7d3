"""Where live state comes from: the Backend protocol and the live cluster model.

The protocol is gridsync's, not any provider's: backends take and return these frozen values and
ClusterSpec, and translate at their edge. Grid's wire format is known only to the Grid backends
(live/api.py and the local control plane, through live/wire.py); another control plane with a
different model is one more implementation, opened by gridsync/backends.py. Errors are BackendError
subclasses (ClusterNotFound, ClusterExists, InvalidArgument).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from gridsync.spec import ClusterSpec, ClusterType, Phase


class Blueprint(NamedTuple):
    """A cluster document from infrastructure (the one a Terraform module outputs), as read by the
    backend that creates the cluster: the managed fields it holds, and whatever else the backend
    keeps from it. `own` is opaque: only the backend whose `blueprint` made it reads it."""

    spec: ClusterSpec
    own: object = None


class LiveCluster(NamedTuple):
    id: str
    name: str
    cluster_type: str  # a ClusterType value (BYOC: gridsync may manage it), or the backend's own
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


class LiveState(NamedTuple):
    """What `grid clusters` shows (deleted clusters hidden), plus the user's cluster context."""

    clusters: tuple[LiveCluster, ...]  # sorted by name
    context: str | None = None  # cluster id of the user's cluster context
    default_cluster: str | None = None

    def by_name(self) -> dict[str, LiveCluster]:
        return {c.name: c for c in self.clusters}

    def by_id(self) -> dict[str, LiveCluster]:
        return {c.id: c for c in self.clusters}


class Backend(Protocol):
    """A control plane. Implementations: Grid's REST API (httpx) and the local Grid control plane
    (SQLite), a read-only snapshot; tests/backends/othercloud shows one whose model is not Grid's."""

    @property
    def description(self) -> str:
        """What the plan says it compared against, e.g. `local control plane (.gridsync/grid.db)`."""
        ...

    def list_clusters(self) -> LiveState:
        """Every cluster not yet DELETED, and the context. One request per call for remote backends."""
        ...

    def get(self, cluster_id: str) -> LiveCluster: ...

    def blueprint(self, document: object) -> Blueprint:
        """Read a cluster document a Terraform module outputs, in this backend's format (for Grid:
        `gridv1_cluster`, as `grid clusters aws --edit-before-creation` takes it). A GridsyncError
        naming what is wrong when it cannot be read."""
        ...

    def create(
        self, name: str, spec: ClusterSpec, blueprint: Blueprint | None = None
    ) -> LiveCluster:
        """Create a cluster gridsync manages from `spec`; with a `blueprint` (from this backend's
        `blueprint`), what it holds besides the managed fields is kept. ClusterExists when the name
        is taken."""
        ...

    def update(self, cluster_id: str, spec: ClusterSpec) -> LiveCluster:
        """Write the managed fields; the cluster's other settings (the server's) stay as they are."""
        ...

    def delete(self, cluster_id: str, *, force: bool = False) -> None:
        """Ask for deletion (asynchronous: the cluster goes terminating, then gone)."""
        ...

    def set_context(self, cluster_id: str) -> None:
        """Make this cluster the user's cluster context, wherever this backend keeps it (Grid's
        API backend: `~/.grid/settings.json`, as `grid user set-cluster-context`; the local one:
        its state file). `list_clusters` reads it back as LiveState.context."""
        ...

    def close(self) -> None: ...
