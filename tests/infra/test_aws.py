"""gridsync.infra.aws against moto's AWS server (STS, EC2, Auto Scaling, tagging API) and, for the
Service Quotas moto does not model, botocore's Stubber."""

from __future__ import annotations

import time
from typing import Any

import boto3
import httpx
import pytest
from botocore.stub import Stubber

from gridsync.errors import GridsyncError
from gridsync.infra.aws import CREDENTIALS_CHAIN, QUOTAS, Aws, AwsError, Finding

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
K8S_TAG = "kubernetes.io/cluster/{name}"


@pytest.fixture
def moto(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A freshly reset moto server and fake credentials for it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    httpx.post(f"{moto_server}/moto-api/reset").raise_for_status()
    return moto_server


class StubbedSession:
    """A real boto3 session whose clients go to moto, except those handed in (Stubber-driven)."""

    def __init__(self, endpoint_url: str, region: str, **stubbed: Any) -> None:
        self._session = boto3.session.Session(region_name=region)
        self._endpoint_url = endpoint_url
        self._stubbed = stubbed

    def client(self, service_name: str, **kwargs: Any) -> Any:
        key = service_name.replace("-", "_")
        if key in self._stubbed:
            return self._stubbed[key]
        return self._session.client(service_name, **{**kwargs, "endpoint_url": self._endpoint_url})


def stubbed_client(service: str, region: str = REGION) -> tuple[Any, Stubber]:
    client = boto3.session.Session(region_name=region).client(service, region_name=region)
    return client, Stubber(client)


def quota_reply(service: str, code: str, value: float) -> dict[str, Any]:
    return {"Quota": {"ServiceCode": service, "QuotaCode": code, "Value": value}}


# --- identity -------------------------------------------------------------------------------------


def test_identity_ok_names_account_and_caller(moto: str) -> None:
    findings = Aws(endpoint_url=moto).preflight(region=REGION, account_id=ACCOUNT, profile=None)
    assert findings[0].severity == "ok"
    assert findings[0].check == "identity"
    assert ACCOUNT in findings[0].message
    assert f"arn:aws:sts::{ACCOUNT}:" in findings[0].message


def test_identity_of_another_account_is_an_error_naming_both(moto: str) -> None:
    findings = Aws(endpoint_url=moto).preflight(
        region=REGION, account_id="999999999999", profile=None
    )
    assert [(f.severity, f.check) for f in findings] == [("error", "identity")]
    assert ACCOUNT in findings[0].message
    assert "999999999999" in findings[0].message
    assert "testing" not in findings[0].message  # the fake secret never shows


def test_no_credentials_is_an_error_and_fast() -> None:
    started = time.monotonic()
    findings = Aws().preflight(region=REGION, account_id=ACCOUNT, profile=None)
    assert time.monotonic() - started < 5  # no instance-metadata wait
    assert len(findings) == 1
    assert findings[0].severity == "error"
    assert findings[0].check == "identity"
    assert findings[0].message.startswith("no AWS credentials: ")
    assert CREDENTIALS_CHAIN in findings[0].message


def test_missing_profile_is_no_credentials_naming_it() -> None:
    findings = Aws().preflight(region=REGION, account_id=None, profile="ml-prod")
    assert [f.severity for f in findings] == ["error"]
    assert findings[0].message.startswith("no AWS credentials: ")
    assert "'ml-prod'" in findings[0].message


def test_sts_not_activated_in_region_says_so(moto: str) -> None:
    sts, stubber = stubbed_client("sts", "ap-east-1")
    stubber.add_client_error("get_caller_identity", "RegionDisabledException", "not activated")
    with stubber:
        findings = Aws(lambda _p, r: StubbedSession(moto, r, sts=sts)).preflight(
            region="ap-east-1", account_id=None, profile=None
        )
    assert [f.severity for f in findings] == ["error"]
    assert "STS is not activated in ap-east-1" in findings[0].message


# --- quotas ---------------------------------------------------------------------------------------


def run_quotas(moto: str, region: str, stubber_setup: Any) -> list[Finding]:
    quotas, stubber = stubbed_client("service-quotas", region)
    stubber_setup(stubber)
    with stubber:
        findings = Aws(lambda _p, r: StubbedSession(moto, r, service_quotas=quotas)).preflight(
            region=region, account_id=ACCOUNT, profile=None
        )
        stubber.assert_no_pending_responses()  # every quota was asked for
    return findings


def test_low_quota_is_a_warning_naming_quota_value_minimum_and_region(moto: str) -> None:
    def setup(stubber: Stubber) -> None:
        for service, code, _name, minimum in QUOTAS:
            value = 200.0 if code == "L-CDE20ADC" else float(minimum)
            params = {"ServiceCode": service, "QuotaCode": code}
            stubber.add_response("get_service_quota", quota_reply(service, code, value), params)

    findings = run_quotas(moto, "eu-west-1", setup)
    by_check = {f.check: f for f in findings}
    low = by_check["quota L-CDE20ADC"]
    assert low.severity == "warning"
    assert low.message == (
        "Auto Scaling groups per region (L-CDE20ADC) is 200 in eu-west-1; "
        "Grid recommends at least 800: request an increase in Service Quotas"
    )
    others = [f for f in findings if f.check.startswith("quota ") and f is not low]
    assert [f.severity for f in others] == ["ok", "ok", "ok"]  # at the minimum is enough


def test_all_quotas_fine_are_ok_findings(moto: str) -> None:
    def setup(stubber: Stubber) -> None:
        for service, code, _name, _minimum in QUOTAS:
            stubber.add_response("get_service_quota", quota_reply(service, code, 5000.0))

    findings = run_quotas(moto, REGION, setup)
    assert [(f.severity, f.check) for f in findings] == [("ok", "identity")] + [
        ("ok", f"quota {code}") for _s, code, _n, _m in QUOTAS
    ]
    assert "is 5000 in us-east-1" in findings[1].message


def test_unreadable_quota_is_a_warning_and_the_others_are_still_checked(moto: str) -> None:
    def setup(stubber: Stubber) -> None:
        for service, code, _name, _minimum in QUOTAS:
            if code == "L-6B80B8FA":
                stubber.add_client_error("get_service_quota", "AccessDeniedException", "no")
            else:
                stubber.add_response("get_service_quota", quota_reply(service, code, 5000.0))

    findings = run_quotas(moto, REGION, setup)
    by_check = {f.check: f for f in findings}
    denied = by_check["quota L-6B80B8FA"]
    assert denied.severity == "warning"
    assert "AccessDeniedException" in denied.message
    assert "Launch configurations per region" in denied.message
    assert len(by_check) == 1 + len(QUOTAS)
    others = [by_check[f"quota {c}"].severity for _s, c, _n, _m in QUOTAS if c != "L-6B80B8FA"]
    assert others == ["ok", "ok", "ok"]


# --- dangling resources ---------------------------------------------------------------------------


def volume(ec2: Any, tag_list: list[dict[str, Any]]) -> str:
    spec = [{"ResourceType": "volume", "Tags": tag_list}] if tag_list else []
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, TagSpecifications=spec)
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{vol['VolumeId']}"


def security_group(ec2: Any, name: str, tag_list: list[dict[str, Any]]) -> str:
    group = ec2.create_security_group(
        GroupName=name,
        Description=name,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tag_list}],
    )
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{group['GroupId']}"


def auto_scaling_group(autoscaling: Any, name: str, key: str, value: str) -> str:
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": "workers", "Version": "$Latest"},
        MinSize=0,
        MaxSize=1,
        DesiredCapacity=0,
        AvailabilityZones=[f"{REGION}a"],
        Tags=[{"Key": key, "Value": value, "PropagateAtLaunch": True}],
    )
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return str(group["AutoScalingGroups"][0]["AutoScalingGroupARN"])


def test_dangling_lists_exactly_the_clusters_tagged_resources_including_asgs(moto: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=moto)
    autoscaling = boto3.client("autoscaling", region_name=REGION, endpoint_url=moto)
    ec2.create_launch_template(
        LaunchTemplateName="workers", LaunchTemplateData={"ImageId": "ami-12c6146b"}
    )
    k8s_a, k8s_b = K8S_TAG.format(name="ml-a"), K8S_TAG.format(name="ml-b")
    expected = [
        volume(ec2, [{"Key": k8s_a, "Value": "owned"}]),
        volume(ec2, [{"Key": k8s_a, "Value": "shared"}, {"Key": "Name", "Value": "ml-a"}]),
        security_group(ec2, "sg-a", [{"Key": "Name", "Value": "ml-a"}]),
        # The tagging API does not list Auto Scaling groups (in AWS and in moto): found another way.
        auto_scaling_group(autoscaling, "ml-a-workers", k8s_a, "owned"),
    ]
    volume(ec2, [])
    volume(ec2, [{"Key": k8s_b, "Value": "owned"}])
    security_group(ec2, "sg-b", [{"Key": "Name", "Value": "ml-a-old"}])
    auto_scaling_group(autoscaling, "ml-b-workers", k8s_b, "owned")

    found = Aws(endpoint_url=moto).dangling(cluster="ml-a", region=REGION)

    assert found == sorted(expected)


def test_dangling_follows_pages(moto: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=moto)
    key = K8S_TAG.format(name="big")
    expected = [volume(ec2, [{"Key": key, "Value": "owned"}]) for _ in range(60)]  # > one page

    assert Aws(endpoint_url=moto).dangling(cluster="big", region=REGION) == sorted(expected)


def test_dangling_of_a_clean_account_is_empty(moto: str) -> None:
    assert Aws(endpoint_url=moto).dangling(cluster="ml-a", region=REGION) == []


def test_dangling_without_credentials_raises_aws_error() -> None:
    with pytest.raises(AwsError) as caught:
        Aws().dangling(cluster="ml-a", region=REGION)
    assert isinstance(caught.value, GridsyncError)
    assert "could not look for dangling AWS resources of cluster ml-a in us-east-1" in str(
        caught.value
    )
    assert "no AWS credentials" in str(caught.value)


def test_dangling_denied_raises_aws_error_saying_what_failed(moto: str) -> None:
    tagging, stubber = stubbed_client("resourcegroupstaggingapi")
    stubber.add_client_error("get_resources", "AccessDeniedException", "not authorized")
    session = StubbedSession(moto, REGION, resourcegroupstaggingapi=tagging)
    with stubber, pytest.raises(AwsError) as caught:
        Aws(lambda _p, _r: session).dangling(cluster="ml-a", region=REGION)
    assert "AccessDeniedException: not authorized" in caught.value.message
    assert "tag:GetResources" in caught.value.hint
