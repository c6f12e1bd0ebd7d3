"""Snapshots: what `gridsync live --output json` writes and `plan --live` reads, and `grid clusters` text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import GLOBAL, SECRET, desired, live, live_state, state

from gridsync.errors import GridsyncError, UsageError
from gridsync.live.snapshot import load_snapshot, to_snapshot
from gridsync.plan.changes import Action
from gridsync.plan.diff import Policy, compute_plan
from gridsync.spec import ClusterType, Phase

# As the grid CLI (rich) prints it, with a wrapped `created` cell (which a plan does not read).
GRID_CLUSTERS = """\
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━┓
┃ id                ┃ name              ┃ type       ┃ status      ┃ created    ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━┩
│ prod-2            │ grid-cloud        │ grid-cloud │ running     │ a year ago │
│ ml-a              │ ml-a              │ byoc       │ running     │ 2 days ago │
│ ml-very-long-name │ ml-very-long-name │ byoc       │ terminating │ 3 hours    │
│                   │                   │            │             │ ago        │
│ ml-b              │ ml-b              │ byoc       │ failed      │ an hour    │
│                   │                   │            │             │ ago        │
│ ml-gone           │ ml-gone           │ byoc       │ deleted     │ 5 days ago │
└───────────────────┴───────────────────┴────────────┴─────────────┴────────────┘
"""
# Through a pipe (80 columns): long names cut with "…", a name with a space wrapped.
UNREADABLE = [
    (
        "│ ml-xxxxxxxxxxxxx… │ ml-xxxxxxxxxxxxx… │ byoc │ running │ just now │\n",
        "id 'ml-xxxxxxxxxxxxx…' is cut",
    ),
    (
        "│ prod-2 │ Grid  │ grid-cloud │ running │ now │\n│        │ Cloud │            │         │     │\n",
        "name 'Grid' is wrapped",
    ),
    (
        "│ ml-very-long │ ml-very-long │ byoc │ running │ now │\n│ -name        │ -name        │      │         │     │\n",
        "id 'ml-very-long' is wrapped",
    ),
]


def write(tmp_path: Path, text: str, name: str = "live.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_snapshot_has_no_secrets_and_round_trips(tmp_path: Path) -> None:
    now = live_state(
        GLOBAL,
        live("ml-a", cost_savings=True),
        live("ml-b", Phase.FAILED, reason="quota"),
        context="ml-a",
    )
    text = json.dumps(to_snapshot(now, "local control plane (x.db)"))
    assert SECRET not in text and "roleArn" not in text and "externalId" not in text
    backend = load_snapshot(write(tmp_path, text, "snap.json"))
    again = backend.list_clusters()
    assert again.context == "ml-a" and again.default_cluster == "prod-2"
    by_name = again.by_name()
    assert by_name["ml-a"].spec is not None and by_name["ml-a"].spec.cost_savings
    assert by_name["ml-a"].unknown == {"role_arn", "external_id"}
    assert (by_name["ml-b"].phase, by_name["ml-b"].reason) == (Phase.FAILED, "quota")
    assert by_name["grid-cloud"].is_global and by_name["grid-cloud"].spec is None
    assert "role_arn and external_id not compared" in backend.description


def test_plan_against_a_json_snapshot_compares_what_it_holds(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(to_snapshot(live_state(live("ml-a")), "x")), "snap.json")
    backend = load_snapshot(path)
    same = compute_plan(
        state(desired("ml-a", external_id="other")),
        backend.list_clusters(),
        Policy(),
        backend.description,
    )
    assert same.changes[0].action == Action.NOOP  # external_id is not in snapshots
    moved = compute_plan(
        state(desired("ml-a", cost_savings=True)), backend.list_clusters(), Policy(), "x"
    )
    assert moved.changes[0].action == Action.UPDATE


def test_grid_clusters_table(tmp_path: Path) -> None:
    backend = load_snapshot(write(tmp_path, GRID_CLUSTERS))
    clusters = backend.list_clusters().by_name()
    assert set(clusters) == {
        "grid-cloud",
        "ml-a",
        "ml-very-long-name",
        "ml-b",
    }  # deleted ones hidden
    assert clusters["grid-cloud"].cluster_type == ClusterType.GLOBAL
    assert clusters["ml-very-long-name"].terminating
    assert clusters["ml-b"].phase == Phase.FAILED
    assert clusters["ml-a"].spec is None
    assert "existence and status only" in backend.description


def test_plan_against_a_table_compares_existence_and_status_only(tmp_path: Path) -> None:
    backend = load_snapshot(write(tmp_path, GRID_CLUSTERS))
    want = state(
        desired("ml-a", region="eu-west-1"),
        desired("ml-b"),
        desired("ml-new"),
        desired("ml-very-long-name"),
    )
    plan = compute_plan(want, backend.list_clusters(), Policy(), backend.description)
    actions = {c.name: c.action for c in plan.changes}
    assert actions == {
        "ml-a": Action.NOOP,
        "ml-b": Action.REPLACE,
        "ml-new": Action.CREATE,
        "ml-very-long-name": Action.NOOP,
    }
    assert any("being deleted" in n.message for n in plan.notes)


def test_the_runbook_table_without_type_column(tmp_path: Path) -> None:
    text = """\
┏━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ id                 ┃ name               ┃ status  ┃
┡━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
│ grid-cloud-prod    │ grid-cloud-prod    │ running │
│ ml-a               │ ml-a               │ running │
└────────────────────┴────────────────────┴─────────┘
"""
    clusters = load_snapshot(write(tmp_path, text)).list_clusters().by_name()
    assert (
        clusters["grid-cloud-prod"].is_global and clusters["ml-a"].cluster_type == ClusterType.BYOC
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"items": []}', "expected an object with a 'clusters' list"),
        ("just some text\n", "neither a JSON snapshot nor a `grid clusters` table"),
        ("| id | name | status |\n| ml-a | ml-a | exploding |\n", "status gridsync does not know"),
        # json.loads raises a plain ValueError and a RecursionError for these
        ('{"clusters": ' + "9" * 5000 + "}", "not a live snapshot: Exceeds the limit"),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, "not a live snapshot: nested too deeply"),
    ],
)
def test_bad_snapshots_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(GridsyncError, match=message):
        load_snapshot(write(tmp_path, text))


@pytest.mark.parametrize(("rows", "message"), UNREADABLE)
def test_a_table_with_cut_or_wrapped_cells_is_refused_not_guessed(
    tmp_path: Path, rows: str, message: str
) -> None:
    text = (
        "│ id │ name │ type │ status │ created │\n│ ml-a │ ml-a │ byoc │ running │ now │\n" + rows
    )
    with pytest.raises(GridsyncError, match=message) as caught:
        load_snapshot(write(tmp_path, text))
    assert f"live.txt:3: the {message.split()[0]}" in str(caught.value)
    assert "COLUMNS=250 grid clusters" in caught.value.hint


def test_a_snapshot_is_read_only(tmp_path: Path) -> None:
    backend = load_snapshot(write(tmp_path, GRID_CLUSTERS))
    with pytest.raises(UsageError, match="read-only"):
        backend.delete("ml-a")


def test_the_real_grid_cli_table() -> None:
    """What `grid clusters` (lightning-grid 0.8.81) printed against `local-grid serve` (docs/interop.md)."""
    path = Path(__file__).parents[1] / "data" / "snapshots" / "grid-clusters-0.8.81.txt"
    clusters = load_snapshot(path).list_clusters().by_name()
    assert {n: (c.cluster_type, c.status) for n, c in clusters.items()} == {
        "grid-cloud": (ClusterType.GLOBAL, "running"),
        "ml-cli": (ClusterType.BYOC, "running"),
    }
