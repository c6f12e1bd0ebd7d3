"""The local Grid control plane, through its public API, on a real SQLite file and a fake clock."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gridsync.config.desired import LocalBackendSettings
from gridsync.errors import BackendError, ClusterExists, ClusterNotFound, InvalidArgument
from gridsync.live import wire
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.localgrid.store import Store
from gridsync.spec import ClusterSpec, ClusterType, InstanceType, Phase

STATE = Path(".gridsync/grid.db")
SETTINGS = LocalBackendSettings(
    state=STATE, queued_seconds=10, provision_seconds=100, delete_seconds=50
)
SPEC = ClusterSpec(
    region="us-east-1",
    role_arn="arn:aws:iam::123456789012:role/grid",
    external_id="ext-1",
    instance_types=(InstanceType("t3.medium"), InstanceType("p3.2xlarge", 1, 200)),
)
DELETED = Phase.DELETED.value


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def plane(tmp_path: Path, clock: FakeClock) -> LocalControlPlane:
    return LocalControlPlane(SETTINGS, root=tmp_path, clock=clock.now)


def _aws(body: dict[str, Any]) -> dict[str, Any]:
    aws: dict[str, Any] = body["spec"]["driver"]["kubernetes"]["aws"]
    return aws


def _ids(listing: dict[str, Any]) -> list[str]:
    return [c["id"] for c in listing["clusters"]]


def test_fresh_state_holds_only_the_global_cluster(
    plane: LocalControlPlane, tmp_path: Path
) -> None:
    state = plane.list_clusters()
    assert (tmp_path / STATE).is_file()
    assert [(c.id, c.name, c.cluster_type, c.phase) for c in state.clusters] == [
        ("prod-2", "grid-cloud", ClusterType.GLOBAL, Phase.RUNNING)
    ]
    assert state.clusters[0].spec is None
    assert (state.context, state.default_cluster) == (None, "prod-2")
    assert plane.description == "local control plane (.gridsync/grid.db)"


def test_lifecycle_queued_pending_running(plane: LocalControlPlane, clock: FakeClock) -> None:
    created = plane.create("prod-use1", SPEC)
    assert (created.id, created.name, created.phase) == ("prod-use1", "prod-use1", Phase.QUEUED)
    assert created.created_at == "2023-11-14T22:13:20Z"
    assert created.spec == SPEC
    assert created.provisioning
    clock.advance(9.9)
    assert plane.get("prod-use1").phase == Phase.QUEUED
    clock.advance(0.1)
    assert plane.get("prod-use1").phase == Phase.PENDING
    clock.advance(100)
    running = plane.get("prod-use1")
    assert (running.phase, running.status, running.reason) == (Phase.RUNNING, "running", "")
    assert plane.list_clusters().by_id()["prod-use1"] == running


def test_created_cluster_is_grids_wire_object(plane: LocalControlPlane, clock: FakeClock) -> None:
    plane.create("prod-use1", SPEC)
    clock.advance(200)
    body = plane.get_wire("prod-use1")
    assert set(body) == {"id", "name", "createdAt", "spec", "status"}
    assert body["spec"]["userId"] == "local-user"
    assert body["spec"]["desiredState"] == Phase.RUNNING
    assert body["spec"]["clusterType"] == ClusterType.BYOC
    assert body["status"] == {
        "phase": Phase.RUNNING,
        "lastHealthcheckTimestamp": "2023-11-14T22:15:10Z",
    }


def test_an_answer_is_the_callers_own_changing_it_changes_nothing_stored(
    plane: LocalControlPlane, clock: FakeClock
) -> None:
    """Wire objects are not copied on the way out (each read parses the stored rows afresh):
    a caller that edits one, nested values included, leaves the state as it was."""
    plane.create("prod-use1", SPEC)
    clock.advance(200)
    before = plane.list_wire()
    for answer in (plane.list_wire()["clusters"][-1], plane.get_wire("prod-use1")):
        answer["spec"]["driver"]["kubernetes"]["aws"]["region"] = "changed"
        answer["status"]["phase"] = "changed"
        answer["name"] = "changed"
    assert plane.list_wire() == before
    assert plane.get("prod-use1").spec == SPEC


def test_injected_failure_for_a_later_create(plane: LocalControlPlane, clock: FakeClock) -> None:
    plane.inject_failure("prod-use1", "quota exceeded: vCPU")
    plane.create("prod-use1", SPEC)
    clock.advance(110)
    failed = plane.get("prod-use1")
    assert (failed.phase, failed.reason, failed.status) == (
        Phase.FAILED,
        "quota exceeded: vCPU",
        "failed",
    )


def test_injected_failure_for_a_cluster_provisioning_now(
    plane: LocalControlPlane, clock: FakeClock
) -> None:
    plane.create("prod-use1", SPEC)
    clock.advance(20)
    plane.inject_failure("prod-use1", "role cannot be assumed")
    assert plane.get("prod-use1").phase == Phase.PENDING
    clock.advance(90)
    assert plane.get("prod-use1").reason == "role cannot be assumed"


def test_injected_failure_is_used_once(plane: LocalControlPlane, clock: FakeClock) -> None:
    plane.inject_failure("prod-use1", "boom")
    plane.create("prod-use1", SPEC)
    plane.delete("prod-use1", force=True)
    plane.create("prod-use1", SPEC)
    clock.advance(110)
    assert plane.get("prod-use1").phase == Phase.RUNNING


def test_delete_goes_terminating_then_gone(plane: LocalControlPlane, clock: FakeClock) -> None:
    plane.create("prod-use1", SPEC)
    clock.advance(110)
    plane.delete("prod-use1")
    terminating = plane.get("prod-use1")
    assert (terminating.phase, terminating.desired_state) == (Phase.RUNNING, Phase.DELETED)
    assert terminating.terminating and terminating.status == "terminating"
    with pytest.raises(ClusterExists):
        plane.create("prod-use1", SPEC)
    with pytest.raises(InvalidArgument, match="terminating"):
        plane.update("prod-use1", SPEC)
    clock.advance(50)
    assert "prod-use1" not in plane.list_clusters().by_id()
    with pytest.raises(ClusterNotFound):
        plane.get("prod-use1")
    assert _ids(plane.list_wire(phase_in=[DELETED])) == ["prod-use1"]
    assert plane.list_wire(phase_in=[DELETED])["clusters"][0]["status"]["phase"] == DELETED


def test_a_deleted_name_can_be_created_again(plane: LocalControlPlane, clock: FakeClock) -> None:
    plane.create("prod-use1", SPEC)
    plane.delete("prod-use1")
    clock.advance(50)
    again = plane.create("prod-use1", SPEC)
    assert (again.phase, again.desired_state) == (Phase.QUEUED, Phase.RUNNING)
    assert plane.list_wire(phase_in=[DELETED])["clusters"] == []


def test_delete_of_a_provisioning_cluster_keeps_its_phase(
    plane: LocalControlPlane, clock: FakeClock
) -> None:
    plane.create("prod-use1", SPEC)
    plane.delete("prod-use1")
    clock.advance(30)
    assert plane.get("prod-use1").phase == Phase.QUEUED
    clock.advance(20)
    with pytest.raises(ClusterNotFound):
        plane.get("prod-use1")


def test_force_delete_forgets_at_once(plane: LocalControlPlane) -> None:
    plane.create("prod-use1", SPEC)
    plane.delete("prod-use1", force=True)
    with pytest.raises(ClusterNotFound):
        plane.get("prod-use1")
    assert "prod-use1" not in _ids(plane.list_wire())


def test_update_keeps_server_owned_fields(plane: LocalControlPlane, clock: FakeClock) -> None:
    plane.create("prod-use1", SPEC)
    clock.advance(110)
    body = plane.get_wire("prod-use1")
    body["spec"].update({"gridletVersion": "0.9.1", "costFactor": 1.25})
    _aws(body)["bucketName"] = "grid-prod-use1-bucket"
    _aws(body)["instanceTypes"][1]["futureField"] = "kept"
    plane.put_wire("prod-use1", {"name": "prod-use1", "spec": body["spec"]})
    stored = plane.get_wire("prod-use1")["spec"]

    new = ClusterSpec(
        SPEC.region,
        SPEC.role_arn,
        "ext-2",
        (InstanceType("p3.2xlarge", 1, 200), InstanceType("t3.large")),
    )
    updated = plane.update("prod-use1", new)

    assert updated.spec == new
    after = plane.get_wire("prod-use1")
    assert after["spec"]["userId"] == "local-user"
    assert (after["spec"]["gridletVersion"], after["spec"]["costFactor"]) == ("0.9.1", 1.25)
    assert _aws(after)["bucketName"] == "grid-prod-use1-bucket"
    assert _aws(after)["instanceTypes"] == [
        {
            "name": "p3.2xlarge",
            "overprovisionedOndemandCount": 1,
            "rootVolumeSize": 200,
            "futureField": "kept",
        },
        {"name": "t3.large"},
    ]
    assert {k: v for k, v in after["spec"].items() if k != "driver"} == {
        k: v for k, v in stored.items() if k != "driver"
    }
    assert plane.get("prod-use1").phase == Phase.RUNNING


def test_put_wire_replaces_the_spec_but_not_server_owned_fields(plane: LocalControlPlane) -> None:
    plane.create("prod-use1", SPEC)
    spec = wire.spec_to_wire(SPEC)
    spec.update({"userId": "someone-else", "desiredState": DELETED, "paddingFactor": 2})
    response = plane.put_wire("prod-use1", {"name": "prod-use1", "spec": spec})
    assert "createdAt" not in response
    assert response["spec"]["userId"] == "local-user"
    assert response["spec"]["desiredState"] == Phase.RUNNING
    assert response["spec"]["paddingFactor"] == 2
    assert plane.get_wire("prod-use1")["spec"] == response["spec"]


def test_put_wire_refuses_a_rename(plane: LocalControlPlane) -> None:
    plane.create("prod-use1", SPEC)
    with pytest.raises(InvalidArgument, match="renamed"):
        plane.put_wire("prod-use1", {"name": "prod-use2", "spec": wire.spec_to_wire(SPEC)})


def test_cluster_exists(plane: LocalControlPlane) -> None:
    plane.create("prod-use1", SPEC)
    with pytest.raises(ClusterExists, match="prod-use1"):
        plane.create("prod-use1", SPEC)
    with pytest.raises(ClusterExists):
        plane.create("prod-2", SPEC)


@pytest.mark.parametrize("call", ["get", "update", "delete", "set_context", "get_wire"])
def test_cluster_not_found(plane: LocalControlPlane, call: str) -> None:
    args: dict[str, tuple[Any, ...]] = {"update": ("nope", SPEC)}
    with pytest.raises(ClusterNotFound, match="'nope'"):
        getattr(plane, call)(*args.get(call, ("nope",)))


def test_invalid_arguments(plane: LocalControlPlane) -> None:
    arm = ClusterSpec("us-east-1", "arn:r", "e", (InstanceType("m6g.large"),))
    with pytest.raises(InvalidArgument, match="invalid cluster name"):
        plane.create("Prod_1", SPEC)
    with pytest.raises(InvalidArgument, match=r"m6g\.large"):
        plane.create("prod-arm", arm)
    plane.create("prod-use1", SPEC)
    with pytest.raises(InvalidArgument, match=r"m6g\.large"):
        plane.update("prod-use1", arm)
    with pytest.raises(InvalidArgument, match="shared cloud"):
        plane.delete("prod-2")
    with pytest.raises(InvalidArgument, match="shared cloud"):
        plane.update("prod-2", SPEC)
    with pytest.raises(InvalidArgument, match="request body"):
        plane.create_wire({"name": "x"})
    assert sorted(_ids(plane.list_wire())) == ["prod-2", "prod-use1"]
    assert plane.get("prod-use1").spec == SPEC


def test_global_is_seeded_once_and_state_is_shared(tmp_path: Path, clock: FakeClock) -> None:
    first = LocalControlPlane(SETTINGS, root=tmp_path, clock=clock.now)
    first.create("prod-use1", SPEC)
    first.set_context("prod-use1")
    second = LocalControlPlane(SETTINGS, root=tmp_path, clock=clock.now)
    assert _ids(second.list_wire(type_in=[ClusterType.GLOBAL])) == ["prod-2"]
    state = second.list_clusters()
    assert [c.id for c in state.clusters] == ["prod-2", "prod-use1"]
    assert state.context == "prod-use1"


def test_list_filters(plane: LocalControlPlane, clock: FakeClock) -> None:
    plane.create("a-running", SPEC)
    clock.advance(110)
    plane.create("b-pending", SPEC)
    plane.create("c-gone", SPEC)
    plane.delete("c-gone")
    clock.advance(50)
    running, pending = Phase.RUNNING.value, Phase.PENDING.value
    # Sorted by name: prod-2 is "grid-cloud".
    assert _ids(plane.list_wire()) == ["a-running", "b-pending", "c-gone", "prod-2"]
    assert _ids(plane.list_wire(phase_in=[running])) == ["a-running", "prod-2"]
    assert _ids(plane.list_wire(phase_in=[running, pending])) == [
        "a-running",
        "b-pending",
        "prod-2",
    ]
    assert _ids(plane.list_wire(phase_not_in=[DELETED])) == ["a-running", "b-pending", "prod-2"]
    assert _ids(plane.list_wire(phase_not_in=[DELETED, running])) == ["b-pending"]
    assert _ids(plane.list_wire(type_in=[ClusterType.BYOC], phase_not_in=[DELETED])) == [
        "a-running",
        "b-pending",
    ]
    assert _ids(plane.list_wire(type_not_in=[ClusterType.BYOC])) == ["prod-2"]
    assert plane.list_wire()["defaultCluster"] == "prod-2"


def test_threads_creating_the_same_name(plane: LocalControlPlane) -> None:
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            plane.create("race", SPEC)
            outcomes.append("created")
        except ClusterExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created"] + ["exists"] * 7


RACE_SCRIPT = """
import sys, time
from pathlib import Path
from gridsync.config.desired import LocalBackendSettings
from gridsync.errors import ClusterExists
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.localgrid.store import Store
from gridsync.spec import ClusterSpec, InstanceType

plane = LocalControlPlane(LocalBackendSettings(), root=Path(sys.argv[1]))
start_at = float(sys.argv[2])
while time.time() < start_at:
    time.sleep(0.001)
try:
    plane.create("race", ClusterSpec("us-east-1", "arn:r", "e", (InstanceType("t3.medium"),)))
    print("created")
except ClusterExists:
    print("exists")
"""


def test_two_processes_creating_the_same_name(tmp_path: Path) -> None:
    start_at = str(time.time() + 1.0)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACE_SCRIPT, str(tmp_path), start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=30) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    assert sorted(out.strip() for out, _ in results) == ["created", "exists"]
    state = LocalControlPlane(LocalBackendSettings(), root=tmp_path).list_clusters()
    assert [c.id for c in state.clusters] == ["prod-2", "race"]


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / ".gridsync").mkdir()
    (tmp_path / STATE).write_bytes(b"these are not the bytes of a database" * 100)
    plane = LocalControlPlane(SETTINGS, root=tmp_path)
    with pytest.raises(BackendError) as caught:
        plane.list_clusters()
    assert str(tmp_path / STATE) in caught.value.message
    assert "delete it to start over" in caught.value.hint


def test_a_database_of_something_else(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE users (id INTEGER)")
    conn.commit()
    conn.close()
    plane = LocalControlPlane(LocalBackendSettings(state=Path("other.db")), root=tmp_path)
    with pytest.raises(BackendError, match="something else"):
        plane.create("prod-use1", SPEC)


def test_a_damaged_cluster_row(plane: LocalControlPlane, tmp_path: Path) -> None:
    plane.list_clusters()
    conn = sqlite3.connect(tmp_path / STATE)
    conn.execute("UPDATE clusters SET body = '{not json' WHERE id = 'prod-2'")
    conn.commit()
    conn.close()
    with pytest.raises(BackendError, match="not valid JSON"):
        plane.list_clusters()


def test_a_read_only_state_file_is_a_permission_problem_not_damage(
    plane: LocalControlPlane, tmp_path: Path
) -> None:
    """Root ignores file modes, so the read-only error comes from SQLite itself (mode=ro)."""
    plane.list_clusters()  # creates the state file
    conn = sqlite3.connect(f"file:{tmp_path / STATE}?mode=ro", uri=True)
    with pytest.raises(sqlite3.Error) as caught:
        conn.execute("DELETE FROM gridsync_meta")
    conn.close()
    error = Store(tmp_path / STATE, seed=lambda conn: None)._sqlite_error(caught.value)
    assert "writable" in error.hint and "intact" in error.hint
    assert "delete" not in str(error)
