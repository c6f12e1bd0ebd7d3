"""plan, apply and plan again through the command functions against OtherCloud, a control plane
whose model is not Grid's, wired in through the backend factory only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from backends.othercloud import OtherCloud
from builders import Project

from gridsync import backends as factory
from gridsync.commands.apply import ApplyOptions, apply
from gridsync.commands.plan import PlanOptions, plan
from gridsync.errors import ExitCode
from gridsync.live import wire

SETTINGS = "wait: {timeout: 10s, poll_max: 0.05s}\n"
CLUSTER = """\
apiVersion: gridsync/v1
kind: Cluster
name: {name}
provider: aws
region: eu-west-2
role_arn: arn:aws:iam::123456789012:role/grid
external_id: ext-{name}-secret
instance_types: [t3.large, {{name: g4dn.xlarge, root_volume_size: 200}}]
"""


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> OtherCloud:
    """One OtherCloud for every command of a test; Grid's wire mapping must never be reached."""
    found = OtherCloud()
    monkeypatch.setitem(factory.OPENERS, "othercloud", lambda settings, env: found)
    for name in ("cluster_from_wire", "spec_from_wire", "spec_to_wire", "blueprint"):
        monkeypatch.setattr(wire, name, _grid_wire_used)
    return found


def _grid_wire_used(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("Grid's wire format was used with OtherCloud")


def _project(root: Path, *extra: str) -> Project:
    project = Project.at(root)
    project.write("gridsync.yaml", SETTINGS)
    for name in ("ml-a", "ml-b"):
        text = CLUSTER.format(name=name) + "".join(f"{line}\n" for line in extra if name == "ml-a")
        project.write(f"clusters/{name}.yaml", text)
    return project


def _plan(project: Project) -> tuple[int, str]:
    done = project.call(plan, PlanOptions(backend="othercloud", detailed_exitcode=True))
    return done.code, done.out


def _apply(project: Project) -> tuple[int, str]:
    options = ApplyOptions(backend="othercloud", auto_approve=True)
    done = project.call(apply, options, confirm=None)
    return done.code, done.out


def test_plan_apply_and_plan_again_against_a_backend_whose_model_is_not_grids(
    tmp_path: Path, cloud: OtherCloud
) -> None:
    target = _project(tmp_path, "context: true")
    code, out = _plan(target)
    assert code == ExitCode.CHANGES
    assert "Plan: 2 to create, 0 to update, 0 to replace, 0 to delete." in out
    assert "OtherCloud (in memory)" in out
    assert "ext-ml-a-secret" not in out

    code, out = _apply(target)
    assert code == ExitCode.OK, out
    by_label = {r["label"]: (key, r) for key, r in cloud.deployments.items()}
    key, record = by_label["ml-a"]
    assert record["site"] == "eu-west-2"
    assert record["pools"] == [
        {"machine": "t3.large", "spare": None, "disk_gb": None},
        {"machine": "g4dn.xlarge", "spare": None, "disk_gb": 200},
    ]
    assert record["tier"] == "standard"
    assert cloud.current == key  # the context, kept where OtherCloud keeps it

    code, out = _plan(target)
    assert (code, out.strip()) == (ExitCode.OK, _no_changes(out))


def test_an_update_writes_only_the_managed_fields_and_settles(
    tmp_path: Path, cloud: OtherCloud
) -> None:
    target = _project(tmp_path)
    assert _apply(target)[0] == ExitCode.OK
    target = _project(tmp_path, "cost_savings: true")
    code, out = _plan(target)
    assert code == ExitCode.CHANGES
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in out
    assert "cost_savings" in out

    assert _apply(target)[0] == ExitCode.OK
    records = {r["label"]: r for r in cloud.deployments.values()}
    assert (records["ml-a"]["tier"], records["ml-b"]["tier"]) == ("economy", "standard")
    assert records["ml-a"]["owner"] == "othercloud-operator"  # the server's field, untouched
    code, out = _plan(target)
    assert (code, out.strip()) == (ExitCode.OK, _no_changes(out))


def _no_changes(out: str) -> str:
    """The plan's text, required to say there is nothing to do (returned for a readable diff)."""
    assert "No changes. 2 declared clusters match live state." in out, out
    return out.strip()
