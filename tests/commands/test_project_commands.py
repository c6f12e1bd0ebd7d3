"""Each subcommand that works on a project, called in-process through its command function
against the local control plane: outcome, exit code and output text (drift: test_drift_report.py).
The journeys (a real process's exit code, signals, TTY) stay in tests/e2e."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import Project

from gridsync.commands import local_grid
from gridsync.commands.apply import ApplyOptions, apply
from gridsync.commands.import_clusters import ImportOptions, import_clusters
from gridsync.commands.live import live
from gridsync.commands.plan import PlanOptions, plan
from gridsync.commands.preflight import preflight
from gridsync.commands.projects import projects
from gridsync.commands.validate import validate
from gridsync.errors import ExitCode

PLAN_ONE = "Plan: 1 to create, 0 to update, 0 to replace, 0 to delete."
NO_CHANGES = "No changes. 1 declared cluster matches live state."


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project.at(tmp_path / "repo", settings=True)
    project.cluster("ml-a")
    return project


def _apply(project: Project, **options: object) -> None:
    done = project.call(apply, ApplyOptions(auto_approve=True, **options), confirm=None)
    assert done.code == ExitCode.OK, done.message or done.err


def test_validate_counts_what_it_checked_and_reports_every_error_by_place(
    project: Project,
) -> None:
    ok = project.call(validate)
    assert (ok.code, ok.out) == (
        ExitCode.OK,
        "OK: 1 cluster(s) in 1 file(s) and 0 run config(s) are valid.\n",
    )
    project.write("clusters/bad.yaml", "apiVersion: gridsync/v1\nkind: Cluster\nname: Bad_Name\n")
    bad = project.call(validate)
    assert bad.code == ExitCode.ERROR
    assert "clusters/bad.yaml:3:7: error:" in bad.message
    assert "error(s) in the desired state" in bad.message


# Bound run configs gridsync cannot re-point, each for another reason the editor refuses.
UNEDITABLE = {
    "alias": "x: &a old\ncompute:\n  provider:\n    cluster: *a\n",
    "anchor reused": "compute: &c\n  provider:\n    cluster: old\nx: *c\n",
    "block scalar": "compute:\n  provider:\n    cluster: |-\n      old\n",
    "several lines": 'compute:\n  provider:\n    cluster: "old\\\n      -more"\n',
    "merge key": "b: &b {cluster: old}\ncompute:\n  provider:\n    <<: *b\n",
}


@pytest.mark.parametrize("text", UNEDITABLE.values(), ids=UNEDITABLE.keys())
def test_validate_refuses_the_bound_run_config_plan_cannot_edit(
    project: Project, text: str
) -> None:
    """validate passes only what a plan can carry out: the same errors at the same places."""
    project.cluster("ml-a", runs="[runs/*.yaml]")
    project.write("runs/train.yaml", text)
    checked, planned = project.call(validate), project.call(plan, PlanOptions())
    assert (checked.code, planned.code) == (ExitCode.ERROR, ExitCode.ERROR), checked.out
    assert planned.error is not None and checked.error is not None
    assert "cannot set compute.provider.cluster" in planned.message
    assert checked.error.diagnostics == planned.error.diagnostics


@pytest.mark.parametrize("runs", ["", "[runs/*.yaml]"], ids=["unbound", "bound"])
def test_a_run_config_grid_cannot_read_is_refused_by_validate_and_plan(
    project: Project, runs: str
) -> None:
    """A tab where Grid's loader refuses it (libyaml reads past it): bound or not."""
    project.cluster("ml-a", **({"runs": runs} if runs else {}))
    project.write("runs/train.yaml", "compute:\n  provider:\n    cluster:\tml-a\n")
    checked, planned = project.call(validate), project.call(plan, PlanOptions())
    assert (checked.code, planned.code) == (ExitCode.ERROR, ExitCode.ERROR)
    assert planned.error is not None and checked.error is not None
    assert "runs/train.yaml:3:13: error: Grid's loader (yaml.safe_load) cannot read" in (
        checked.message
    )
    assert checked.error.diagnostics == planned.error.diagnostics


def test_validate_passes_an_uneditable_bound_run_config_already_right(project: Project) -> None:
    """No edit is due (a plan passes it too), whatever way the value is written."""
    project.cluster("ml-a", runs="[runs/*.yaml]")
    project.write("runs/train.yaml", "compute:\n  provider:\n    cluster: |-\n      ml-a\n")
    assert project.call(validate).code == ExitCode.OK
    assert project.call(plan, PlanOptions()).code == ExitCode.OK


def test_plan_shows_the_create_saves_it_and_apply_makes_it_so(
    project: Project, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    planned = project.call(plan, PlanOptions(detailed_exitcode=True, out=saved))
    assert planned.code == ExitCode.CHANGES
    assert "+ ml-a  will be created" in planned.out and PLAN_ONE in planned.out
    assert "ext-e2e-secret" not in planned.out + saved.read_text()
    assert f"Saved the plan to {saved}" in planned.err

    applied = project.call(apply, ApplyOptions(saved, auto_approve=True), confirm=None)
    assert applied.code == ExitCode.OK, applied.message
    assert "Apply complete: 1 succeeded, 0 failed." in applied.out
    assert project.live()["ml-a"].phase == "CLUSTER_STATE_RUNNING"

    again = project.call(plan, PlanOptions(detailed_exitcode=True))
    assert (again.code, NO_CHANGES in again.out) == (ExitCode.OK, True)
    stale = project.call(apply, ApplyOptions(saved, auto_approve=True), confirm=None)
    assert stale.code == ExitCode.STALE_PLAN, stale.message


def test_apply_asks_changes_nothing_on_no_and_refuses_with_no_one_to_ask(
    project: Project,
) -> None:
    asked: list[str] = []
    declined = project.call(apply, ApplyOptions(), confirm=lambda q: bool(asked.append(q)))
    assert asked == ["Apply these changes? Only 'yes' is accepted"]
    assert (declined.code, declined.err) == (
        ExitCode.ERROR,
        "Apply cancelled; nothing was changed.\n",
    )
    no_tty = project.call(apply, ApplyOptions(), confirm=None)
    assert no_tty.code == ExitCode.ERROR
    assert no_tty.message.startswith("refusing to apply without confirmation")
    assert "ml-a" not in project.live()


def test_live_prints_the_snapshot_as_json_and_as_a_table(project: Project) -> None:
    _apply(project)
    snapshot = project.call(live, "json", None)
    assert snapshot.code == ExitCode.OK
    names = [c["name"] for c in json.loads(snapshot.out)["clusters"]]
    assert names == ["grid-cloud", "ml-a"]
    table = project.call(live, "table", None)
    assert "| ml-a   | ml-a       | byoc       | running |" in table.out


def test_import_writes_the_live_cluster_that_no_file_declares(project: Project) -> None:
    _apply(project)
    (project.root / "clusters" / "ml-a.yaml").unlink()
    refused = project.call(import_clusters, ImportOptions())
    assert refused.code == ExitCode.ERROR
    assert refused.message == (
        "name the clusters to import, or pass --all (not both)\n"
        "  hint: `gridsync live` lists the live clusters"
    )

    imported = project.call(import_clusters, ImportOptions(("ml-a",)))
    assert imported.code == ExitCode.OK, imported.message
    assert "clusters/ml-a.yaml" in imported.out
    assert project.call(plan, PlanOptions(detailed_exitcode=True)).code == ExitCode.OK
    again = project.call(import_clusters, ImportOptions(all=True))
    assert "ml-a: already declared at clusters/ml-a.yaml:2" in again.err  # after its comment


def test_projects_lists_a_fleet_and_says_when_there_is_none(project: Project) -> None:
    none = project.call(projects, False)
    assert none.out.startswith("gridsync.yaml defines no projects")
    project.write(
        "gridsync.yaml",
        "projects:\n  ml: {clusters: [ml/*.yaml]}\n  web: {clusters: [web/*.yaml]}\n",
    )
    listed = project.call(projects, True)
    assert [p["name"] for p in json.loads(listed.out)] == ["ml", "web"]
    picked = project.call(plan, PlanOptions())
    assert picked.code == ExitCode.ERROR
    assert "gridsync.yaml defines projects (ml, web): pass --project NAME" in picked.message


def test_preflight_names_an_undeclared_cluster_and_has_nothing_to_check_without_aws(
    project: Project,
) -> None:
    unknown = project.call(preflight, ("ml-z",))
    assert (unknown.code, unknown.message) == (
        ExitCode.ERROR,
        "not declared: ml-z\n  hint: name clusters from clusters/",
    )
    nothing = project.call(preflight, ())
    assert nothing.out == "No cluster declares aws: or infrastructure:; nothing to check.\n"


def test_local_grid_fail_makes_the_next_create_fail_and_reset_forgets_the_state(
    project: Project,
) -> None:
    armed = project.call(local_grid.fail, "ml-a", "quota exceeded")
    assert "The next provisioning of 'ml-a'" in armed.err and "quota exceeded" in armed.err
    failed = project.call(apply, ApplyOptions(auto_approve=True), confirm=None)
    assert failed.code == ExitCode.PARTIAL, failed.out
    assert "quota exceeded" in failed.out + failed.err

    state = project.root / ".gridsync" / "grid.db"
    assert project.call(local_grid.reset).err == f"Removed {state}.\n"
    assert not state.exists()
    assert project.call(local_grid.reset).err == f"No local state at {state}.\n"


def test_a_refused_apply_leaves_no_thread_opening_the_backend(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backend opens on a thread while the files load. When loading fails, apply waits for
    it and closes it: a thread left importing or opening SQLite into the interpreter's exit
    crashed the process now and then (a bad file's apply exited -11, not 1)."""
    import threading
    import time

    import gridsync.commands.apply as apply_module

    real_open = apply_module.open_backend
    closed: list[bool] = []

    def slow_open(*args: object, **kwargs: object) -> object:
        time.sleep(0.5)  # still opening when the bad file has been reported
        backend = real_open(*args, **kwargs)  # type: ignore[arg-type]
        real_close = backend.close

        def close() -> None:
            closed.append(True)
            real_close()

        backend.close = close  # type: ignore[method-assign]
        return backend

    monkeypatch.setattr(apply_module, "open_backend", slow_open)
    project.write("clusters/bad.yaml", "name: [unclosed\n")
    refused = project.call(apply, ApplyOptions(auto_approve=True), confirm=None)
    assert refused.code == ExitCode.ERROR, refused.err
    assert "YAML syntax error" in refused.message
    assert not [t for t in threading.enumerate() if t.name == "gridsync-open-backend"]
    assert closed == [True]
