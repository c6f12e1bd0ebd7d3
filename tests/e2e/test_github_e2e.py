"""`gridsync` in GitHub Actions: annotations, step summary and outputs, the sticky comment."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import Project

sys.path.insert(0, str(Path(__file__).parents[1] / "github"))
from fake_github import FakeGitHub

from gridsync.errors import ExitCode


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub().running() as server:
        yield server


def actions_env(project: Project, fake: FakeGitHub, pr: int = 7) -> dict[str, str]:
    return fake.actions_env(project.root.parent, {"pull_request": {"number": pr}})


def test_plan_in_actions_annotates_summarises_and_sets_outputs(
    project: Project, fake: FakeGitHub
) -> None:
    project.cluster("ml-a")
    project.cluster("ml-old")
    assert project.gridsync("apply", "--auto-approve").returncode == 0
    (project.root / "clusters" / "ml-old.yaml").unlink()
    project.cluster("ml-new")
    project.settings("prune: true\nmanaged: ['ml-*']\n")
    env = actions_env(project, fake)
    result = project.gridsync("plan", "--out", "plan.json", env=env)
    assert result.returncode == 0, result.stderr
    assert "::warning" in result.stdout and "ml-old" in result.stdout
    summary = (project.root.parent / "summary.md").read_text()
    assert summary.startswith("### Plan: 1 to create, 0 to update, 0 to replace, 1 to delete.")
    outputs = dict(
        line.split("=", 1) for line in (project.root.parent / "output.txt").read_text().splitlines()
    )
    plan_id = json.loads((project.root / "plan.json").read_text())["plan_id"]
    assert outputs == {
        "has_changes": "true",
        "creates": "1",
        "updates": "0",
        "replaces": "0",
        "deletes": "1",
        "plan_id": plan_id,
    }


def test_validation_errors_become_annotations(project: Project, fake: FakeGitHub) -> None:
    project.write("clusters/bad.yaml", "apiVersion: gridsync/v1\nkind: Cluster\nname: Bad_Name\n")
    result = project.gridsync("validate", env=actions_env(project, fake))
    assert result.returncode == ExitCode.ERROR
    assert "::error file=clusters/bad.yaml,line=3,col=7" in result.stdout


def test_one_sticky_comment_updated_on_every_push(project: Project, fake: FakeGitHub) -> None:
    env = actions_env(project, fake)
    project.cluster("ml-a")
    first = project.gridsync("plan", "--out", "plan.json", env=env)
    assert first.returncode == 0
    assert project.gridsync("comment", "--plan-file", "plan.json", env=env).returncode == 0
    project.cluster("ml-b")  # the next push
    assert project.gridsync("plan", "--comment", env=env).returncode == 0
    comments = fake.comments[7]
    assert len(comments) == 1
    body = comments[0]["body"]
    assert body.startswith("<!-- gridsync:plan -->") and "ml-b" in body
    plan_id = json.loads(project.gridsync("plan", "--format", "json").stdout)["plan_id"]
    assert f"plan_id: {plan_id}" in body
    assert "ext-e2e-secret" not in body
    assert [r.method for r in fake.requests if "comments" in r.path] == [
        "GET",
        "POST",
        "GET",
        "PATCH",
    ]
