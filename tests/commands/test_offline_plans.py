"""Offline planning, in-process: `live` snapshots, `plan --live` with no backend, the
grid-commands output (moved from tests/e2e/test_offline.py; every check kept)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import Project

from gridsync.commands.apply import ApplyOptions, apply
from gridsync.commands.live import live
from gridsync.commands.plan import PlanOptions, plan
from gridsync.errors import ExitCode


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.at(tmp_path / "repo", settings=True)


def _apply(project: Project, env: dict[str, str] | None = None) -> None:
    done = project.call(apply, ApplyOptions(auto_approve=True), env=env, confirm=None)
    assert done.code == ExitCode.OK, done.message or done.out + done.err


def test_snapshot_then_plan_against_it_with_no_backend(project: Project) -> None:
    project.cluster("ml-a", external_id="${env:EXT}")
    _apply(project, {"EXT": "s3cr3t-ext"})
    snap = project.call(live, "json", None)
    assert snap.code == ExitCode.OK, snap.message
    assert "s3cr3t-ext" not in snap.out and "roleArn" not in snap.out
    (project.root / "snap.json").write_text(snap.out)
    (project.root / ".gridsync" / "grid.db").unlink()  # no live backend at all from here on
    project.cluster("ml-a", external_id="${env:EXT}", cost_savings="true")
    options = PlanOptions(live=Path("snap.json"), detailed_exitcode=True)
    planned = project.call(plan, options)  # EXT unset: a fork PR
    assert planned.code == ExitCode.CHANGES, planned.message or planned.out + planned.err
    assert "snapshot snap.json (role_arn and external_id not compared)" in planned.out
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in planned.out
    assert not (project.root / ".gridsync" / "grid.db").exists()


def test_live_table_looks_like_grid_clusters(project: Project) -> None:
    project.cluster("ml-a")
    _apply(project)
    table = project.call(live, "table", None).out.splitlines()
    assert table[1].split("|")[1:-1] == [
        " id     ",
        " name       ",
        " type       ",
        " status  ",
        " created  ",
    ]
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[1:-1]]
        for line in table[3:-1]
    }
    assert rows["prod-2"][:4] == ["prod-2", "grid-cloud", "grid-cloud", "running"]
    assert rows["ml-a"][:4] == ["ml-a", "ml-a", "byoc", "running"]


def test_plan_against_grid_clusters_text(project: Project) -> None:
    (project.root / "clusters.txt").write_text(
        "┃ id   ┃ name ┃ type ┃ status  ┃ created    ┃\n│ ml-a │ ml-a │ byoc │ running │ 2 days ago │\n"
    )
    project.cluster("ml-a", region="eu-west-1")
    project.cluster("ml-b")
    planned = project.call(plan, PlanOptions("json", live=Path("clusters.txt")))
    assert planned.code == ExitCode.OK, planned.message
    data = json.loads(planned.out)
    assert {c["name"]: c["action"] for c in data["changes"]} == {"ml-a": "no-op", "ml-b": "create"}
    assert "existence and status only" in data["backend"]


def test_grid_commands_format(project: Project) -> None:
    project.cluster("ml-a", context="true")
    result = project.call(plan, PlanOptions("grid-commands"))
    assert result.code == ExitCode.OK
    assert result.out.startswith("#!/usr/bin/env bash\n")
    assert "grid clusters aws 'ml-a' \\\n" in result.out
    # an external id's default is a secret like the id: the script needs the variable
    assert '--external-id "${E2E_EXTERNAL_ID}"' in result.out
    assert ': "${E2E_EXTERNAL_ID:?set E2E_EXTERNAL_ID}"' in result.out
    assert "ext-e2e-secret" not in result.out
    assert "grid user set-cluster-context 'ml-a'" in result.out
