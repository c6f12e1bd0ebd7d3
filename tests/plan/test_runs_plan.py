"""Run configs in the plan: edits for bound files, targets, blocked deletes, dangling references."""

from __future__ import annotations

import pytest
from factories import desired, live, live_state

from gridsync.config.desired import DesiredState, RunConfig
from gridsync.errors import ConfigError
from gridsync.live.backend import LiveCluster
from gridsync.plan.changes import Plan
from gridsync.plan.diff import Policy, compute_plan
from gridsync.spec import Phase, Source


def run(path: str, cluster: str | None, bound_to: str | None = None) -> RunConfig:
    text = "compute:\n  provider:\n    cluster: " + (cluster or "~") + "\n"
    return RunConfig(path, "run", cluster, Source(path, 3, 14), bound_to, text)


def plan(
    clusters: list, runs: list[RunConfig], live_clusters: list[LiveCluster], **policy: object
) -> Plan:  # type: ignore[type-arg]
    files = tuple(sorted({c.source.path for c in clusters}))
    desired_state = DesiredState(
        tuple(sorted(clusters, key=lambda c: c.name)), files, runs=tuple(runs)
    )
    return compute_plan(desired_state, live_state(*live_clusters), Policy(**policy), "test")  # type: ignore[arg-type]


def test_bound_file_to_an_existing_cluster_gets_its_id() -> None:
    result = plan(
        [desired("ml-a")],
        [run("runs/x.yaml", "old", "ml-a")],
        [live("ml-a", cluster_id="id-a"), live("old")],
    )
    (edit,) = result.run_edits
    assert (edit.path, edit.cluster, edit.before, edit.after_id) == (
        "runs/x.yaml",
        "ml-a",
        "old",
        "id-a",
    )
    assert "-    cluster: old\n+    cluster: id-a\n" in edit.diff
    assert result.has_changes and dict(result.run_targets) == {"ml-a": ("runs/x.yaml",)}


def test_bound_file_to_a_new_cluster_is_known_after_apply() -> None:
    (edit,) = plan([desired("ml-a")], [run("runs/x.yaml", None, "ml-a")], []).run_edits
    assert edit.after_id is None and "'(known after apply)'" in edit.diff


def test_bound_file_already_right_is_no_edit() -> None:
    result = plan([desired("ml-a")], [run("runs/x.yaml", "ml-a", "ml-a")], [live("ml-a")])
    assert result.run_edits == () and not result.has_changes


def test_unbound_references_by_name_or_id_resolve_to_the_cluster() -> None:
    runs = [
        run("runs/by-id.yaml", "id-b"),
        run("runs/by-name.yaml", "ml-b"),
        run("runs/declared.yaml", "ml-a"),
    ]
    result = plan([desired("ml-a")], runs, [live("ml-b", cluster_id="id-b")])
    assert dict(result.run_targets) == {
        "ml-a": ("runs/declared.yaml",),
        "ml-b": ("runs/by-id.yaml", "runs/by-name.yaml"),
    }


def test_dangling_reference_is_an_error_at_its_line() -> None:
    with pytest.raises(ConfigError) as caught:
        plan([desired("ml-a")], [run("runs/x.yaml", "ml-gone")], [])
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.path, diagnostic.line, diagnostic.col) == ("runs/x.yaml", 3, 14)


def test_delete_blocked_while_runs_target_it_unless_moved_in_the_same_plan() -> None:
    blocked = plan(
        [], [run("runs/x.yaml", "ml-old")], [live("ml-old")], prune=True, managed=("ml-*",)
    )
    assert "run configs still point to 'ml-old': runs/x.yaml" in blocked.changes[0].blocked
    moved = plan(
        [desired("ml-new")],
        [run("runs/x.yaml", "ml-old", "ml-new")],
        [live("ml-old")],
        prune=True,
        managed=("ml-*",),
    )
    assert {c.name: c.blocked for c in moved.changes} == {"ml-new": "", "ml-old": ""}


REPLACE_CASES = [
    # (id, run config, live phase, blocked): a replace keeps the name, so only a file left
    # naming the old id (not bound, so apply does not re-point it) would point nowhere.
    ("bound file, by name", run("runs/x.yaml", "ml-a", "ml-a"), Phase.RUNNING, False),
    ("bound file, by old id", run("runs/x.yaml", "id-a", "ml-a"), Phase.RUNNING, False),
    ("unbound file, by name", run("runs/x.yaml", "ml-a"), Phase.RUNNING, False),
    ("unbound file, by old id", run("runs/x.yaml", "id-a"), Phase.RUNNING, True),
    ("FAILED: unbound file by old id", run("runs/x.yaml", "id-a"), Phase.FAILED, False),
    ("FAILED: bound file", run("runs/x.yaml", "id-a", "ml-a"), Phase.FAILED, False),
]


@pytest.mark.parametrize(
    ("run_config", "phase", "blocked"),
    [case[1:] for case in REPLACE_CASES],
    ids=[case[0] for case in REPLACE_CASES],
)
def test_replace_is_blocked_only_by_files_left_on_the_old_id(
    run_config: RunConfig, phase: str, blocked: bool
) -> None:
    result = plan(
        [desired("ml-a", region="eu-west-1")],
        [run_config],
        [live("ml-a", phase, cluster_id="id-a")],
        allow_replace=True,
    )
    (change,) = result.changes
    assert change.action == "replace"
    assert ("run configs still point to 'ml-a'" in change.blocked) is blocked, change.blocks


def test_failed_bound_cluster_is_replaced_without_allow_replace() -> None:
    result = plan(
        [desired("ml-a")],
        [run("runs/x.yaml", "id-a", "ml-a")],
        [live("ml-a", Phase.FAILED, cluster_id="id-a")],
    )
    (change,) = result.changes
    assert change.action == "replace" and change.blocks == ()
    (edit,) = result.run_edits
    assert edit.after_id is None  # the new id is known after the create


def test_every_block_of_a_change_is_reported_at_once() -> None:
    """A region change on a cluster an unbound file names by id, over max_deletes, without
    --allow-replace: three reasons in one plan, not one per round."""
    result = plan(
        [desired("ml-a", region="eu-west-1")],
        [run("runs/x.yaml", "id-a")],
        [live("ml-a", cluster_id="id-a")],
        max_deletes=0,
    )
    (change,) = result.changes
    assert len(change.blocks) == 3, change.blocks
    assert "--allow-replace" in change.blocks[0]
    assert any("max_deletes is 0" in why for why in change.blocks)
    assert any("run configs still point to" in why for why in change.blocks)
