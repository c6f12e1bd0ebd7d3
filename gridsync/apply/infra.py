"""Terraform and AWS around the Grid changes of an apply (the manual BYOC runbook, automated).

create:  terraform apply -> read its outputs -> create the cluster from them, the YAML's own fields
         overlaid -> wait for RUNNING
update:  terraform apply when the module has changes; Terraform-supplied fields come from its
         outputs (or stay as live has them)
delete:  delete the cluster -> wait until gone -> terraform destroy -> list resources still tagged
         for the cluster
Sensitive outputs are used, never printed, logged or saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from gridsync.config.desired import DesiredCluster
from gridsync.errors import GridsyncError
from gridsync.infra.aws import Aws
from gridsync.infra.terraform import Terraform
from gridsync.infra.tfoutput import output_value, role_from_outputs
from gridsync.live.backend import Blueprint
from gridsync.plan.changes import Change
from gridsync.spec import FIELD_NAMES, ClusterSpec


@dataclass
class Infra:
    terraform: Terraform
    aws: Aws
    # The backend's reader of a module's cluster document (Backend.blueprint).
    blueprint: Callable[[object], Blueprint]

    def apply(self, change: Change) -> None:
        desired = _desired(change)
        if desired.terraform is None:
            raise GridsyncError(f"bug: {change.name} has no Terraform module")
        self.terraform.apply(change.name, desired.terraform)

    def create_inputs(self, change: Change) -> tuple[ClusterSpec, Blueprint | None]:
        """The spec to create with, and the backend's reading of the Terraform cluster document it
        is overlaid on (if the module outputs one)."""
        desired = _desired(change)
        module = desired.terraform
        if module is None:
            return desired.spec, None
        outputs = self.terraform.outputs(change.name, module)
        if module.outputs:
            role = role_from_outputs(outputs, module.outputs)
            spec = desired.spec
            if "role_arn" in desired.from_terraform and "role_arn" in role:
                spec = replace(spec, role_arn=role["role_arn"])
            if "external_id" in desired.from_terraform and "external_id" in role:
                spec = replace(spec, external_id=role["external_id"])
            return spec, None
        blueprint = self.blueprint(output_value(outputs, module.output))
        # A create takes from Terraform only the fields the plan showed as known after apply
        # (`from_terraform`); every other one is the document's, written or defaulted, as the plan
        # showed it (instance_types unwritten is Grid's default list, never the module's empty one).
        shown = {
            f: getattr(desired.spec, f) for f in FIELD_NAMES if f not in desired.from_terraform
        }
        return replace(blueprint.spec, **shown), blueprint

    def filled_spec(self, change: Change, live: ClusterSpec | None) -> ClusterSpec:
        """For an update: Terraform-supplied fields from its outputs after an apply, else as live."""
        desired = _desired(change)
        if not desired.from_terraform:
            return desired.spec
        if change.terraform is not None and change.terraform.apply:
            spec, _ = self.create_inputs(change)
            return replace(desired.spec, **{f: getattr(spec, f) for f in desired.from_terraform})
        if live is None:
            raise GridsyncError(
                f"{change.name}: cannot update without its role from Terraform or live state"
            )
        return replace(desired.spec, **{f: getattr(live, f) for f in desired.from_terraform})

    def destroy(self, change: Change) -> None:
        settings = self.terraform.recorded_settings(change.name)
        if settings is None:
            raise GridsyncError(f"{change.name}: no recorded Terraform settings to destroy with")
        self.terraform.destroy(change.name, settings)

    def dangling(self, change: Change) -> list[str]:
        region = change.terraform.region if change.terraform else None
        if not region:
            return []
        return self.aws.dangling(cluster=change.name, region=region)


def _desired(change: Change) -> DesiredCluster:
    if change.desired is None:
        raise GridsyncError(f"bug: {change.name} has no desired state")
    return change.desired
