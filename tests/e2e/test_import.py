"""`gridsync import`: live clusters become cluster files that plan to no change; refusals write
nothing; secrets stay out of files and output. One journey through the real CLI, the refusals
in-process against the same local control plane."""

from __future__ import annotations

import io

import pytest
from builders import Project, cluster_doc

from gridsync.commands.import_clusters import ImportOptions, import_clusters
from gridsync.commands.local_grid import fail
from gridsync.config.desired import LocalBackendSettings
from gridsync.console import Console
from gridsync.errors import ExitCode, GridsyncError
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.prepare.inputs import Target
from gridsync.spec import ClusterSpec, InstanceType

ROLE = "arn:aws:iam::123456789012:role/grid"
SECRET = "ext-import-secret-7"
SPEC = ClusterSpec(
    "us-west-2",
    ROLE,
    SECRET,
    (InstanceType("p3.2xlarge", 1, 200), InstanceType("t3.large")),
    cost_savings=True,
)


def _plane(project: Project) -> LocalControlPlane:
    """Clusters that are RUNNING (or FAILED) at once."""
    instant = LocalBackendSettings(queued_seconds=0, provision_seconds=0, delete_seconds=0)
    return LocalControlPlane(instant, root=project.root)


def _files(project: Project) -> dict[str, str]:
    folder = project.root / "clusters"
    return {p.name: p.read_text() for p in sorted(folder.glob("*.yaml"))} if folder.exists() else {}


def test_imported_clusters_validate_and_plan_to_no_change(project: Project) -> None:
    plane = _plane(project)
    plane.create("ml-a", SPEC)
    byoc = plane.create("ml-b", ClusterSpec("us-east-1", ROLE, "other-secret", SPEC.instance_types))
    plane.set_context(byoc.id)
    project.write("runs/train.yaml", "compute:\n  provider:\n    cluster: ml-b\n")

    run = project.gridsync("import", "--all", "--bind-runs")
    assert run.returncode == 0, run.stderr
    assert "GRIDSYNC_ML_A_EXTERNAL_ID" in run.stdout and "GRIDSYNC_ML_B_EXTERNAL_ID" in run.stdout
    assert "grid-cloud" not in _files(project) and set(_files(project)) == {
        "ml-a.yaml",
        "ml-b.yaml",
    }
    written = "".join(_files(project).values())
    for secret in (SECRET, "other-secret"):
        assert secret not in written + run.stdout + run.stderr
    assert "context: true" in _files(project)["ml-b.yaml"]
    assert "runs:\n- runs/train.yaml" in _files(project)["ml-b.yaml"]

    assert project.gridsync("validate").returncode == 0
    env = {"GRIDSYNC_ML_A_EXTERNAL_ID": SECRET, "GRIDSYNC_ML_B_EXTERNAL_ID": "other-secret"}
    plan = project.gridsync("plan", "--detailed-exitcode", env=env)
    assert plan.returncode == ExitCode.OK, plan.stdout + plan.stderr
    assert "No changes. 2 declared clusters match live state." in plan.stdout
    changed = project.gridsync(
        "plan", "--detailed-exitcode", env={**env, "GRIDSYNC_ML_A_EXTERNAL_ID": "x"}
    )
    assert changed.returncode == ExitCode.CHANGES  # the reference is compared once it is set
    code, said = _import(project)  # --all: everything is declared now, nothing to do
    assert code == 0 and "Nothing to import" in said and "already declared" in said


def _import(project: Project, *names: str, **options: object) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    opts = ImportOptions(names=names, all=not names, **options)  # type: ignore[arg-type]
    code = import_clusters(Target(project.root), opts, {}, Console(out, err))
    return code, out.getvalue() + err.getvalue()


def _refused(project: Project, *names: str, **options: object) -> str:
    before = _files(project)
    with pytest.raises(GridsyncError) as raised:
        _import(project, *names, **options)
    assert _files(project) == before  # nothing written
    return str(raised.value)


def test_refusals_name_every_cluster_and_write_nothing(project: Project) -> None:
    plane = _plane(project)
    for name in ("ml-a", "ml-b", "ml-c"):
        plane.create(name, SPEC)
    project.cluster("ml-c")
    fail(Target(project.root), "ml-bad", "quota exceeded", Console(io.StringIO(), io.StringIO()))
    plane.create("ml-bad", SPEC)
    message = _refused(project, "ml-a", "ml-c", "grid-cloud", "nope", "ml-bad")
    assert "ml-c: already declared at clusters/ml-c.yaml" in message
    assert "grid-cloud: Grid's global cluster" in message
    assert "nope: no live cluster" in message
    assert "ml-bad: FAILED" in message
    assert "ml-a:" not in message  # importable; refused only because the others are

    project.write("clusters/ml-b.yaml", "# a file of its own, declaring nothing\n")
    assert "clusters/ml-b.yaml exists already" in _refused(project, "ml-a", "ml-b")
    outside = _refused(project, "ml-a", file=project.root.parent / "x.yaml")
    assert "outside the project root" in outside
    assert "no cluster glob" in _refused(project, "ml-a", file=project.root / "elsewhere/x.yaml")
    with pytest.raises(GridsyncError, match="not both"):
        import_clusters(
            Target(project.root),
            ImportOptions(names=("ml-a",), all=True),
            {},
            Console(io.StringIO(), io.StringIO()),
        )


def test_all_into_one_file_skips_what_it_may_not_take(project: Project) -> None:
    project.settings("managed: ['ml-*']\n")
    plane = _plane(project)
    for name in ("ml-a", "ml-b", "web-x"):
        plane.create(name, SPEC)
    code, said = _import(project, file=project.root / "clusters/all.yaml")
    assert code == 0
    assert "web-x: outside this project's managed globs ('ml-*')" in said
    text = (project.root / "clusters/all.yaml").read_text()
    assert text.count("kind: Cluster") == 2 and "web-x" not in text
    assert SECRET not in text + said
    assert "already declared" in _refused(project, "ml-a")


def test_never_another_projects_cluster(project: Project) -> None:
    project.write(
        "gridsync.yaml",
        "projects:\n  one: {clusters: ['one/*.yaml'], managed: ['one-*']}\n"
        "  two: {clusters: ['two/*.yaml'], managed: ['two-*']}\n",
    )
    _plane(project).create("two-a", SPEC)
    project.write("two/two-a.yaml", cluster_doc("two-a"))
    with pytest.raises(GridsyncError) as raised:
        import_clusters(
            Target(project.root, "one"),
            ImportOptions(names=("two-a",)),
            {},
            Console(io.StringIO(), io.StringIO()),
        )
    assert "declared by another project" in str(raised.value)
    out = io.StringIO()
    _plane(project).create("one-a", SPEC)
    code = import_clusters(
        Target(project.root, "one"), ImportOptions(all=True), {}, Console(out, io.StringIO())
    )
    assert code == 0 and (project.root / "one/one-a.yaml").exists()


def test_a_protection_the_apply_record_remembers_is_kept(project: Project) -> None:
    project.cluster("ml-p", protect="true")
    project.cluster("ml-q")
    applied = project.gridsync("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    (project.root / "clusters/ml-p.yaml").unlink()
    code, _ = _import(project, "ml-p")
    assert code == 0 and "protect: true" in _files(project)["ml-p.yaml"]
    env = {"GRIDSYNC_ML_P_EXTERNAL_ID": "ext-e2e-secret"}
    plan = project.gridsync("plan", "--detailed-exitcode", env=env)
    assert plan.returncode == ExitCode.OK, plan.stdout + plan.stderr
    assert "protect is lifted" not in plan.stdout


def test_bind_runs_binds_files_naming_the_id_and_lists_those_naming_another_name() -> None:
    from gridsync.commands.import_clusters import _runs_of
    from gridsync.config.desired import DesiredState, RunConfig
    from gridsync.live.backend import LiveCluster
    from gridsync.spec import Source

    def run(path: str, cluster: str, bound_to: str | None = None) -> RunConfig:
        return RunConfig(path, "run", cluster, Source(path), bound_to)

    cluster = LiveCluster("c-123", "ml-a", "CLUSTER_TYPE_BYOC", "", "", spec=SPEC)
    desired = DesiredState(
        (),
        (),
        runs=(
            run("runs/by-id.yaml", "c-123"),
            run("runs/[odd]*.yaml", "c-123"),
            run("runs/by-name.yaml", "ml-a"),
            run("runs/bound.yaml", "c-123", bound_to="ml-b"),
            run("runs/other.yaml", "ml-z"),
        ),
    )
    globs, skipped = _runs_of(cluster, desired)
    assert globs == ["runs/by-id.yaml", "runs/[[]odd][*].yaml"]
    assert [path for path, _ in skipped] == ["runs/by-name.yaml"]
