"""`gridsync preflight`: check the AWS side of clusters before creating them.

For each cluster that declares `aws:` or `infrastructure:` (or is named): which account the
credentials reach (sts get-caller-identity, against `aws.account_id`), and the Service Quotas Grid
recommends in the cluster's region. Credentials come from the normal boto3 chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gridsync.console import Console
from gridsync.errors import ExitCode, UsageError
from gridsync.prepare.inputs import Target, load_inputs
from gridsync.render.preflight import render_findings


def preflight(
    target: Target, names: Sequence[str], env: Mapping[str, str], console: Console
) -> int:
    from gridsync.infra.aws import Aws

    inputs = load_inputs(target, env, console)
    declared = inputs.desired.by_name()
    unknown = [n for n in names if n not in declared]
    if unknown:
        raise UsageError(f"not declared: {', '.join(unknown)}", hint="name clusters from clusters/")
    clusters = [declared[n] for n in names] or [
        c for c in inputs.desired.clusters if c.aws is not None or c.terraform is not None
    ]
    if not clusters:
        console.result("No cluster declares aws: or infrastructure:; nothing to check.")
        return ExitCode.OK
    aws = Aws()
    results = []
    for cluster in clusters:
        account = cluster.aws
        findings = aws.preflight(
            region=cluster.spec.region,
            account_id=account.account_id if account else None,
            profile=account.profile if account else None,
        )
        results.append((cluster.name, cluster.spec.region, findings))
    console.result(render_findings(results, console.paint))
    failed = any(f.severity == "error" for _, _, findings in results for f in findings)
    return ExitCode.ERROR if failed else ExitCode.OK
