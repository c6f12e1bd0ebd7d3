"""Run config files end to end: bindings move compute.provider.cluster, and nothing else changes."""

from __future__ import annotations

from builders import Project

from gridsync.errors import ExitCode

# A realistic run config: comments, an anchor used twice, flow style, CRLF line endings.
TRAIN = (
    "# nightly training run\r\n"
    "compute:\r\n"
    "  provider:\r\n"
    "    cluster: ml-old   # set by gridsync\r\n"
    "  train:\r\n"
    "    instance: g4dn.xlarge\r\n"
    "    use_spot: true\r\n"
    "    storage_gb: 100\r\n"
    "    environment: &env {MY_VAR: \"1\", STAGE: 'nightly'}\r\n"
    "hyper_params:\r\n"
    '  settings: {strategy: random_search, strategy_options: {num_trials: "10"}}\r\n'
    '  params: {--learning_rate: "uniform(1e-5, 1e-1, 20)"}\r\n'
)
SESSION = "compute:\n  train:\n    instance_type: t3.large\n    disk_size: 200\n"


def test_binding_moves_the_field_and_nothing_else(project: Project) -> None:
    project.cluster("ml-old")
    project.write("runs/train.yaml", TRAIN)
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    project.cluster("ml-new", runs='["runs/*.yaml"]')
    plan = project.gridsync("plan")
    assert plan.returncode == 0, plan.stderr
    assert "runs/train.yaml  compute.provider.cluster -> ml-new (known after apply)" in plan.stdout
    assert "-    cluster: ml-old   # set by gridsync" in plan.stdout
    assert "Run configs: 1 to edit." in plan.stdout
    result = project.gridsync("apply", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    after = (project.root / "runs" / "train.yaml").read_bytes().decode()
    assert after == TRAIN.replace("cluster: ml-old ", "cluster: ml-new ")
    assert project.gridsync("plan", "--detailed-exitcode").returncode == 0


def test_a_new_binding_inserts_the_missing_keys(project: Project) -> None:
    project.cluster("ml-a", runs="[runs/session.yaml]")
    project.write("runs/session.yaml", SESSION)
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    text = (project.root / "runs" / "session.yaml").read_text()
    assert text == SESSION + "  provider:\n    cluster: ml-a\n"


def test_no_write_runs_leaves_files_alone(project: Project) -> None:
    project.cluster("ml-a", runs="[runs/train.yaml]")
    project.write("runs/train.yaml", TRAIN)
    result = project.gridsync("apply", "--auto-approve", "--no-write-runs")
    assert result.returncode == ExitCode.PARTIAL  # the summary says the edit was not attempted
    assert "not edited: --no-write-runs" in result.stdout
    assert (project.root / "runs" / "train.yaml").read_bytes().decode() == TRAIN


def test_deleting_a_cluster_runs_still_use_is_refused(project: Project) -> None:
    project.cluster("ml-a")
    project.write("runs/a.yaml", "compute:\n  provider:\n    cluster: ml-a\n")
    project.write("runs/b.yaml", "compute:\n  provider: {cluster: ml-a}\n")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    (project.root / "clusters" / "ml-a.yaml").unlink()
    project.settings("prune: true\nmanaged: ['ml-*']\n")
    result = project.gridsync("apply", "--auto-approve", "--allow-prune-all")  # no files left
    assert result.returncode == ExitCode.BLOCKED, result.stdout + result.stderr
    assert "run configs still point to 'ml-a': runs/a.yaml, runs/b.yaml" in result.stderr
    assert "ml-a" in project.live()


def test_unknown_cluster_reference_is_an_error_at_its_line(project: Project) -> None:
    project.cluster("ml-a")
    project.write("runs/a.yaml", "# x\ncompute:\n  provider:\n    cluster: ml-typo\n")
    result = project.gridsync("plan")
    assert result.returncode == ExitCode.ERROR
    assert (
        "runs/a.yaml:4:14: error: compute.provider.cluster: 'ml-typo' is not a declared or live cluster"
        in result.stderr
    )


def test_typo_in_a_run_config_is_a_warning_with_its_line(project: Project) -> None:
    project.cluster("ml-a")
    project.write("runs/a.yaml", "compute:\n  provider:\n    cluster: ml-a\n  train:\n    gpu: 1\n")
    result = project.gridsync("validate")
    assert result.returncode == 0, result.stderr
    assert "runs/a.yaml:5:5: warning:" in result.stderr and "did you mean 'gpus'?" in result.stderr
    assert "1 run config(s)" in result.stdout
