"""Desired state as gridsync uses it: project settings and declared clusters (inert, frozen).

The records made by the thousand as a project is read (a document, a run config, a field change)
and the settings are NamedTuples rather than frozen dataclasses: a tuple takes a third of the time
to make (a frozen dataclass sets each field through object.__setattr__), and its class a seventh
to define at import. DesiredCluster and TerraformSettings stay dataclasses: their equality and
hash leave their dict fields out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from gridsync.errors import Diagnostic
from gridsync.spec import ClusterSpec, Source

DEFAULT_CLUSTER_GLOBS = ("clusters/**/*.yaml", "clusters/**/*.yml")
DEFAULT_RUN_GLOBS = ("runs/**/*.yaml", "runs/**/*.yml")
DEFAULT_STATE_PATH = ".gridsync/grid.db"


class LocalBackendSettings(NamedTuple):
    """The embedded local Grid control plane. Times are seconds of its clock."""

    state: Path = Path(DEFAULT_STATE_PATH)
    queued_seconds: float = 0.3
    provision_seconds: float = 1.5  # from PENDING to RUNNING; Grid takes 20-50 minutes
    delete_seconds: float = 1.0  # from terminating to gone; Grid takes 20-30 minutes


class BackendSettings(NamedTuple):
    type: str = "auto"  # "auto" | "local" | "api"; auto: api when Grid credentials are configured
    local: LocalBackendSettings = LocalBackendSettings()
    url: str | None = None  # must equal the environment's Grid URL (live/gridenv.py)
    url_source: str = "gridsync.yaml"  # file:line of backend.url, for messages


class WaitSettings(NamedTuple):
    timeout_seconds: float = 5400.0  # the grid CLI's own cap: 90 minutes
    poll_min_seconds: float = 0.2
    poll_max_seconds: float = 30.0


class ProjectSettings(NamedTuple):
    """gridsync.yaml at the project root; every field has a default so the file is optional."""

    root: Path
    cluster_globs: tuple[str, ...] = DEFAULT_CLUSTER_GLOBS
    run_globs: tuple[str, ...] = DEFAULT_RUN_GLOBS  # Grid run/session config files (`runs:`)
    backend: BackendSettings = BackendSettings()
    parallelism: int = 4
    prune: bool = False
    managed: tuple[str, ...] = ()  # name globs of undeclared clusters prune may delete
    protected: tuple[str, ...] = ()  # name globs never deleted or replaced, declared or not
    max_deletes: int | None = None  # a plan deleting more (deletes + replaces) is blocked
    wait: WaitSettings = WaitSettings()
    terraform_bin: str | None = None  # default: `terraform` on PATH
    terraform_timeout: float = 3600.0
    terraform_local_state: bool = (
        False  # in CI, allow modules with no backend (state on the runner)
    )
    lock: str | None = None  # "file" (default) or "s3://bucket/key"
    project: str | None = None  # the selected project (--project), when gridsync.yaml has projects
    projects: tuple[str, ...] = ()  # every project gridsync.yaml defines
    source: str | None = None  # "gridsync.yaml" when the file exists


@dataclass(frozen=True)
class TerraformSettings:
    """A cluster's `infrastructure.terraform`: the module that builds its AWS side."""

    module: str  # directory, relative to the project root ("/" separators)
    var_file: str | None = None  # relative to the project root
    vars: Mapping[str, Any] = field(default_factory=dict, compare=False)
    output: str = "gridv1_cluster"  # the sensitive output holding the whole cluster request
    # Instead of `output`: names of the outputs holding role_arn and external_id.
    outputs: Mapping[str, str] = field(default_factory=dict, compare=False)


class AwsSettings(NamedTuple):
    """A cluster's `aws:`: which account its credentials must reach."""

    account_id: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class DesiredCluster:
    """One `kind: Cluster` document after validation and `${env:}` substitution."""

    name: str
    spec: ClusterSpec
    source: Source
    protect: bool = False
    context: bool = False
    # Fields whose values must never be shown: external_id always, and any value taken from env.
    sensitive: frozenset[str] = frozenset()
    # Fields holding an `${env:NAME}` whose variable is unset (and has no default): field -> NAME.
    unresolved: Mapping[str, str] = field(default_factory=dict, compare=False)
    # Fields written with `${env:...}`: field -> the text as written (not secret: it is in git).
    templates: Mapping[str, str] = field(default_factory=dict, compare=False)
    # Where each top-level field was written, for messages and annotations.
    field_sources: Mapping[str, Source] = field(default_factory=dict, compare=False)
    # The document's `runs:` globs (relative to the root): run configs bound to this cluster.
    runs: tuple[str, ...] = ()
    terraform: TerraformSettings | None = None
    aws: AwsSettings | None = None
    # Spec fields Terraform supplies (not written in the YAML): unknown until its apply.
    from_terraform: frozenset[str] = frozenset()

    def where(self, field_name: str) -> Source:
        return self.field_sources.get(field_name, self.source)


class RunConfig(NamedTuple):
    """A Grid run or session config file (`grid run --config F`) and the cluster it names."""

    path: str  # relative to the project root, "/" separators
    kind: str  # "run", or "session" when compute.train has instance_type or disk_size
    cluster: str | None  # compute.provider.cluster as written; None when absent or null
    source: Source  # where that value is; when absent, the `compute` key or the file start
    bound_to: str | None = None  # the declared cluster whose `runs:` globs match this file
    # The file as read (UTF-8, a BOM and CRLF kept) for byte-preserving edits of the cluster value.
    text: str = ""

    @property
    def edit_due(self) -> bool:
        """Bound, and not naming its cluster: a plan sets its value (to the cluster's id, which
        is the create name in practice)."""
        return self.bound_to is not None and self.cluster != self.bound_to


class DesiredState(NamedTuple):
    clusters: tuple[DesiredCluster, ...]  # sorted by name, names unique
    files: tuple[str, ...]  # every cluster file read, relative to the project root
    diagnostics: tuple[Diagnostic, ...] = ()  # warnings and notes (errors raise ConfigError)
    runs: tuple[RunConfig, ...] = ()  # every run config file found, sorted by path

    def by_name(self) -> dict[str, DesiredCluster]:
        return {c.name: c for c in self.clusters}
