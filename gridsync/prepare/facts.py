"""Before the diff: what Terraform and AWS say about the clusters that declare infrastructure.

The diff is pure, so these I/O steps run here and hand it inert facts: a `terraform plan` summary
per cluster with a module (in parallel), the clusters whose Terraform state gridsync recorded, and
preflight findings as plan notes for clusters that declare `aws:`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gridsync import interrupts
from gridsync.config.desired import DesiredCluster, ProjectSettings, TerraformSettings
from gridsync.live.backend import LiveState
from gridsync.plan.changes import Note
from gridsync.plan.diff import TERRAFORM_DIR, InfraFacts
from gridsync.spec import Source, is_valid_name

if TYPE_CHECKING:  # the real imports are lazy: boto3 and python_terraform are heavy
    from gridsync.infra.terraform import Terraform, TerraformPlanSummary


def needs_terraform(settings: ProjectSettings, clusters: tuple[DesiredCluster, ...]) -> bool:
    return any(c.terraform for c in clusters) or (settings.root / TERRAFORM_DIR).is_dir()


def make_terraform(settings: ProjectSettings, env: Mapping[str, str]) -> Terraform:
    from gridsync.infra.review import review_for
    from gridsync.infra.terraform import Terraform

    data = (*settings.cluster_globs, *settings.run_globs)
    return Terraform(
        root=settings.root,
        binary=settings.terraform_bin,
        timeout=settings.terraform_timeout,
        env=env,
        review=review_for(env, settings.root, data),
    )


def terraform_facts(
    settings: ProjectSettings,
    clusters: tuple[DesiredCluster, ...],
    live: LiveState,
    env: Mapping[str, str],
    *,
    snapshot: Path | None = None,
) -> InfraFacts:
    """Plan every module (not against a snapshot: that run has no cloud access by design)."""
    if not needs_terraform(settings, clusters):
        return InfraFacts()
    terraform = make_terraform(settings, env)
    declared = {c.name for c in clusters}
    recorded = frozenset(
        c.name
        for c in live.clusters
        if c.name not in declared and is_valid_name(c.name) and terraform.has_state(c.name)
    )
    leftover = _leftover(settings.root, declared, live, terraform)
    if snapshot is not None:
        return InfraFacts(recorded=recorded, leftover=leftover, note="planning against a snapshot")
    with_module = [(c.name, c.terraform) for c in clusters if c.terraform is not None]
    runner_state = frozenset(
        name
        for name, module in with_module
        if in_ci(env) and not settings.terraform_local_state and not _has_backend(settings, module)
    )
    deferred = {
        name: (found.reason, found.module_changed)
        for name, module in with_module
        if (found := terraform.deferral(module)) is not None
    }
    planned = [(name, module) for name, module in with_module if name not in deferred]
    summaries = _plan_modules(terraform, planned, settings.parallelism) if planned else []
    plans = {name: (str(s), s.has_changes) for (name, _), s in zip(planned, summaries, strict=True)}
    return InfraFacts(
        plans=plans,
        recorded=recorded,
        leftover=leftover,
        runner_state=runner_state,
        deferred=deferred,
    )


def _plan_modules(
    terraform: Terraform, planned: list[tuple[str, TerraformSettings]], parallelism: int
) -> list[TerraformPlanSummary]:
    """`terraform plan` of each module, `parallelism` at once."""
    # Imported here: concurrent.futures brings logging and queue, which a plan without Terraform
    # modules never needs (~4 ms of every start-up).
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        return interrupts.wait_all([pool.submit(terraform.plan, *item) for item in planned])


def _leftover(
    root: Path, declared: set[str], live: LiveState, terraform: Terraform
) -> frozenset[str]:
    """Work dirs holding state whose cluster is neither declared nor live (or is being deleted)."""
    workdirs = root / TERRAFORM_DIR
    present = {c.name for c in live.clusters if not c.terminating}
    names = sorted(p.name for p in workdirs.iterdir() if p.is_dir()) if workdirs.is_dir() else []
    return frozenset(
        name
        for name in names
        if is_valid_name(name)
        and name not in declared
        and name not in present
        and terraform.has_state(name)
    )


def in_ci(env: Mapping[str, str]) -> bool:
    """Whether gridsync runs in CI (`CI=true`, set by GitHub Actions, GitLab CI and others)."""
    return env.get("CI", "").lower() in ("true", "1") or env.get("GITHUB_ACTIONS") == "true"


def _has_backend(settings: ProjectSettings, module: TerraformSettings) -> bool:
    from gridsync.infra.tfworkdir import declares_backend

    return declares_backend(settings.root / module.module)


def preflight_notes(clusters: tuple[DesiredCluster, ...]) -> list[Note]:
    """`gridsync preflight` findings (errors and warnings) for clusters that declare `aws:`."""
    with_aws = [(c, c.aws) for c in clusters if c.aws is not None]
    if not with_aws:
        return []
    from gridsync.infra.aws import Aws

    aws = Aws()
    notes = []
    for cluster, account in with_aws:
        findings = aws.preflight(
            region=cluster.spec.region, account_id=account.account_id, profile=account.profile
        )
        where: Source = cluster.where("aws")
        notes += [
            Note("warning", f"{cluster.name}: preflight {f.check}: {f.message}", where)
            for f in findings
            if f.severity != "ok"
        ]
    return notes
