"""The AWS side of a BYOC cluster, read with boto3: preflight checks and dangling resources.

`Aws.preflight` does what the runbook asks a person to do before `terraform apply`: see which account
the credentials reach (`aws sts get-caller-identity`, in the cluster's region, so an STS endpoint that
is not activated there shows up) and compare the Service Quotas Grid recommends (`QUOTAS`) with the
account's values. Problems come back as `Finding`s; only a missing boto3 import would raise.

`Aws.dangling` lists what the runbook's "look for dangling resources" step would find after
`grid delete cluster` and `terraform destroy`: the ARNs of resources in the region still tagged for the
cluster. It raises `AwsError` when it cannot look (no credentials, access denied); callers report that
as "could not check".

Assumptions about Grid's modules, not facts from Grid (`DANGLING_TAGS`): EKS tags the resources of a
cluster `kubernetes.io/cluster/<name>`, and Terraform modules commonly set `Name` to the cluster name.
The Resource Groups Tagging API is regional and does not return Auto Scaling groups, so those are
listed with Auto Scaling's own tag filters; global resources (IAM roles, Route 53) are not covered.

boto3 and botocore are imported inside functions so that `gridsync --help` starts fast. Messages
never carry credentials: account ids and caller ARNs are not secret and are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from gridsync.errors import GridsyncError
from gridsync.infra import awssession
from gridsync.infra.awssession import SessionLike

QUOTAS = (  # service, quota code, name, minimum (Grid's recommendations)
    ("autoscaling", "L-CDE20ADC", "Auto Scaling groups per region", 800),
    ("autoscaling", "L-6B80B8FA", "Launch configurations per region", 600),
    (
        "ec2",
        "L-1216C47A",
        "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances vCPUs",
        1000,
    ),
    (
        "ec2",
        "L-34B43A08",
        "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests vCPUs",
        1000,
    ),
)

# Tag filters: "KEY" (any value) or "KEY=VALUE" (split at the first "="); {name} is the cluster name.
DANGLING_TAGS = ("kubernetes.io/cluster/{name}", "Name={name}")

CREDENTIALS_CHAIN = "the normal boto3 chain: AWS_PROFILE, env, ~/.aws, instance role"


class AwsError(GridsyncError):
    """AWS could not be asked: no credentials, access denied, or the endpoint failed."""


class Finding(NamedTuple):
    severity: str  # "error" | "warning" | "ok"
    check: str  # e.g. "identity", "quota L-CDE20ADC"
    message: str  # human text; never credentials


class TagFilter(NamedTuple):
    key: str
    value: str | None = None  # None: any value

    @classmethod
    def parse(cls, text: str) -> TagFilter:
        key, sep, value = text.partition("=")
        return cls(key, value if sep else None)


SessionFactory = Callable[[str | None, str], SessionLike]


def default_session(profile: str | None, region: str) -> SessionLike:
    return awssession.session(profile, region)


class Aws:
    """AWS checks for one project; the boto3 session comes from `session_factory`."""

    def __init__(
        self, session_factory: SessionFactory | None = None, *, endpoint_url: str | None = None
    ) -> None:
        self._session_factory = session_factory or default_session
        self._endpoint_url = endpoint_url

    def preflight(
        self, *, region: str, account_id: str | None, profile: str | None
    ) -> list[Finding]:
        """Which account the credentials reach, then Grid's quotas; problems become findings."""
        try:
            session = self._session_factory(profile, region)
            identity = self._client(session, "sts", region).get_caller_identity()
        except _boto_errors() as exc:
            return [_identity_failure(exc, region, profile)]
        found = _identity_finding(identity, account_id)
        if found.severity == "error":
            return [found]  # quotas of the wrong account would mislead
        quotas = self._client(session, "service-quotas", region)
        return [found, *(_quota_finding(quotas, region, quota) for quota in QUOTAS)]

    def dangling(self, *, cluster: str, region: str, profile: str | None = None) -> list[str]:
        """ARNs of resources in `region` still tagged for `cluster`, de-duplicated and sorted."""
        filters = [TagFilter.parse(tag.format(name=cluster)) for tag in DANGLING_TAGS]
        try:
            session = self._session_factory(profile, region)
            tagging = self._client(session, "resourcegroupstaggingapi", region)
            autoscaling = self._client(session, "autoscaling", region)
            arns = {arn for f in filters for arn in _tagged_arns(tagging, f)}
            arns.update(arn for f in filters for arn in _asg_arns(autoscaling, f))
        except _boto_errors() as exc:
            raise _dangling_error(exc, cluster, region, profile) from exc
        return sorted(arns)

    def _client(self, session: SessionLike, service: str, region: str) -> Any:
        return awssession.client(session, service, region=region, endpoint_url=self._endpoint_url)


def _boto_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    return (BotoCoreError, ClientError)


def _is_missing_credentials(exc: Exception) -> bool:
    from botocore.exceptions import (
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    return isinstance(exc, NoCredentialsError | PartialCredentialsError | ProfileNotFound)


def _error_code(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def _reason(exc: Exception) -> str:
    """The error as AWS or botocore states it: a code and a message, never credentials."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def _no_credentials(exc: Exception, profile: str | None) -> str:
    which = f"aws.profile {profile!r}" if profile else CREDENTIALS_CHAIN
    return f"no AWS credentials: {exc} ({which})"


def _identity_failure(exc: Exception, region: str, profile: str | None) -> Finding:
    if _is_missing_credentials(exc):
        message = _no_credentials(exc, profile)
    elif _error_code(exc) == "RegionDisabledException":
        message = (
            f"STS is not activated in {region}: activate its regional endpoint in IAM, "
            f"Account settings ({_reason(exc)})"
        )
    else:
        message = f"sts:GetCallerIdentity in {region} failed: {_reason(exc)}"
    return Finding("error", "identity", message)


def _identity_finding(identity: Any, account_id: str | None) -> Finding:
    account, arn = str(identity.get("Account", "")), str(identity.get("Arn", ""))
    if account_id is not None and account != str(account_id):
        return Finding(
            "error",
            "identity",
            f"the AWS credentials reach account {account} ({arn}), but the cluster expects "
            f"account {account_id}: use credentials or an aws.profile for account {account_id}",
        )
    return Finding("ok", "identity", f"AWS account {account} as {arn}")


def _quota_finding(client: Any, region: str, quota: tuple[str, str, str, int]) -> Finding:
    service, code, name, minimum = quota
    check = f"quota {code}"
    try:
        reply = client.get_service_quota(ServiceCode=service, QuotaCode=code)
    except _boto_errors() as exc:
        return Finding(
            "warning",
            check,
            f"could not read {name} ({code}) in {region}: {_reason(exc)}; "
            f"check it in Service Quotas (Grid recommends at least {minimum})",
        )
    value = reply.get("Quota", {}).get("Value")
    if not isinstance(value, int | float):
        return Finding("warning", check, f"{name} ({code}) in {region}: AWS reported no value")
    if value < minimum:
        return Finding(
            "warning",
            check,
            f"{name} ({code}) is {value:g} in {region}; Grid recommends at least {minimum}: "
            "request an increase in Service Quotas",
        )
    return Finding("ok", check, f"{name} ({code}) is {value:g} in {region}")


def _tagged_arns(client: Any, tag: TagFilter) -> Iterator[str]:
    wanted = {"Key": tag.key, **({"Values": [tag.value]} if tag.value is not None else {})}
    for page in client.get_paginator("get_resources").paginate(TagFilters=[wanted]):
        for mapping in page.get("ResourceTagMappingList", []):
            yield str(mapping["ResourceARN"])


def _asg_arns(client: Any, tag: TagFilter) -> Iterator[str]:
    if tag.value is None:
        wanted = {"Name": "tag-key", "Values": [tag.key]}
    else:
        wanted = {"Name": f"tag:{tag.key}", "Values": [tag.value]}
    for page in client.get_paginator("describe_auto_scaling_groups").paginate(Filters=[wanted]):
        for group in page.get("AutoScalingGroups", []):
            yield str(group["AutoScalingGroupARN"])


def _dangling_error(exc: Exception, cluster: str, region: str, profile: str | None) -> AwsError:
    what = f"could not look for dangling AWS resources of cluster {cluster} in {region}"
    if _is_missing_credentials(exc):
        return AwsError(
            f"{what}: {_no_credentials(exc, profile)}",
            hint="configure AWS credentials, or set aws.profile in the cluster document",
        )
    return AwsError(
        f"{what}: {_reason(exc)}",
        hint="the credentials need tag:GetResources and autoscaling:DescribeAutoScalingGroups",
    )
