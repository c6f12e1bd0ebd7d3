"""A cluster that brings its own AWS infrastructure, end to end: real Terraform 1.0.3 on a module
with no providers, the local control plane, moto's AWS server for the account checks and leftovers."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import boto3
from builders import Project

from gridsync.errors import ExitCode
from gridsync.spec import Phase

MODULE = Path(__file__).parents[1] / "data" / "terraform" / "byoc"
TERRAFORM = Path(sys.executable).parent / "terraform"
EXTERNAL_ID = "ext-byoc-Secr3t-91"
CLUSTER = """\
apiVersion: gridsync/v1
kind: Cluster
name: ml-byoc
provider: aws
region: us-east-1
instance_types: [t3.large, {name: p3.2xlarge, root_volume_size: 200}]
infrastructure:
  terraform:
    module: infra/byoc
    vars: {cluster_name: ml-byoc, external_id: "${env:BYOC_EXTERNAL_ID}", role_arn: "arn:aws:iam::123456789012:role/byoc"}
aws: {account_id: "123456789012"}
"""


def setup(project: Project, moto_server: str) -> dict[str, str]:
    shutil.copytree(MODULE, project.root / "infra" / "byoc")
    project.settings(f"terraform_bin: {TERRAFORM}\nprune: true\nmanaged: ['ml-*']\n")
    project.write("clusters/ml-byoc.yaml", CLUSTER)
    return {
        "BYOC_EXTERNAL_ID": EXTERNAL_ID,
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_from_yaml_to_running_and_back_to_nothing(project: Project, moto_server: str) -> None:
    env = setup(project, moto_server)
    plan = project.gridsync("plan", env=env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "Terraform: 0 to add, 0 to change, 0 to destroy (terraform apply first)" in plan.stdout
    assert "role_arn:" in plan.stdout and "(known after apply)" in plan.stdout

    apply = project.gridsync("apply", "--auto-approve", env=env)
    assert apply.returncode == 0, apply.stdout + apply.stderr
    cluster = project.live()["ml-byoc"]
    assert cluster.phase == Phase.RUNNING and cluster.spec is not None
    assert (
        cluster.spec.role_arn == "arn:aws:iam::123456789012:role/byoc"
    )  # from the Terraform output
    assert cluster.spec.external_id == EXTERNAL_ID
    assert [t.name for t in cluster.spec.instance_types] == [
        "t3.large",
        "p3.2xlarge",
    ]  # the YAML wins
    assert (project.root / ".gridsync" / "terraform" / "ml-byoc" / "terraform.tfstate").exists()
    assert project.gridsync("plan", "--detailed-exitcode", env=env).returncode == 0

    # Something the module made is still tagged for the cluster after Grid deleted it.
    ec2 = boto3.client(
        "ec2",
        region_name="us-east-1",
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    volume = ec2.create_volume(
        AvailabilityZone="us-east-1a",
        Size=8,
        TagSpecifications=[
            {
                "ResourceType": "volume",
                "Tags": [{"Key": "kubernetes.io/cluster/ml-byoc", "Value": "owned"}],
            }
        ],
    )
    (project.root / "clusters" / "ml-byoc.yaml").unlink()
    # No cluster file at all: planning the deletion of every managed cluster must be asked for.
    plan = project.gridsync("plan", "--allow-prune-all", env=env)
    assert (
        "- ml-byoc  will be deleted" in plan.stdout
        and "Terraform: destroy (terraform destroy once the cluster is gone)" in plan.stdout
    )
    # The last cluster file is gone: deleting every managed cluster must be asked for.
    delete = project.gridsync("apply", "--auto-approve", "--allow-prune-all", env=env)
    assert delete.returncode == 0, delete.stdout + delete.stderr
    assert "ml-byoc" not in project.live()
    assert "terraform destroy done" in delete.stderr
    assert (
        "AWS resources still tagged for ml-byoc" in delete.stdout
        and volume["VolumeId"] in delete.stdout
    )
    for result in (plan, apply, delete):
        assert EXTERNAL_ID not in result.stdout + result.stderr


def test_preflight_reports_an_account_mismatch(project: Project, moto_server: str) -> None:
    env = setup(project, moto_server)
    project.write(
        "clusters/ml-byoc.yaml",
        CLUSTER.replace('account_id: "123456789012"', 'account_id: "999999999999"'),
    )
    result = project.gridsync("preflight", env=env)
    assert result.returncode == ExitCode.ERROR
    assert "999999999999" in result.stdout and "123456789012" in result.stdout
    plan = project.gridsync("plan", env=env)
    assert plan.returncode == 0 and "preflight" in plan.stdout


def test_broken_module_fails_the_plan_with_its_error(project: Project, moto_server: str) -> None:
    env = setup(project, moto_server)
    project.write(
        "clusters/ml-byoc.yaml",
        CLUSTER.replace("cluster_name: ml-byoc,", "cluster_name: ml-byoc, no_such_variable: 1,"),
    )
    result = project.gridsync("plan", env=env)
    assert result.returncode == ExitCode.ERROR
    assert "no_such_variable" in result.stderr and "Traceback" not in result.stderr


ROLE_ONLY = Path(__file__).parents[1] / "data" / "terraform" / "role-only"


def test_a_terraform_failure_at_apply_stops_that_cluster_only(
    project: Project, moto_server: str
) -> None:
    env = setup(project, moto_server)
    shutil.copytree(ROLE_ONLY, project.root / "infra" / "role-only")
    doc = CLUSTER.replace("module: infra/byoc", "module: infra/role-only").replace(
        'vars: {cluster_name: ml-byoc, external_id: "${env:BYOC_EXTERNAL_ID}", role_arn: "arn:aws:iam::123456789012:role/byoc"}',
        'vars: {role_name: byoc, external_id: "${env:BYOC_EXTERNAL_ID}"}',
    )
    project.write("clusters/ml-byoc.yaml", doc)  # no `outputs:`: it expects a gridv1_cluster output
    project.cluster("ml-plain")
    result = project.gridsync("apply", "--auto-approve", env=env)
    assert result.returncode == ExitCode.PARTIAL, result.stdout + result.stderr
    assert "Terraform output 'gridv1_cluster' not found" in result.stdout
    assert set(project.live()) == {"grid-cloud", "ml-plain"}
    fixed = doc.replace(
        "    vars:", "    outputs: {role_arn: role_arn, external_id: external_id}\n    vars:"
    )
    project.write("clusters/ml-byoc.yaml", fixed)
    rerun = project.gridsync("apply", "--auto-approve", env=env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    spec = project.live()["ml-byoc"].spec
    assert spec is not None and (spec.role_arn, spec.external_id) == (
        "arn:aws:iam::123456789012:role/byoc",
        EXTERNAL_ID,
    )
    assert EXTERNAL_ID not in result.stdout + result.stderr + rerun.stdout + rerun.stderr


def fake_terraform(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-terraform"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script


def test_a_hanging_terraform_times_out_clearly_and_a_rerun_is_clean(
    project: Project, moto_server: str, tmp_path: Path
) -> None:
    env = setup(project, moto_server)
    hanging = fake_terraform(tmp_path, "sleep 60")
    project.settings(f"terraform_bin: {hanging}\nterraform_timeout: 2s\n")
    result = project.gridsync("plan", env=env, timeout=60)
    assert result.returncode == ExitCode.ERROR
    assert "timed out after 2s" in result.stderr and "Traceback" not in result.stderr
    project.settings(f"terraform_bin: {TERRAFORM}\n")
    rerun = project.gridsync("apply", "--auto-approve", env=env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert project.live()["ml-byoc"].phase == Phase.RUNNING


def test_a_failing_terraform_binary_is_a_clear_error(
    project: Project, moto_server: str, tmp_path: Path
) -> None:
    env = setup(project, moto_server)
    failing = fake_terraform(
        tmp_path, 'echo "Error: Failed to query available provider packages" >&2; exit 1'
    )
    project.settings(f"terraform_bin: {failing}\n")
    result = project.gridsync("apply", "--auto-approve", env=env)
    assert result.returncode == ExitCode.ERROR
    assert "Failed to query available provider packages" in result.stderr
    assert "Traceback" not in result.stderr and set(project.live()) == {"grid-cloud"}


def test_terraform_runs_without_grid_or_github_credentials(
    project: Project, moto_server: str, tmp_path: Path
) -> None:
    env = setup(project, moto_server)
    dump = tmp_path / "terraform-env"
    recorder = fake_terraform(tmp_path, f'env > "{dump}"; echo "Error: recorded" >&2; exit 1')
    project.settings(f"terraform_bin: {recorder}\n")
    secrets = {
        "GRID_USER_ID": "grid-user-0123",
        "GRID_API_KEY": "grid-key-0123",
        "GITHUB_TOKEN": "ghs_token0123",
        "GH_TOKEN": "gh0",
    }
    result = project.gridsync("plan", "--backend", "local", env={**env, **secrets})
    assert result.returncode == ExitCode.ERROR and "Error: recorded" in result.stderr
    seen = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert seen["AWS_ACCESS_KEY_ID"] == "testing" and seen["TF_IN_AUTOMATION"] == "1"
    assert not set(secrets) & set(seen)
    assert not any(value in dump.read_text() for value in secrets.values())


def test_a_module_whose_outputs_alone_change_updates_the_cluster(
    project: Project, moto_server: str
) -> None:
    env = setup(project, moto_server)
    assert project.gridsync("apply", "--auto-approve", env=env).returncode == 0
    moved = CLUSTER.replace("role/byoc", "role/byoc-v2")
    project.write("clusters/ml-byoc.yaml", moved)
    plan = project.gridsync("plan", "--detailed-exitcode", env=env)
    assert plan.returncode == ExitCode.CHANGES, plan.stdout + plan.stderr
    assert "Terraform: 0 to add, 0 to change, 0 to destroy, 1 output to change" in plan.stdout
    apply = project.gridsync("apply", "--auto-approve", env=env)
    assert apply.returncode == 0, apply.stdout + apply.stderr
    spec = project.live()["ml-byoc"].spec
    assert spec is not None and spec.role_arn == "arn:aws:iam::123456789012:role/byoc-v2"
    assert project.gridsync("plan", "--detailed-exitcode", env=env).returncode == 0


def test_in_ci_a_module_without_a_backend_is_refused_before_anything_runs(
    project: Project, moto_server: str
) -> None:
    env = {**setup(project, moto_server), "CI": "true"}
    plan = project.gridsync("plan", env=env)
    assert plan.returncode == ExitCode.BLOCKED, plan.stdout + plan.stderr
    assert "declares no backend" in plan.stdout + plan.stderr
    apply = project.gridsync("apply", "--auto-approve", env=env)
    assert apply.returncode == ExitCode.BLOCKED
    assert set(project.live()) == {"grid-cloud"}
    assert not (project.root / ".gridsync" / "terraform" / "ml-byoc" / "terraform.tfstate").exists()

    # A runner that keeps .gridsync/ says so; a module with a backend needs nothing.
    project.settings(f"terraform_bin: {TERRAFORM}\nterraform_local_state: true\n")
    assert project.gridsync("plan", env=env).returncode == 0
    project.settings(f"terraform_bin: {TERRAFORM}\n")
    state = project.root.parent / "kept-state" / "ml-byoc.tfstate"
    backend = f'terraform {{\n  backend "local" {{\n    path = "{state}"\n  }}\n}}\n'
    (project.root / "infra" / "byoc" / "backend.tf").write_text(backend)
    assert project.gridsync("apply", "--auto-approve", env=env).returncode == 0
    assert state.is_file() and project.live()["ml-byoc"].phase == Phase.RUNNING


def test_a_delete_killed_before_terraform_destroy_is_finished_by_the_next_apply(
    project: Project, moto_server: str, tmp_path: Path
) -> None:
    env = setup(project, moto_server)
    assert project.gridsync("apply", "--auto-approve", env=env).returncode == 0
    state = project.root / ".gridsync" / "terraform" / "ml-byoc" / "terraform.tfstate"
    # Grid deletes the cluster, then gridsync is SIGKILLed as `terraform destroy` starts.
    killer = fake_terraform(
        tmp_path,
        f'case " $* " in *" destroy "*) kill -9 $PPID; exit 1;; esac\nexec {TERRAFORM} "$@"',
    )
    project.settings(f"terraform_bin: {killer}\nprune: true\nmanaged: ['ml-*']\n")
    (project.root / "clusters" / "ml-byoc.yaml").unlink()
    killed = project.gridsync("apply", "--auto-approve", "--allow-prune-all", env=env)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert "ml-byoc" not in project.live() and '"outputs": {}' not in state.read_text()

    project.settings(f"terraform_bin: {TERRAFORM}\nprune: true\nmanaged: ['ml-*']\n")
    every = "--allow-prune-all"  # no cluster file left: plan and apply must be told it is meant
    plan = project.gridsync("plan", "--detailed-exitcode", every, env=env)
    assert plan.returncode == ExitCode.CHANGES, plan.stdout + plan.stderr
    assert "stopped before `terraform destroy`" in plan.stdout
    assert "terraform destroy once the cluster is gone" in plan.stdout
    rerun = project.gridsync("apply", "--auto-approve", every, env=env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "terraform destroy done" in rerun.stderr
    assert '"outputs": {}' in state.read_text()  # the module's outputs are destroyed
    assert project.gridsync("plan", "--detailed-exitcode", every, env=env).returncode == 0
    applied = (project.root / ".gridsync" / "applied.json").read_text()
    assert "ml-byoc" not in applied
    assert project.gridsync("drift", env=env).returncode == 0
