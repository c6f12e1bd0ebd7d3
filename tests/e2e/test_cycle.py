"""plan -> apply -> plan cycles through the real command line."""

from __future__ import annotations

import json
import re

import jsonschema_rs
from builders import Project

from gridsync.errors import ExitCode
from gridsync.spec import Phase

SCHEMAS = __import__("pathlib").Path(__file__).parents[2] / "schemas"


def squash(text: str) -> str:
    """The text with runs of spaces folded, so assertions do not depend on column alignment."""
    return re.sub(r" +", " ", text)


def apply_ok(project: Project, *args: str) -> str:
    result = project.gridsync("apply", "--auto-approve", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_create_then_converged(project: Project) -> None:
    project.cluster("ml-a")
    project.cluster("ml-b", cost_savings="true")
    plan = project.gridsync("plan", "--detailed-exitcode")
    assert plan.returncode == ExitCode.CHANGES, plan.stderr
    assert plan.stdout.rstrip().endswith(
        "Plan: 2 to create, 0 to update, 0 to replace, 0 to delete."
    )
    apply_ok(project)
    live = project.live()
    assert {n: c.phase for n, c in live.items() if n != "grid-cloud"} == {
        "ml-a": Phase.RUNNING,
        "ml-b": Phase.RUNNING,
    }
    assert live["ml-b"].spec is not None and live["ml-b"].spec.cost_savings
    again = project.gridsync("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


def test_update_instance_types_and_toggle_cost_savings(project: Project) -> None:
    project.cluster("ml-a")
    apply_ok(project)
    project.cluster(
        "ml-a",
        instance_types="[t3.large, {name: p3.2xlarge, root_volume_size: 200}]",
        cost_savings="true",
    )
    plan = squash(project.gridsync("plan").stdout)
    assert "~ ml-a will be updated in place" in plan
    assert "+ instance_types[p3.2xlarge]: p3.2xlarge (root_volume_size=200)" in plan
    assert "- instance_types[g4dn.xlarge]: g4dn.xlarge" in plan
    assert "~ cost_savings: false -> true" in plan
    apply_ok(project)
    spec = project.live()["ml-a"].spec
    assert spec is not None and spec.cost_savings
    assert [(t.name, t.root_volume_size) for t in spec.instance_types] == [
        ("t3.large", None),
        ("p3.2xlarge", 200),
    ]
    assert project.gridsync("plan", "--detailed-exitcode").returncode == 0


def test_secrets_never_printed_or_saved(project: Project) -> None:
    secret = "ext-7Hq2-very-secret"
    project.cluster("ml-a", external_id="${env:MY_EXT_ID}")
    env = {"MY_EXT_ID": secret}
    outputs = [
        project.gridsync("plan", "--format", fmt, "--out", f"plan-{fmt}.json", env=env)
        for fmt in ("text", "markdown", "json")
    ]
    outputs.append(project.gridsync("apply", "--auto-approve", env=env))
    assert project.live()["ml-a"].spec.external_id == secret  # type: ignore[union-attr]
    project.cluster("ml-a", external_id="${env:MY_EXT_ID}", region="us-west-2")
    outputs.append(project.gridsync("plan", env={"MY_EXT_ID": secret + "-rotated"}))
    for result in outputs:
        assert secret not in result.stdout + result.stderr
    for fmt in ("text", "markdown", "json"):
        assert secret not in (project.root / f"plan-{fmt}.json").read_text()


def test_json_plan_validates_against_its_schema(project: Project) -> None:
    project.cluster("ml-a")
    project.cluster("ml-b")
    apply_ok(project)
    project.cluster("ml-a", cost_savings="true")
    (project.root / "clusters" / "ml-b.yaml").unlink()
    project.cluster("ml-c", context="true")
    project.settings("prune: true\nmanaged: ['ml-*']\n")
    result = project.gridsync("plan", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    schema = json.loads((SCHEMAS / "plan.schema.json").read_text())
    jsonschema_rs.Draft202012Validator(schema).validate(data)
    assert data["summary"] == {"create": 1, "update": 1, "replace": 0, "delete": 1, "no-op": 0}
    assert data["context"]["after"] == "ml-c"


def test_markdown_plan_for_a_pull_request(project: Project) -> None:
    project.cluster("ml-a")
    result = project.gridsync("plan", "--format", "markdown")
    assert result.stdout.startswith("### Plan: 1 to create")
    assert "\n+ region:" in result.stdout  # diff markers in column 0
    assert "\x1b[" not in result.stdout


def test_prune_off_lists_unmanaged_and_prune_on_deletes_only_managed(project: Project) -> None:
    for name in ("ml-a", "ml-old", "team-b"):
        project.cluster(name)
    apply_ok(project)
    for name in ("ml-old", "team-b"):
        (project.root / "clusters" / f"{name}.yaml").unlink()
    off = project.gridsync("plan", "--detailed-exitcode")
    assert off.returncode == 0, off.stdout
    assert "Unmanaged clusters (left alone): ml-old, team-b" in off.stdout
    project.settings("prune: true\nmanaged: ['ml-*']\n")
    on = squash(project.gridsync("plan").stdout)
    assert "- ml-old will be deleted" in on and "Unmanaged clusters (left alone): team-b" in on
    apply_ok(project)
    assert set(project.live()) == {"grid-cloud", "ml-a", "team-b"}


def test_prune_with_wildcard_never_touches_the_global_cluster(project: Project) -> None:
    project.settings("prune: true\nmanaged: ['*']\n")
    # No cluster files and a prune of everything asked for: still never Grid's global cluster.
    result = project.gridsync("apply", "--auto-approve", "--allow-prune-all")
    assert result.returncode == 0, result.stderr
    assert "grid-cloud" in project.live() and project.live()["grid-cloud"].phase == Phase.RUNNING


def test_protect_blocks_replace_and_prune(project: Project) -> None:
    project.cluster("ml-a", protect="true")
    project.cluster("ml-keep")
    apply_ok(project)
    project.cluster("ml-a", protect="true", region="us-west-2")
    (project.root / "clusters" / "ml-keep.yaml").unlink()
    project.settings("prune: true\nmanaged: ['ml-*']\nprotected: ['ml-keep']\n")
    for command in (["plan", "--allow-replace"], ["apply", "--auto-approve", "--allow-replace"]):
        result = project.gridsync(*command)
        assert result.returncode == ExitCode.BLOCKED, result.stdout + result.stderr
        assert "blocked" in result.stderr and "ml-a" in result.stderr and "ml-keep" in result.stderr
    live = project.live()
    assert live["ml-a"].spec.region == "us-east-1" and "ml-keep" in live  # type: ignore[union-attr]


def test_replace_refused_then_allowed(project: Project) -> None:
    project.cluster("ml-a")
    apply_ok(project)
    project.cluster("ml-a", region="us-west-2")
    refused = project.gridsync("apply", "--auto-approve")
    assert refused.returncode == ExitCode.BLOCKED
    assert "--allow-replace" in refused.stderr
    assert project.live()["ml-a"].spec.region == "us-east-1"  # type: ignore[union-attr]
    apply_ok(project, "--allow-replace")
    cluster = project.live()["ml-a"]
    assert (
        cluster.spec is not None
        and cluster.spec.region == "us-west-2"
        and cluster.phase == Phase.RUNNING
    )


def test_max_deletes_blocks_a_large_prune(project: Project) -> None:
    for i in range(3):
        project.cluster(f"ml-{i}")
    apply_ok(project)
    for i in range(3):
        (project.root / "clusters" / f"ml-{i}.yaml").unlink()
    project.settings("prune: true\nmanaged: ['ml-*']\nmax_deletes: 2\n")
    result = project.gridsync("apply", "--auto-approve", "--allow-prune-all")  # no files left
    assert result.returncode == ExitCode.BLOCKED
    assert "max_deletes is 2" in result.stderr
    assert {f"ml-{i}" for i in range(3)} <= set(project.live())


def test_context_is_set(project: Project) -> None:
    project.cluster("ml-a", context="true")
    assert "~ cluster context: (none) -> ml-a (known after apply)" in squash(
        project.gridsync("plan").stdout
    )
    apply_ok(project)
    assert project.plane().list_clusters().context == "ml-a"
    assert project.gridsync("plan", "--detailed-exitcode").returncode == 0
