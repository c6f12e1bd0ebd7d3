"""Grid wire JSON <-> frozen models: tolerant reading, exact writing, overlay onto the live spec."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gridsync.errors import GridsyncError, InvalidArgument
from gridsync.live import wire
from gridsync.live.backend import Blueprint
from gridsync.spec import ClusterSpec, InstanceType, Phase

# The Cluster object from Grid's reference, verbatim.
REFERENCE_CLUSTER: dict[str, Any] = {
    "id": "prod-use1",
    "name": "prod-use1",
    "createdAt": "2022-03-01T10:00:00Z",
    "spec": {
        "clusterType": "CLUSTER_TYPE_BYOC",
        "desiredState": "CLUSTER_STATE_RUNNING",
        "performanceProfile": "CLUSTER_PERFORMANCE_PROFILE_DEFAULT",
        "userId": "user-123",
        "driver": {
            "kubernetes": {
                "aws": {
                    "region": "us-east-1",
                    "roleArn": "arn:aws:iam::123456789012:role/grid",
                    "externalId": "ext-1",
                    "instanceTypes": [
                        {"name": "t2.medium"},
                        {
                            "name": "p3.2xlarge",
                            "overprovisionedOndemandCount": 1,
                            "rootVolumeSize": 200,
                        },
                    ],
                }
            }
        },
    },
    "status": {"phase": "CLUSTER_STATE_RUNNING", "reason": "", "lastHealthcheckTimestamp": "x"},
}

SPEC = ClusterSpec(
    region="eu-west-1",
    role_arn="arn:aws:iam::123456789012:role/grid",
    external_id="ext-9",
    instance_types=(InstanceType("t3.medium"), InstanceType("g4dn.xlarge", 2, 150)),
    cost_savings=True,
)


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *[x for v in value.values() for x in _walk(v)]]
    if isinstance(value, list):
        return [value, *[x for v in value for x in _walk(v)]]
    return [value]


def test_reference_cluster_reads_into_the_model() -> None:
    live = wire.cluster_from_wire(REFERENCE_CLUSTER)
    assert (live.id, live.name, live.created_at) == (
        "prod-use1",
        "prod-use1",
        "2022-03-01T10:00:00Z",
    )
    assert live.cluster_type == "CLUSTER_TYPE_BYOC"
    assert live.phase == Phase.RUNNING
    assert live.desired_state == Phase.RUNNING
    assert live.reason == ""
    assert live.spec == ClusterSpec(
        region="us-east-1",
        role_arn="arn:aws:iam::123456789012:role/grid",
        external_id="ext-1",
        instance_types=(InstanceType("t2.medium"), InstanceType("p3.2xlarge", 1, 200)),
        cost_savings=False,
    )


def test_int64_fields_sent_as_strings_are_accepted() -> None:
    obj = copy.deepcopy(REFERENCE_CLUSTER)
    aws = obj["spec"]["driver"]["kubernetes"]["aws"]
    aws["instanceTypes"] = [
        {"name": "p3.2xlarge", "overprovisionedOndemandCount": "3", "rootVolumeSize": "250"}
    ]
    live = wire.cluster_from_wire(obj)
    assert live.spec is not None
    assert live.spec.instance_types == (InstanceType("p3.2xlarge", 3, 250),)


def test_cost_saving_profile_sets_cost_savings() -> None:
    obj = copy.deepcopy(REFERENCE_CLUSTER)
    obj["spec"]["performanceProfile"] = "CLUSTER_PERFORMANCE_PROFILE_COST_SAVING"
    live = wire.cluster_from_wire(obj)
    assert live.spec is not None and live.spec.cost_savings is True


def test_global_cluster_without_aws_driver_has_no_spec() -> None:
    obj = {
        "id": "prod-2",
        "name": "grid-cloud",
        "spec": {"clusterType": "CLUSTER_TYPE_GLOBAL", "desiredState": "CLUSTER_STATE_RUNNING"},
        "status": {"phase": "CLUSTER_STATE_RUNNING"},
    }
    live = wire.cluster_from_wire(obj)
    assert live.spec is None
    assert live.is_global
    assert live.name == "grid-cloud"


def test_unknown_phase_and_type_survive_and_missing_fields_default() -> None:
    obj = {
        "id": "c1",
        "spec": {"clusterType": "CLUSTER_TYPE_SHINY"},
        "status": {"phase": "CLUSTER_STATE_HIBERNATING"},
    }
    live = wire.cluster_from_wire(obj)
    assert live.phase == "CLUSTER_STATE_HIBERNATING"
    assert live.status == "hibernating"
    assert live.cluster_type == "CLUSTER_TYPE_SHINY"
    assert live.name == "c1"
    assert live.desired_state == Phase.UNSPECIFIED
    assert (live.reason, live.created_at, live.spec) == ("", "", None)


def test_empty_object_reads_with_defaults() -> None:
    live = wire.cluster_from_wire({})
    assert (live.id, live.phase, live.cluster_type) == (
        "",
        Phase.UNSPECIFIED,
        "CLUSTER_TYPE_UNSPECIFIED",
    )


def test_spec_to_wire_without_base_is_exact() -> None:
    assert wire.spec_to_wire(SPEC) == {
        "clusterType": "CLUSTER_TYPE_BYOC",
        "performanceProfile": "CLUSTER_PERFORMANCE_PROFILE_COST_SAVING",
        "driver": {
            "kubernetes": {
                "aws": {
                    "region": "eu-west-1",
                    "roleArn": "arn:aws:iam::123456789012:role/grid",
                    "externalId": "ext-9",
                    "instanceTypes": [
                        {"name": "t3.medium"},
                        {
                            "name": "g4dn.xlarge",
                            "overprovisionedOndemandCount": 2,
                            "rootVolumeSize": 150,
                        },
                    ],
                }
            }
        },
    }


def test_spec_to_wire_never_writes_null() -> None:
    spec = ClusterSpec("us-east-1", "arn:r", "", (InstanceType("t3.medium"),))
    out = wire.spec_to_wire(spec, base=REFERENCE_CLUSTER["spec"])
    assert None not in _walk(out)
    assert "externalId" not in out["driver"]["kubernetes"]["aws"]


def test_spec_to_wire_overlays_only_managed_fields() -> None:
    base = copy.deepcopy(REFERENCE_CLUSTER["spec"])
    base.update(
        {"gridletVersion": "1.2.3", "costFactor": 1.5, "clusterType": "CLUSTER_TYPE_LEGACY"}
    )
    aws = base["driver"]["kubernetes"]["aws"]
    aws.update({"bucketName": "grid-bucket", "guarddutyIntegration": True})
    aws["instanceTypes"][1]["futureField"] = {"keep": [1, 2]}
    before = copy.deepcopy(base)
    new = ClusterSpec(
        "us-east-1", "arn:new", "ext-2", (InstanceType("p3.2xlarge"), InstanceType("t3.large"))
    )

    out = wire.spec_to_wire(new, base=base)

    assert base == before, "the base must not be mutated"
    for key in ("userId", "desiredState", "gridletVersion", "costFactor"):
        assert out[key] == base[key]
    assert out["clusterType"] == "CLUSTER_TYPE_LEGACY", "clusterType is only set when base has none"
    out_aws = out["driver"]["kubernetes"]["aws"]
    assert out_aws["bucketName"] == "grid-bucket"
    assert out_aws["guarddutyIntegration"] is True
    assert (out_aws["roleArn"], out_aws["externalId"]) == ("arn:new", "ext-2")
    # The p3 entry loses its managed extras (now unset) but keeps the field gridsync does not know.
    assert out_aws["instanceTypes"] == [
        {"name": "p3.2xlarge", "futureField": {"keep": [1, 2]}},
        {"name": "t3.large"},
    ]
    assert out["performanceProfile"] == "CLUSTER_PERFORMANCE_PROFILE_DEFAULT"


def test_round_trip_through_the_wire() -> None:
    assert wire.spec_from_wire(wire.spec_to_wire(SPEC)) == SPEC
    body = {
        "id": "a",
        "name": "a",
        "spec": wire.spec_to_wire(SPEC),
        "status": {"phase": "CLUSTER_STATE_NEW"},
    }
    live = wire.cluster_from_wire(body)
    assert live.spec == SPEC
    assert live.phase == "CLUSTER_STATE_NEW"


def test_round_trip_with_a_live_base_keeps_the_spec() -> None:
    out = wire.spec_to_wire(SPEC, base=REFERENCE_CLUSTER["spec"])
    assert wire.spec_from_wire(out) == SPEC


def test_create_request_shape() -> None:
    assert wire.create_request("prod-euw1", SPEC) == {
        "name": "prod-euw1",
        "spec": wire.spec_to_wire(SPEC),
    }


@pytest.mark.parametrize("name", ["a", "prod-use1", "0-9", "a" * 63])
def test_valid_names_pass(name: str) -> None:
    wire.validate_request(name, wire.spec_to_wire(SPEC))


@pytest.mark.parametrize(
    "name", ["", "Prod", "prod_use1", "-prod", "prod-", "a.b", "prod\n", "a" * 64]
)
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid cluster name"):
        wire.validate_request(name, wire.spec_to_wire(SPEC))


@pytest.mark.parametrize(
    "arm", ["t4g.medium", "m6g.large", "a1.xlarge", "c6gn.large", "g5g.xlarge", "r6gd.large"]
)
def test_arm_instance_types_are_refused(arm: str) -> None:
    spec = ClusterSpec("us-east-1", "arn:r", "e", (InstanceType("t3.medium"), InstanceType(arm)))
    with pytest.raises(InvalidArgument, match=rf"ARM instance types: {arm.replace('.', '[.]')}"):
        wire.validate_request("ok", wire.spec_to_wire(spec))


def test_a_blueprint_keeps_what_the_module_wrote_besides_the_managed_fields() -> None:
    document = {
        "name": "ml-tf",
        "spec": {
            "driver": {
                "kubernetes": {
                    "aws": {
                        "region": "us-east-1",
                        "role_arn": "arn:aws:iam::123456789012:role/tf",
                        "external_id": "ext-tf",
                        "instance_types": [{"name": "t3.large"}],
                        "vpc_id": "vpc-1",
                    }
                }
            }
        },
    }
    blueprint = wire.blueprint(document)
    assert blueprint.spec.role_arn == "arn:aws:iam::123456789012:role/tf"
    spec = ClusterSpec("us-east-1", "arn:aws:iam::123456789012:role/tf", "ext-tf", ())
    sent = wire.create_request("ml-tf", spec, wire.blueprint_base(blueprint))
    assert sent["spec"]["driver"]["kubernetes"]["aws"]["vpcId"] == "vpc-1"


def test_a_blueprint_another_backend_read_is_refused() -> None:
    with pytest.raises(GridsyncError, match="did not read"):
        wire.blueprint_base(Blueprint(ClusterSpec("us-east-1"), own=["not", "grid"]))
