"""Offline planning: `gridsync live` snapshots, `plan --live` with no backend, grid-commands output."""

from __future__ import annotations

import json

from builders import Project

from gridsync.errors import ExitCode


def test_snapshot_then_plan_against_it_with_no_backend(project: Project) -> None:
    project.cluster("ml-a", external_id="${env:EXT}")
    assert project.gridsync("apply", "--auto-approve", env={"EXT": "s3cr3t-ext"}).returncode == 0
    snap = project.gridsync("live", "--output", "json")
    assert snap.returncode == 0, snap.stderr
    assert "s3cr3t-ext" not in snap.stdout and "roleArn" not in snap.stdout
    (project.root / "snap.json").write_text(snap.stdout)
    (project.root / ".gridsync" / "grid.db").unlink()  # no live backend at all from here on
    project.cluster("ml-a", external_id="${env:EXT}", cost_savings="true")
    plan = project.gridsync(
        "plan", "--live", "snap.json", "--detailed-exitcode"
    )  # EXT unset: a fork PR
    assert plan.returncode == ExitCode.CHANGES, plan.stdout + plan.stderr
    assert "snapshot snap.json (role_arn and external_id not compared)" in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout
    assert not (project.root / ".gridsync" / "grid.db").exists()


def test_live_table_looks_like_grid_clusters(project: Project) -> None:
    project.cluster("ml-a")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    table = project.gridsync("live").stdout.splitlines()
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
    plan = project.gridsync("plan", "--live", "clusters.txt", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    data = json.loads(plan.stdout)
    assert {c["name"]: c["action"] for c in data["changes"]} == {"ml-a": "no-op", "ml-b": "create"}
    assert "existence and status only" in data["backend"]


def test_apply_refuses_a_snapshot(project: Project) -> None:
    (project.root / "snap.json").write_text('{"clusters": []}')
    result = project.gridsync("apply", "--auto-approve", "--live", "snap.json")
    assert result.returncode == ExitCode.ERROR  # no such option: apply always talks to a backend
    assert "No such option '--live'" in result.stderr


def test_grid_commands_format(project: Project) -> None:
    project.cluster("ml-a", context="true")
    result = project.gridsync("plan", "--format", "grid-commands")
    assert result.returncode == 0
    assert result.stdout.startswith("#!/usr/bin/env bash\n")
    assert "grid clusters aws 'ml-a' \\\n" in result.stdout
    # an external id's default is a secret like the id: the script needs the variable
    assert '--external-id "${E2E_EXTERNAL_ID}"' in result.stdout
    assert ': "${E2E_EXTERNAL_ID:?set E2E_EXTERNAL_ID}"' in result.stdout
    assert "ext-e2e-secret" not in result.stdout
    assert "grid user set-cluster-context 'ml-a'" in result.stdout
