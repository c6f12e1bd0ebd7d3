"""The local Grid server over real loopback sockets, driven with httpx as any Grid client would."""

from __future__ import annotations

import base64
import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from gridsync.config.desired import LocalBackendSettings
from gridsync.errors import UsageError
from gridsync.live import wire
from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.localgrid.faults import FaultInjector, FaultKind, FaultSettings
from gridsync.localgrid.server import MAX_BODY_BYTES, UNMATCHED_ROUTE, GridServer, ServerAuth
from gridsync.spec import ClusterSpec, InstanceType, Phase

KEY = "sekrit-KEY-7f3a9c"  # recognisable, so the log can be searched for it
AUTH = ServerAuth(user_id="user-123", api_key=KEY, username="ada", email="ada@example.test")
SETTINGS = LocalBackendSettings(queued_seconds=10, provision_seconds=100, delete_seconds=50)
SPEC = ClusterSpec(
    region="us-east-1",
    role_arn="arn:aws:iam::123456789012:role/grid",
    external_id="ext-1",
    instance_types=(InstanceType("t3.medium"), InstanceType("p3.2xlarge", 1, 200)),
)
CLUSTERS = "/v1/core/clusters"
DELETED = Phase.DELETED.value


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def now(self) -> float:
        return self.t


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def plane(tmp_path: Path, clock: FakeClock) -> LocalControlPlane:
    return LocalControlPlane(SETTINGS, root=tmp_path, clock=clock.now, user_id=AUTH.user_id)


@pytest.fixture
def log() -> io.StringIO:
    return io.StringIO()


@contextmanager
def serving(
    plane: LocalControlPlane, log: io.StringIO | None = None, **faults: Any
) -> Iterator[tuple[GridServer, httpx.Client]]:
    server = GridServer(plane, auth=AUTH, faults=FaultSettings(**faults), log=log)
    with (
        server,
        httpx.Client(
            base_url=server.url, auth=(AUTH.user_id, KEY), timeout=5, trust_env=False
        ) as client,
    ):
        yield server, client


@pytest.fixture
def server(plane: LocalControlPlane, log: io.StringIO) -> Iterator[GridServer]:
    with serving(plane, log) as (server, _):
        yield server


@pytest.fixture
def client(server: GridServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.url, auth=(AUTH.user_id, KEY), timeout=5, trust_env=False
    ) as client:
        yield client


def create(client: httpx.Client, name: str = "prod-use1") -> httpx.Response:
    return client.post(CLUSTERS, json=wire.create_request(name, SPEC))


def rpc(response: httpx.Response, status: int, code: int) -> str:
    """Assert an RpcStatus error answer; its message."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    # The message is also the one detail, which the grid CLI's SDK shows instead of a raw dump.
    assert (body["code"], body["details"]) == (code, [{"message": body["message"]}])
    return str(body["message"])


def ids(response: httpx.Response) -> list[str]:
    return [c["id"] for c in response.json()["clusters"]]


def eventually(check: Callable[[], bool]) -> None:
    """The log line is written just after the answer is sent: wait for it briefly."""
    deadline = time.monotonic() + 2
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# -- clusters ------------------------------------------------------------------------------------


def test_list_is_grids_wire_format(client: httpx.Client, plane: LocalControlPlane) -> None:
    create(client)
    response = client.get(CLUSTERS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == plane.list_wire()
    assert response.json()["defaultCluster"] == "prod-2"
    assert ids(response) == ["prod-2", "prod-use1"]
    for key, value in walk(response.json()):
        assert value is not None, key
        assert "_" not in key, key


def test_list_filters_are_repeatable(
    client: httpx.Client, plane: LocalControlPlane, clock: FakeClock
) -> None:
    create(client, "alpha")
    create(client, "beta")
    client.delete(f"{CLUSTERS}/beta")
    clock.t += 50  # beta is gone: DELETED
    # Sorted by name: prod-2 is "grid-cloud". No filter: everything, DELETED included.
    assert ids(client.get(CLUSTERS)) == ["alpha", "beta", "prod-2"]
    assert ids(client.get(CLUSTERS, params={"phaseNotIn": DELETED})) == ["alpha", "prod-2"]
    both = client.get(CLUSTERS, params={"phaseIn": [DELETED, Phase.PENDING.value]})
    assert str(both.request.url).endswith(
        "?phaseIn=CLUSTER_STATE_DELETED&phaseIn=CLUSTER_STATE_PENDING"
    )
    assert ids(both) == ["alpha", "beta"]
    byoc = {"clusterTypeIn": "CLUSTER_TYPE_BYOC", "phaseNotIn": DELETED}
    assert ids(client.get(CLUSTERS, params=byoc)) == ["alpha"]
    neither = {"clusterTypeNotIn": ["CLUSTER_TYPE_BYOC", "CLUSTER_TYPE_GLOBAL"]}
    assert ids(client.get(CLUSTERS, params=neither)) == []
    assert ids(client.get(CLUSTERS, params={"clusterTypeNotIn": "CLUSTER_TYPE_BYOC"})) == ["prod-2"]


def test_get_create_and_conflicts(client: httpx.Client, clock: FakeClock) -> None:
    created = create(client)
    assert created.status_code == 200
    body = created.json()
    assert (body["id"], body["name"], body["createdAt"]) == (
        "prod-use1",
        "prod-use1",
        "2023-11-14T22:13:20Z",
    )
    assert body["status"]["phase"] == Phase.QUEUED
    assert body["spec"]["userId"] == "user-123"
    assert body["spec"]["driver"]["kubernetes"]["aws"]["roleArn"] == SPEC.role_arn
    clock.t += 200
    got = client.get(f"{CLUSTERS}/prod-use1").json()
    assert (got["createdAt"], got["status"]["phase"]) == (body["createdAt"], Phase.RUNNING)
    assert "exists already" in rpc(create(client), 409, 6)
    bad_name = client.post(CLUSTERS, json={"name": "Prod_1", "spec": body["spec"]})
    assert "invalid cluster name 'Prod_1'" in rpc(bad_name, 400, 3)
    arm_spec = wire.spec_to_wire(ClusterSpec("us-east-1", "r", "e", (InstanceType("m6g.large"),)))
    arm = client.post(CLUSTERS, json={"name": "arm", "spec": arm_spec})
    assert "ARM instance types: m6g.large" in rpc(arm, 400, 3)
    assert "no cluster with id 'nope'" in rpc(client.get(f"{CLUSTERS}/nope"), 404, 5)


def test_put_replaces_the_spec_and_answers_without_created_at(
    client: httpx.Client, clock: FakeClock
) -> None:
    create(client)
    clock.t += 200
    spec = client.get(f"{CLUSTERS}/prod-use1").json()["spec"]
    spec["driver"]["kubernetes"]["aws"]["bucketName"] = "grid-bucket"
    spec["gridletVersion"] = "0.9.1"
    spec["driver"]["kubernetes"]["aws"]["instanceTypes"] = [{"name": "g4dn.xlarge"}]
    spec.update(userId="someone-else", clusterType="CLUSTER_TYPE_GLOBAL")  # server-owned
    put = client.put(f"{CLUSTERS}/prod-use1", json={"name": "prod-use1", "spec": spec})
    assert put.status_code == 200
    assert "createdAt" not in put.json()
    assert put.json()["status"]["phase"] == Phase.RUNNING
    stored = client.get(f"{CLUSTERS}/prod-use1").json()
    assert stored["createdAt"] == "2023-11-14T22:13:20Z"
    aws = stored["spec"]["driver"]["kubernetes"]["aws"]
    assert (aws["bucketName"], aws["instanceTypes"]) == ("grid-bucket", [{"name": "g4dn.xlarge"}])
    assert stored["spec"]["gridletVersion"] == "0.9.1"
    assert (stored["spec"]["userId"], stored["spec"]["clusterType"]) == (
        "user-123",
        "CLUSTER_TYPE_BYOC",
    )
    renamed = client.put(f"{CLUSTERS}/prod-use1", json={"name": "other", "spec": spec})
    assert "cannot be renamed" in rpc(renamed, 400, 3)
    assert "shared cloud" in rpc(client.put(f"{CLUSTERS}/prod-2", json={"spec": {}}), 400, 3)
    assert rpc(client.put(f"{CLUSTERS}/nope", json={"spec": {}}), 404, 5)


@pytest.mark.parametrize("value", ["True", "true", "TRUE", "tRuE"])
def test_forced_delete_forgets_at_once_in_any_case(client: httpx.Client, value: str) -> None:
    create(client)
    response = client.delete(f"{CLUSTERS}/prod-use1", params={"force": value})
    assert (response.status_code, response.json()) == (200, {})
    rpc(client.get(f"{CLUSTERS}/prod-use1"), 404, 5)
    assert "prod-use1" not in ids(client.get(CLUSTERS))


@pytest.mark.parametrize("query", [{"force": "False"}, {"force": "false"}, {"force": "FALSE"}, {}])
def test_delete_is_asynchronous(
    client: httpx.Client, clock: FakeClock, query: dict[str, str]
) -> None:
    create(client)
    assert client.delete(f"{CLUSTERS}/prod-use1", params=query).json() == {}
    terminating = client.get(f"{CLUSTERS}/prod-use1").json()
    assert (terminating["spec"]["desiredState"], terminating["status"]["phase"]) == (
        DELETED,
        Phase.QUEUED,
    )
    clock.t += 50
    rpc(client.get(f"{CLUSTERS}/prod-use1"), 404, 5)
    gone = client.get(CLUSTERS, params={"phaseIn": DELETED}).json()["clusters"]
    assert [(c["id"], c["status"]["phase"]) for c in gone] == [("prod-use1", DELETED)]


def test_delete_refusals(client: httpx.Client) -> None:
    create(client)
    assert "force must be true or false" in rpc(
        client.delete(f"{CLUSTERS}/prod-use1", params={"force": "yes"}), 400, 3
    )
    assert client.get(f"{CLUSTERS}/prod-use1").json()["spec"]["desiredState"] == Phase.RUNNING
    assert "shared cloud" in rpc(client.delete(f"{CLUSTERS}/prod-2"), 400, 3)
    rpc(client.delete(f"{CLUSTERS}/nope"), 404, 5)


def test_instance_types(client: httpx.Client) -> None:
    spec = wire.spec_to_wire(SPEC)
    spec["driver"]["kubernetes"]["aws"]["instanceTypes"].append({"name": "x9.mystery"})
    client.post(CLUSTERS, json={"name": "prod-use1", "spec": spec})
    response = client.get(f"{CLUSTERS}/prod-use1/instance-types")
    assert response.status_code == 200
    # As Grid's V1InstanceType: cpu/gpu/memory strings, AVAILABILITY_* enums, a type offered
    # both ways listed once per way, each with its own price (grid instance-types sorts by spot).
    ok = {"availability": "AVAILABILITY_AVAILABLE"}
    t3 = {"name": "t3.medium", "cpu": "2", "gpu": "0", "memory": "4"}
    p3 = {"name": "p3.2xlarge", "cpu": "8", "gpu": "1", "memory": "61"}
    assert response.json() == {
        "instanceTypes": [
            t3 | {"hourlyCost": 0.0416, "spot": False} | ok,
            t3 | {"hourlyCost": 0.0125, "spot": True} | ok,
            p3 | {"hourlyCost": 3.06, "spot": False} | ok,
            p3 | {"hourlyCost": 0.918, "spot": True} | ok,
            {"name": "x9.mystery", "cpu": "0", "gpu": "0", "memory": "0", "spot": False},
        ]
    }
    rpc(client.get(f"{CLUSTERS}/nope/instance-types"), 404, 5)


# -- auth ----------------------------------------------------------------------------------------


def basic(user: str, key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("user-123", "wrong-key"),
        basic("someone", KEY),
        basic("ada", KEY),  # the login name is not the user id
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"Authorization": f"Bearer {KEY}"},
    ],
)
def test_core_calls_need_basic_auth(
    server: GridServer, plane: LocalControlPlane, headers: dict[str, str]
) -> None:
    with httpx.Client(base_url=server.url, headers=headers, trust_env=False) as anonymous:
        assert "credentials" in rpc(anonymous.get(CLUSTERS), 401, 16)
        rpc(anonymous.post(CLUSTERS, json=wire.create_request("sneaky", SPEC)), 401, 16)
        rpc(anonymous.delete(f"{CLUSTERS}/prod-2", params={"force": "True"}), 401, 16)
    assert [c["id"] for c in plane.list_wire()["clusters"]] == ["prod-2"]
    with httpx.Client(base_url=server.url, headers=basic("user-123", KEY)) as good:
        assert good.get(CLUSTERS).status_code == 200


def test_login_flow(server: GridServer) -> None:
    with httpx.Client(base_url=server.url, trust_env=False) as anonymous:
        login = anonymous.post("/v1/auth/login", json={"username": "ada", "apiKey": KEY})
        assert login.status_code == 200
        token = login.json()["token"]
        assert set(login.json()) == {"token"} and KEY not in token
        user = anonymous.get("/v1/auth/user", headers={"Authorization": f"Bearer {token}"})
        assert user.json() == {"id": "user-123", "username": "ada", "email": "ada@example.test"}
        wrong = anonymous.post("/v1/auth/login", json={"username": "ada", "apiKey": "nope"})
        assert KEY not in rpc(wrong, 401, 16)
        rpc(anonymous.post("/v1/auth/login", json={"username": "ada"}), 400, 3)
        bad = anonymous.get("/v1/auth/user", headers={"Authorization": "Bearer forged"})
        rpc(bad, 401, 16)
        rpc(anonymous.get("/v1/auth/user"), 401, 16)


# -- protocol errors -----------------------------------------------------------------------------


def test_unknown_route_wrong_method_bad_json(client: httpx.Client) -> None:
    rpc(client.get("/v1/core/nothing"), 404, 5)
    rpc(client.get(f"{CLUSTERS}/a/b"), 404, 5)
    wrong = client.patch(f"{CLUSTERS}/prod-2", json={})
    assert "PATCH is not allowed" in rpc(wrong, 405, 12)
    assert wrong.headers["allow"] == "GET, PUT, DELETE"
    rpc(client.put(CLUSTERS, json={}), 405, 12)
    assert "not valid JSON" in rpc(client.post(CLUSTERS, content=b"{nope"), 400, 3)
    assert "not valid JSON" in rpc(client.post(CLUSTERS, content=b'{"a": NaN}'), 400, 3)
    assert "not valid JSON" in rpc(client.post(CLUSTERS, content=b"[" * 100_000), 400, 3)
    assert "JSON object" in rpc(client.post(CLUSTERS, json=["name", "spec"]), 400, 3)
    assert "JSON object" in rpc(client.put(f"{CLUSTERS}/prod-2", json="x"), 400, 3)
    rpc(client.post(CLUSTERS, json={"name": "x"}), 400, 3)  # no spec
    assert client.get(CLUSTERS).status_code == 200  # the connection and server are fine


def test_oversized_body_is_refused(client: httpx.Client, plane: LocalControlPlane) -> None:
    body = wire.create_request("big", SPEC)
    body["padding"] = "x" * MAX_BODY_BYTES
    assert "larger than 1048576 bytes" in rpc(client.post(CLUSTERS, json=body), 413, 3)
    assert [c["id"] for c in plane.list_wire()["clusters"]] == ["prod-2"]
    assert client.get(CLUSTERS).status_code == 200


def raw_exchange(server: GridServer, data: bytes) -> bytes:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_client_leaving_mid_request_does_not_hurt_the_server(
    server: GridServer, client: httpx.Client, log: io.StringIO
) -> None:
    head = f"POST {CLUSTERS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n".encode()
    assert raw_exchange(server, head + b'{"name": "half') == b""
    eventually(lambda: "disconnected" in log.getvalue())
    garbage = raw_exchange(server, b"GET / HTTP/1.x\r\n\r\n")
    assert garbage.startswith(b"HTTP/1.1 400") and b'"code":3' in garbage
    bad_length = raw_exchange(
        server, f"GET {CLUSTERS} HTTP/1.1\r\nHost: localhost\r\nContent-Length: x\r\n\r\n".encode()
    )
    assert bad_length.startswith(b"HTTP/1.1 400") and b"Content-Length" in bad_length
    assert client.get(CLUSTERS).status_code == 200


def test_requests_are_served_concurrently(client: httpx.Client) -> None:
    statuses: list[int] = []

    def create_same() -> None:
        statuses.append(create(client, "race").status_code)

    threads = [threading.Thread(target=create_same) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 7


# -- faults --------------------------------------------------------------------------------------


def test_error_faults_answer_500_and_503_and_change_nothing(
    plane: LocalControlPlane, log: io.StringIO
) -> None:
    with serving(plane, log, error_rate=1) as (_, client):
        answers = [create(client, f"c{i}") for i in range(4)]
    assert [r.status_code for r in answers] == [503, 500, 503, 500]
    assert [r.json()["code"] for r in answers] == [14, 13, 14, 13]
    assert "injected fault" in answers[0].json()["message"]
    assert [c["id"] for c in plane.list_wire()["clusters"]] == ["prod-2"]
    eventually(lambda: log.getvalue().count("fault=") == 4)
    assert f"POST {CLUSTERS} 503 " in log.getvalue() and "fault=503" in log.getvalue()


@pytest.mark.parametrize(("retry_after", "header"), [(2, "2"), (2.0, "2"), (0.5, "0.5")])
def test_rate_limit_fault_carries_retry_after(
    plane: LocalControlPlane, retry_after: float, header: str
) -> None:
    with serving(plane, rate_limit_rate=1, retry_after=retry_after) as (_, client):
        response = create(client)
    rpc(response, 429, 8)
    assert response.headers["retry-after"] == header
    assert [c["id"] for c in plane.list_wire()["clusters"]] == ["prod-2"]


def test_a_dropped_create_was_carried_out(plane: LocalControlPlane, log: io.StringIO) -> None:
    with serving(plane, log, drop_rate=1) as (_, client), pytest.raises(httpx.TransportError):
        create(client)
    assert [c["id"] for c in plane.list_wire()["clusters"]] == ["prod-2", "prod-use1"]
    eventually(lambda: "fault=drop" in log.getvalue())
    assert f"POST {CLUSTERS} 200 " in log.getvalue()


def test_seeded_faults_are_deterministic(plane: LocalControlPlane) -> None:
    def statuses() -> list[int]:
        with serving(plane, error_rate=0.3, rate_limit_rate=0.3, seed=7) as (_, client):
            return [client.get(CLUSTERS).status_code for _ in range(20)]

    first = statuses()
    assert first == statuses()
    assert {200, 429} <= set(first) and {500, 503} & set(first)


def test_latency_and_spikes(plane: LocalControlPlane, log: io.StringIO) -> None:
    with serving(plane, log, latency_ms=60, spike_rate=1, spike_ms=60) as (_, client):
        started = time.perf_counter()
        assert client.get(CLUSTERS).status_code == 200
        assert time.perf_counter() - started >= 0.12
    eventually(lambda: "fault=spike" in log.getvalue())


def test_fault_decisions_follow_the_rates() -> None:
    injector = FaultInjector(
        FaultSettings(error_rate=0.2, rate_limit_rate=0.3, drop_rate=0.1, seed=1)
    )
    kinds = [injector.decide().kind for _ in range(4000)]
    errors = kinds.count(FaultKind.ERROR_500) + kinds.count(FaultKind.ERROR_503)
    assert 0.17 < errors / 4000 < 0.23
    assert 0.27 < kinds.count(FaultKind.RATE_LIMIT) / 4000 < 0.33
    assert 0.08 < kinds.count(FaultKind.DROP) / 4000 < 0.12
    assert FaultInjector(FaultSettings()).decide().kind is None


def test_fault_settings_from_env_and_options() -> None:
    env = {
        "GRIDSYNC_FAULT_LATENCY_MS": "5",
        "GRIDSYNC_FAULT_SPIKE_RATE": "0.1",
        "GRIDSYNC_FAULT_SPIKE_MS": "300",
        "GRIDSYNC_FAULT_ERROR_RATE": "0.25",
        "GRIDSYNC_FAULT_RATE_LIMIT_RATE": "0.5",
        "GRIDSYNC_FAULT_RETRY_AFTER": "1.5",
        "GRIDSYNC_FAULT_DROP_RATE": "0",
        "GRIDSYNC_FAULT_SEED": "42",
        "OTHER": "x",
    }
    settings = FaultSettings.from_env(env)
    assert settings == FaultSettings(5, 0.1, 300, 0.25, 0.5, 1.5, 0, 42)
    assert settings.retry_after_header() == "1.5"
    merged = settings.merged(error_rate=0.75, seed=None, drop_rate=None)
    assert (merged.error_rate, merged.seed, merged.rate_limit_rate) == (0.75, 42, 0.5)
    assert FaultSettings.from_env({}) == FaultSettings()


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("GRIDSYNC_FAULT_ERROR_RATE", "lots", "expected a number"),
        ("GRIDSYNC_FAULT_DROP_RATE", "1.5", "between 0 and 1"),
        ("GRIDSYNC_FAULT_LATENCY_MS", "-3", "must not be negative"),
        ("GRIDSYNC_FAULT_RETRY_AFTER", "nan", "expected a number"),
        ("GRIDSYNC_FAULT_SEED", "1.5", "expected an integer"),
    ],
)
def test_bad_fault_settings_name_the_variable(variable: str, value: str, problem: str) -> None:
    with pytest.raises(UsageError, match=f"{variable}: .*{problem}"):
        FaultSettings.from_env({variable: value})


def test_bad_fault_option_is_refused() -> None:
    with pytest.raises(UsageError, match="spike_rate"):
        FaultSettings().merged(spike_rate=2)


# -- log, stats, lifecycle -----------------------------------------------------------------------


def test_request_log_has_no_credentials(server: GridServer, log: io.StringIO) -> None:
    with httpx.Client(base_url=server.url, trust_env=False) as c:
        c.get(CLUSTERS, headers=basic("user-123", KEY), params={"phaseNotIn": DELETED})
        c.post("/v1/auth/login", json={"username": "ada", "apiKey": KEY})
        c.get(CLUSTERS, headers=basic("user-123", "wrong-" + KEY))
    eventually(lambda: len(log.getvalue().splitlines()) == 3)
    lines = log.getvalue().splitlines()
    assert lines[0].startswith(f"GET {CLUSTERS}?phaseNotIn=CLUSTER_STATE_DELETED 200 ")
    assert lines[1].startswith("POST /v1/auth/login 200 ")
    assert lines[2].startswith(f"GET {CLUSTERS} 401 ")
    assert all(line.endswith("ms") for line in lines)
    encoded = base64.b64encode(f"user-123:{KEY}".encode()).decode()
    for secret in (KEY, encoded, encoded[:16], "Authorization", "Basic"):
        assert secret not in log.getvalue()
    assert KEY not in repr(AUTH) and "user-123" in repr(AUTH)


def test_stats_count_requests_by_route(server: GridServer, client: httpx.Client) -> None:
    client.get(CLUSTERS)
    client.get(CLUSTERS)
    client.get(f"{CLUSTERS}/prod-2")
    client.get("/elsewhere")
    assert server.stats.snapshot() == {
        ("GET", CLUSTERS): 2,
        ("GET", f"{CLUSTERS}/{{id}}"): 1,
        ("GET", UNMATCHED_ROUTE): 1,
    }
    assert (server.stats.get("GET", CLUSTERS), server.stats.total()) == (2, 4)
    server.stats.reset()
    assert server.stats.total() == 0


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])  # noqa: S104
def test_only_loopback_addresses_are_served(plane: LocalControlPlane, host: str) -> None:
    with pytest.raises(UsageError, match="loopback"):
        GridServer(plane, host=host)


def test_lifecycle(plane: LocalControlPlane) -> None:
    server = GridServer(plane, host="localhost")
    assert server.url.startswith("http://127.0.0.1:")
    server.shutdown()  # never started: returns at once
    server.shutdown()
    with pytest.raises(UsageError):
        server.start()
    with GridServer(plane) as running:
        port = int(running.url.rsplit(":", 1)[1])
        with pytest.raises(UsageError, match=f"cannot listen on 127.0.0.1 port {port}"):
            GridServer(plane, port=port)
    with pytest.raises(httpx.ConnectError):
        httpx.get(running.url + CLUSTERS, trust_env=False)
