"""The work of one step, on a pool thread of apply/executor.py: a single request to the backend,
or a Terraform or AWS edge call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridsync.apply.outcome import Progress
from gridsync.apply.steps import Chain, Step, known
from gridsync.errors import ClusterExists, GridsyncError
from gridsync.live.backend import Backend
from gridsync.plan.changes import Change
from gridsync.spec import ClusterSpec

if TYPE_CHECKING:  # Terraform and AWS are imported only by applies that use them
    from gridsync.apply.infra import Infra


@dataclass
class Calls:
    backend: Backend
    progress: Progress
    force_delete: bool = False
    infra: Infra | None = None

    def call(self, chain: Chain, step: Step) -> str | None:
        """One step's work, on a pool thread. Returns the cluster id it knows after the step."""
        change = chain.change
        match step:
            case Step.DELETE:
                self.backend.delete(known(chain.cluster_id), force=self.force_delete)
            case Step.TF_APPLY:
                self._infra().apply(change)
            case Step.TF_DESTROY:
                self._infra().destroy(change)
            case Step.LEFTOVERS:
                chain.leftovers = tuple(self._leftovers(change))
            case Step.UPDATE:
                chain.live = self.backend.update(known(chain.cluster_id), self._update_spec(chain))
                return chain.live.id
            case Step.CREATE:
                return self._create(change)
        return chain.cluster_id

    def _infra(self) -> Infra:
        if self.infra is None:
            raise GridsyncError("this plan needs Terraform, and apply was not given it (a bug)")
        return self.infra

    def _update_spec(self, chain: Chain) -> ClusterSpec:
        desired = known(chain.change.desired)
        if not desired.from_terraform:
            return desired.spec
        live = self.backend.get(known(chain.cluster_id)).spec
        return self._infra().filled_spec(chain.change, live)

    def _leftovers(self, change: Change) -> list[str]:
        try:
            found = self._infra().dangling(change)
        except GridsyncError as exc:
            self.progress.event(
                change.name, f"could not look for leftover AWS resources: {exc.message}"
            )
            return []
        for arn in found:
            self.progress.event(change.name, f"left behind: {arn}")
        return found

    def _create(self, change: Change) -> str:
        if change.terraform is not None:
            spec, blueprint = self._infra().create_inputs(change)
        else:
            spec, blueprint = known(change.desired).spec, None
        try:
            return self.backend.create(change.name, spec, blueprint).id
        except ClusterExists:
            # An earlier run, or a request whose answer was lost, created it: adopt it, never duplicate.
            self.progress.event(change.name, "exists already: adopting it")
            return next(
                c.id for c in self.backend.list_clusters().clusters if c.name == change.name
            )
