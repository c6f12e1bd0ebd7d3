"""config/document.py: a live spec written as a document loads back into the same spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridsync.config.document import cluster_document, secret_variable
from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.errors import ConfigError
from gridsync.spec import DEFAULT_INSTANCE_TYPES, FIELD_NAMES, ClusterSpec, InstanceType

ROLE = "arn:aws:iam::123456789012:role/grid"
SPECS = {
    "every option": ClusterSpec(
        "us-west-2",
        ROLE,
        "ext-secret-1",
        (
            InstanceType("p3.2xlarge", 1, 200),
            InstanceType("p3.8xlarge", None, 500),
            InstanceType("t3.large", 0, None),
            InstanceType("g4dn.xlarge"),
        ),
        cost_savings=True,
    ),
    "the CLI's default instance types": ClusterSpec(
        "us-east-1", ROLE, "ext-2", tuple(InstanceType(n) for n in DEFAULT_INSTANCE_TYPES)
    ),
}


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_a_document_loads_back_into_the_spec_it_was_made_from(
    tmp_path: Path, spec: ClusterSpec
) -> None:
    document = cluster_document("ml-a", spec, protect=True, context=True, runs=["runs/a.yaml"])
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters/a.yaml").write_text(document.text("a comment"))
    env = {variable: getattr(spec, field) for variable, field in document.variables}
    (cluster,) = load_desired(load_project(tmp_path), env).clusters
    assert cluster.spec == spec
    assert (cluster.name, cluster.protect, cluster.context, cluster.runs) == (
        "ml-a",
        True,
        True,
        ("runs/a.yaml",),
    )


def test_secrets_are_references_and_never_in_the_text() -> None:
    document = cluster_document("ml-prod-usw2", SPECS["every option"])
    assert document.variables == (("GRIDSYNC_ML_PROD_USW2_EXTERNAL_ID", "external_id"),)
    assert document.fields["external_id"] == "${env:GRIDSYNC_ML_PROD_USW2_EXTERNAL_ID}"
    assert "ext-secret-1" not in document.text()
    assert secret_variable("a-1-b", "external_id") == "GRIDSYNC_A_1_B_EXTERNAL_ID"


def test_a_value_holding_a_reference_is_written_as_a_literal(tmp_path: Path) -> None:
    spec = ClusterSpec("us-east-1", "arn:${env:HOME}", "e", (InstanceType("t3.large"),))
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters/a.yaml").write_text(cluster_document("ml-a", spec).text())
    with pytest.raises(ConfigError) as raised:  # not a role ARN, but read as written
        load_desired(load_project(tmp_path), {"HOME": "/root"})
    messages = [d.message for d in raised.value.diagnostics]
    assert any("role_arn 'arn:${env:HOME}' is not an IAM role ARN" in m for m in messages), messages
    assert not any("/root" in m for m in messages)


def test_every_field_of_the_table_is_written() -> None:
    """A field added to model.FIELDS is imported with no change here (its `to_yaml`)."""
    written = cluster_document("ml-a", SPECS["every option"]).fields
    assert set(FIELD_NAMES) <= set(written)
