"""What apply creates is what the plan showed, for every shape of cluster document: each shape is
planned (JSON), applied for real through the command functions, compared field by field with the
live cluster, and planned again to no change. BYOC shapes run real Terraform on a module with no
providers. (Moved in-process from tests/e2e: it checks command logic, not the process.)"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from builders import Project

from gridsync.commands.apply import ApplyOptions, apply
from gridsync.commands.plan import PlanOptions, plan
from gridsync.errors import ExitCode
from gridsync.spec import DEFAULT_INSTANCE_TYPES

MODULE = Path(__file__).parents[1] / "data" / "terraform" / "byoc"
TERRAFORM = Path(sys.executable).parent / "terraform"
HEAD = "apiVersion: gridsync/v1\nkind: Cluster\nname: ml-shape\nprovider: aws\nregion: us-east-1\n"
ROLE = "role_arn: arn:aws:iam::123456789012:role/grid\nexternal_id: ext-shape-1\n"
TF = "infrastructure:\n  terraform:\n    module: infra/byoc\n"
TF_VARS = "    vars: {cluster_name: ml-shape, external_id: ext-tf-1%s}\n"
TYPES = "instance_types: [t3.large, {name: p3.2xlarge, overprovisioned_ondemand_count: 1, root_volume_size: 200}]\n"

SHAPES = {
    "plain, every default": HEAD + ROLE,
    "plain, instance types with options": HEAD + ROLE + TYPES,
    "plain, cost savings": HEAD + ROLE + "cost_savings: true\n",
    "plain, secret from env": HEAD
    + "role_arn: arn:aws:iam::123456789012:role/grid\nexternal_id: ${env:SHAPE_EXT:-ext-env}\n",
    "byoc document, every default": HEAD + TF + TF_VARS % "",
    "byoc document, module says cost savings, the yaml does not": HEAD
    + TF
    + TF_VARS % ", cost_savings: true",
    "byoc document, types and cost savings written": HEAD
    + TYPES
    + "cost_savings: true\n"
    + TF
    + TF_VARS % "",
    "byoc document, role written in the yaml": HEAD + ROLE + TF + TF_VARS % "",
}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.at(tmp_path / "repo", settings=True)


@pytest.mark.parametrize("doc", list(SHAPES.values()), ids=list(SHAPES))
def test_apply_creates_what_the_plan_showed(project: Project, doc: str) -> None:
    if "infrastructure" in doc:
        shutil.copytree(MODULE, project.root / "infra" / "byoc")
        project.settings(f"terraform_bin: {TERRAFORM}\n")
    project.write("clusters/ml-shape.yaml", doc)
    planned = project.call(plan, PlanOptions("json"))
    assert planned.code == ExitCode.OK, planned.message or planned.out + planned.err
    (change,) = json.loads(planned.out)["changes"]
    shown = {f["field"]: f["after"] for f in change["fields"]}

    applied = project.call(apply, ApplyOptions(auto_approve=True), confirm=None)
    assert applied.code == ExitCode.OK, applied.message or applied.out + applied.err
    spec = project.live()["ml-shape"].spec
    assert spec is not None
    types = {k.removeprefix("instance_types[").rstrip("]"): v for k, v in shown.items() if "[" in k}
    assert {t.name: t.describe() for t in spec.instance_types} == types
    assert (spec.region, spec.cost_savings) == (shown["region"], shown["cost_savings"])
    if "instance_types" not in doc:
        assert sorted(types) == sorted(DEFAULT_INSTANCE_TYPES)  # Grid's default list, as shown

    again = project.call(plan, PlanOptions(detailed_exitcode=True))
    assert again.code == ExitCode.OK, again.message or again.out + again.err
