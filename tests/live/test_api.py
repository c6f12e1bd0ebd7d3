"""GridApi against a recording server over real loopback sockets: the exact requests it sends,
how it retries, what it makes of errors, and that the API key never leaks."""

from __future__ import annotations

import base64
import copy
import json
import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from recorder import Recorder, Reply

from gridsync import __version__
from gridsync.errors import BackendError, ClusterExists, ClusterNotFound, InvalidArgument
from gridsync.httpedge import RetryPolicy, retry_after
from gridsync.live import api as api_module
from gridsync.live.api import GridApi
from gridsync.live.credentials import Credentials
from gridsync.spec import ClusterSpec, InstanceType, Phase

USER_ID = "user-123"
API_KEY = "gk-Zq81mXw0secret9"
BASIC = "Basic " + base64.b64encode(f"{USER_ID}:{API_KEY}".encode()).decode()
CREDS = Credentials(user_id=USER_ID, api_key=API_KEY, source="GRID_USER_ID/GRID_API_KEY")
CLUSTERS = "/v1/core/clusters"
SPEC = ClusterSpec(
    region="us-east-1",
    role_arn="arn:aws:iam::123456789012:role/grid",
    external_id="ext-1",
    instance_types=(InstanceType("t2.medium"), InstanceType("p3.2xlarge", 1, 200)),
)
FAST = RetryPolicy(attempts=3, base_delay=0.5, max_delay=10.0, timeout=5.0)


def wire_cluster(name: str, **over: Any) -> dict[str, Any]:
    cluster: dict[str, Any] = {
        "id": name,
        "name": name,
        "createdAt": "2022-03-01T10:00:00Z",
        "spec": {
            "clusterType": "CLUSTER_TYPE_BYOC",
            "desiredState": "CLUSTER_STATE_RUNNING",
            "performanceProfile": "CLUSTER_PERFORMANCE_PROFILE_DEFAULT",
            "userId": USER_ID,
            "driver": {
                "kubernetes": {
                    "aws": {
                        "region": "us-east-1",
                        "roleArn": "arn:aws:iam::123456789012:role/grid",
                        "externalId": "ext-1",
                        "instanceTypes": [{"name": "t2.medium"}],
                    }
                }
            },
        },
        "status": {"phase": "CLUSTER_STATE_RUNNING", "reason": ""},
    }
    cluster.update(over)
    return cluster


def rpc(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "details": []}


@pytest.fixture
def grid() -> Iterator[Recorder]:
    with Recorder().running() as recorder:
        yield recorder


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_api(
    grid: Recorder, tmp_path: Path, sleeps: list[float]
) -> Iterator[Callable[..., GridApi]]:
    made: list[GridApi] = []

    def make(**kwargs: Any) -> GridApi:
        kwargs.setdefault("retry", FAST)
        kwargs.setdefault("settings_path", tmp_path / "grid" / "settings.json")
        api = GridApi(
            kwargs.pop("url", grid.url), kwargs.pop("creds", CREDS), sleep=sleeps.append, **kwargs
        )
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


@pytest.fixture
def api(make_api: Callable[..., GridApi]) -> GridApi:
    return make_api()


def no_nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(v is not None and no_nulls(v) for v in value)
    return True


# -- Requests on the wire ----------------------------------------------------------------------


def test_list_clusters_sends_one_exact_request(
    grid: Recorder, api: GridApi, tmp_path: Path
) -> None:
    odd = wire_cluster("zeta", status={"phase": "CLUSTER_STATE_SOMETHING_NEW"}, extra={"x": 1})
    grand = {"id": "prod-2", "name": "Grid Cloud", "spec": {"clusterType": "CLUSTER_TYPE_GLOBAL"}}
    body = {"clusters": [odd, wire_cluster("alpha"), grand], "defaultCluster": "prod-2"}
    grid.script("GET", CLUSTERS, Reply(200, body))
    (tmp_path / "grid").mkdir()
    (tmp_path / "grid" / "settings.json").write_text('{"context": "alpha", "other": 1}')

    state = api.list_clusters()

    [request] = grid.requests
    assert (request.method, request.path, request.query) == (
        "GET",
        CLUSTERS,
        "phaseNotIn=CLUSTER_STATE_DELETED",
    )
    assert request.headers["authorization"] == BASIC
    # As the grid CLI, but for the User-Agent (see the module docstring of live/api.py).
    assert request.headers["user-agent"] == f"gridsync/{__version__}"
    assert request.headers["accept"] == "application/json"
    assert request.raw == b""
    assert [c.name for c in state.clusters] == ["Grid Cloud", "alpha", "zeta"]
    assert state.clusters[2].phase == "CLUSTER_STATE_SOMETHING_NEW"
    assert state.clusters[1].spec is not None and state.clusters[1].spec.region == "us-east-1"
    assert (state.context, state.default_cluster) == ("alpha", "prod-2")
    assert api.description == f"Grid API ({grid.url})"


@pytest.mark.parametrize(
    ("url", "verified"),
    [("https://grid.example", True), ("HTTPS://grid.example", True), ("http://127.0.0.1:1", False)],
)
def test_every_https_url_verifies_tls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, verified: bool
) -> None:
    """Only a plain http:// base skips the CA bundle: all its requests go to that base."""
    made: list[dict[str, Any]] = []
    real = httpx.Client

    def client(**kwargs: Any) -> httpx.Client:
        made.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(api_module.httpx, "Client", client)
    GridApi(url, CREDS, settings_path=tmp_path / "settings.json").close()
    [kwargs] = made
    assert kwargs["verify"] is verified


def test_list_without_settings_file_has_no_context_and_hides_deleted(
    grid: Recorder, api: GridApi
) -> None:
    gone = wire_cluster("gone", status={"phase": Phase.DELETED.value})
    grid.script("GET", CLUSTERS, Reply(200, {"clusters": [gone, wire_cluster("a")]}))
    state = api.list_clusters()
    assert [c.id for c in state.clusters] == ["a"]
    assert (state.context, state.default_cluster) == (None, None)


def test_get_and_not_found(grid: Recorder, api: GridApi) -> None:
    grid.script("GET", f"{CLUSTERS}/prod-use1", Reply(200, wire_cluster("prod-use1")))
    grid.script("GET", f"{CLUSTERS}/missing", Reply(404, rpc(5, "cluster missing not found")))
    assert api.get("prod-use1").created_at == "2022-03-01T10:00:00Z"
    with pytest.raises(ClusterNotFound) as caught:
        api.get("missing")
    assert "GET /v1/core/clusters/missing" in str(caught.value)
    assert "HTTP 404" in str(caught.value) and "cluster missing not found" in str(caught.value)
    assert grid.calls() == [("GET", f"{CLUSTERS}/prod-use1"), ("GET", f"{CLUSTERS}/missing")]
    assert all(r.headers["authorization"] == BASIC for r in grid.requests)


def test_create_posts_camelcase_body_without_nulls(grid: Recorder, api: GridApi) -> None:
    grid.script(
        "POST",
        CLUSTERS,
        Reply(200, wire_cluster("prod-use1", status={"phase": "CLUSTER_STATE_QUEUED"})),
    )
    created = api.create("prod-use1", SPEC)
    [request] = grid.requests
    assert (request.method, request.path, request.query) == ("POST", CLUSTERS, "")
    assert request.headers["authorization"] == BASIC
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "name": "prod-use1",
        "spec": {
            "clusterType": "CLUSTER_TYPE_BYOC",
            "performanceProfile": "CLUSTER_PERFORMANCE_PROFILE_DEFAULT",
            "driver": {
                "kubernetes": {
                    "aws": {
                        "region": "us-east-1",
                        "roleArn": "arn:aws:iam::123456789012:role/grid",
                        "externalId": "ext-1",
                        "instanceTypes": [
                            {"name": "t2.medium"},
                            {
                                "name": "p3.2xlarge",
                                "overprovisionedOndemandCount": 1,
                                "rootVolumeSize": 200,
                            },
                        ],
                    }
                }
            },
        },
    }
    assert no_nulls(request.body)
    assert (created.id, created.phase) == ("prod-use1", Phase.QUEUED)


def test_update_puts_the_full_spec_keeping_server_fields(grid: Recorder, api: GridApi) -> None:
    live = wire_cluster("prod-use1")
    live["spec"]["gridletVersion"] = "0.9.1"
    live["spec"]["pauseAutomation"] = True
    aws = live["spec"]["driver"]["kubernetes"]["aws"]
    aws["bucketName"] = "grid-bucket-prod"
    aws["instanceTypes"] = [{"name": "t2.medium", "spotPrice": "0.1"}]
    answer = copy.deepcopy(live)
    del answer["createdAt"]
    grid.script("GET", f"{CLUSTERS}/prod-use1", Reply(200, live))
    grid.script("PUT", f"{CLUSTERS}/prod-use1", Reply(200, answer))
    new = ClusterSpec(
        "us-east-1",
        "arn:aws:iam::123456789012:role/grid2",
        "ext-1",
        (InstanceType("t2.medium"), InstanceType("g4dn.xlarge")),
        cost_savings=True,
    )

    updated = api.update("prod-use1", new)

    assert grid.calls() == [("GET", f"{CLUSTERS}/prod-use1"), ("PUT", f"{CLUSTERS}/prod-use1")]
    put = grid.requests[1]
    assert put.headers["authorization"] == BASIC
    expected_spec = copy.deepcopy(live["spec"])
    expected_spec["performanceProfile"] = "CLUSTER_PERFORMANCE_PROFILE_COST_SAVING"
    expected_aws = expected_spec["driver"]["kubernetes"]["aws"]
    expected_aws["roleArn"] = "arn:aws:iam::123456789012:role/grid2"
    expected_aws["instanceTypes"] = [
        {"name": "t2.medium", "spotPrice": "0.1"},
        {"name": "g4dn.xlarge"},
    ]
    assert put.body == {"name": "prod-use1", "spec": expected_spec}
    assert (
        put.body["spec"]["userId"] == USER_ID
        and put.body["spec"]["driver"]["kubernetes"]["aws"]["bucketName"] == "grid-bucket-prod"
    )
    assert (
        updated.created_at == "2022-03-01T10:00:00Z"
    )  # the PUT answer has none; kept from the GET


def test_update_after_a_list_puts_over_the_listed_spec_without_a_get(
    grid: Recorder, api: GridApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grid's list carries each cluster's full spec: an update right after one needs no GET, and
    the fields gridsync does not manage come from the list. Once used, or once stale, a GET."""
    live = wire_cluster("prod-use1")
    live["spec"]["gridletVersion"] = "0.9.1"
    live["spec"]["driver"]["kubernetes"]["aws"]["bucketName"] = "grid-bucket-prod"
    grid.script("GET", CLUSTERS, Reply(200, {"clusters": [live]}), Reply(200, {"clusters": [live]}))
    for _ in range(3):
        grid.script("PUT", f"{CLUSTERS}/prod-use1", Reply(200, live))
    grid.script("GET", f"{CLUSTERS}/prod-use1", Reply(200, live))
    grid.script("GET", f"{CLUSTERS}/prod-use1", Reply(200, live))
    new = ClusterSpec("us-east-1", "arn:aws:iam::123456789012:role/grid2", "ext-1", ())

    api.list_clusters()
    api.update("prod-use1", new)
    assert grid.calls() == [("GET", CLUSTERS), ("PUT", f"{CLUSTERS}/prod-use1")]
    put = grid.requests[1].body
    assert put["spec"]["gridletVersion"] == "0.9.1"
    assert put["spec"]["driver"]["kubernetes"]["aws"]["bucketName"] == "grid-bucket-prod"
    assert put["spec"]["driver"]["kubernetes"]["aws"]["roleArn"].endswith("role/grid2")

    api.update("prod-use1", new)  # the listed object was used up: after a PUT it is stale
    assert grid.calls()[2:] == [("GET", f"{CLUSTERS}/prod-use1"), ("PUT", f"{CLUSTERS}/prod-use1")]

    api.list_clusters()
    monkeypatch.setattr(api_module, "LISTED_FRESH", -1.0)  # the list is too old to trust
    api.update("prod-use1", new)
    assert grid.calls()[5:] == [("GET", f"{CLUSTERS}/prod-use1"), ("PUT", f"{CLUSTERS}/prod-use1")]


def test_a_poll_round_parses_only_the_clusters_that_changed(grid: Recorder, api: GridApi) -> None:
    pending = wire_cluster("b", status={"phase": "CLUSTER_STATE_PENDING"})
    first = {"clusters": [wire_cluster("a"), pending]}
    second = {"clusters": [wire_cluster("a"), wire_cluster("b")]}
    grid.script("GET", CLUSTERS, Reply(200, first), Reply(200, second))

    before, after = api.list_clusters().by_name(), api.list_clusters().by_name()

    assert after["a"] is before["a"]  # the same wire object: the same parsed cluster
    assert (before["b"].phase, after["b"].phase) == (Phase.PENDING, Phase.RUNNING)


def test_update_refuses_the_global_cluster(grid: Recorder, api: GridApi) -> None:
    grand = {"id": "prod-2", "name": "Grid Cloud", "spec": {"clusterType": "CLUSTER_TYPE_GLOBAL"}}
    grid.script("GET", f"{CLUSTERS}/prod-2", Reply(200, grand))
    with pytest.raises(InvalidArgument, match="shared cloud"):
        api.update("prod-2", SPEC)
    assert grid.calls() == [("GET", f"{CLUSTERS}/prod-2")]


def test_delete_sends_force_as_the_cli_does(
    grid: Recorder, make_api: Callable[..., GridApi]
) -> None:
    grid.script("DELETE", f"{CLUSTERS}/prod-use1", Reply(200, {}))
    make_api().delete("prod-use1")
    make_api().delete("prod-use1", force=True)
    make_api(force_delete=True).delete("prod-use1")
    assert [(r.method, r.path, r.query) for r in grid.requests] == [
        ("DELETE", f"{CLUSTERS}/prod-use1", "force=False"),
        ("DELETE", f"{CLUSTERS}/prod-use1", "force=True"),
        ("DELETE", f"{CLUSTERS}/prod-use1", "force=True"),
    ]
    assert all(r.headers["authorization"] == BASIC for r in grid.requests)


def test_delete_404_is_not_found_unless_an_earlier_try_may_have_worked(
    grid: Recorder, api: GridApi
) -> None:
    grid.script("DELETE", f"{CLUSTERS}/nope", Reply(404, rpc(5, "not found")))
    with pytest.raises(ClusterNotFound):
        api.delete("nope")
    grid.script(
        "DELETE",
        f"{CLUSTERS}/flaky",
        Reply(503, rpc(14, "unavailable")),
        Reply(404, rpc(5, "not found")),
    )
    api.delete("flaky")  # the first try went through: done
    assert grid.calls().count(("DELETE", f"{CLUSTERS}/flaky")) == 2


def test_set_context_keeps_other_settings(grid: Recorder, api: GridApi, tmp_path: Path) -> None:
    path = tmp_path / "grid" / "settings.json"
    path.parent.mkdir()
    path.write_text('{"context": "old", "defaultProject": "p"}')
    api.set_context("prod-use1")
    assert json.loads(path.read_text()) == {"context": "prod-use1", "defaultProject": "p"}
    assert grid.requests == []


def test_close_leaves_an_injected_client_open(grid: Recorder, tmp_path: Path) -> None:
    with httpx.Client() as client:
        api = GridApi(grid.url, CREDS, settings_path=tmp_path / "s.json", client=client)
        api.close()
        assert not client.is_closed
    owned = GridApi(grid.url, CREDS, settings_path=tmp_path / "s.json")
    owned.close()
    assert owned._client.is_closed


# -- Errors --------------------------------------------------------------------------------------


def test_create_conflict_is_cluster_exists(grid: Recorder, api: GridApi) -> None:
    grid.script("POST", CLUSTERS, Reply(409, rpc(6, "cluster prod-use1 already exists")))
    with pytest.raises(ClusterExists, match="cluster prod-use1 already exists"):
        api.create("prod-use1", SPEC)
    assert grid.calls() == [("POST", CLUSTERS)]


def test_create_bad_request_carries_the_server_message(grid: Recorder, api: GridApi) -> None:
    grid.script("POST", CLUSTERS, Reply(400, rpc(3, "instance type a1.large is not supported")))
    with pytest.raises(InvalidArgument) as caught:
        api.create("prod-use1", SPEC)
    assert "POST /v1/core/clusters" in str(caught.value)
    assert "HTTP 400: instance type a1.large is not supported" in str(caught.value)
    assert grid.calls() == [("POST", CLUSTERS)]


def test_unauthorized_names_the_credential_source_not_the_key(grid: Recorder, api: GridApi) -> None:
    grid.script("GET", CLUSTERS, Reply(401, rpc(16, "bad credentials")))
    with pytest.raises(BackendError) as caught:
        api.list_clusters()
    text = str(caught.value)
    assert "GET /v1/core/clusters" in text and "HTTP 401" in text and "bad credentials" in text
    assert "GRID_USER_ID/GRID_API_KEY" in text
    assert API_KEY not in text and BASIC.split()[1] not in text
    assert len(grid.requests) == 1  # a 401 is not retried


def test_error_text_falls_back_to_the_raw_body_truncated(
    grid: Recorder, make_api: Callable[..., GridApi]
) -> None:
    grid.script("GET", CLUSTERS, Reply(502, "<html>" + "x" * 1000 + "</html>"))
    with pytest.raises(BackendError) as caught:
        make_api(retry=RetryPolicy(attempts=1)).list_clusters()
    text = str(caught.value)
    assert "HTTP 502: <html>xxx" in text and "..." in text and len(text) < 600


def test_a_non_json_answer_is_a_clear_error(grid: Recorder, api: GridApi) -> None:
    grid.script("GET", CLUSTERS, Reply(200, "<html>login page</html>"))
    with pytest.raises(BackendError, match="not a JSON object"):
        api.list_clusters()


def test_a_url_without_scheme_is_refused_clearly(make_api: Callable[..., GridApi]) -> None:
    with pytest.raises(BackendError, match="check the Grid URL"):
        make_api(url="platform.grid.ai").list_clusters()


# -- Retries -------------------------------------------------------------------------------------


def test_503_then_200_is_retried_with_jittered_backoff(
    grid: Recorder, api: GridApi, sleeps: list[float]
) -> None:
    grid.script("GET", CLUSTERS, Reply(503, rpc(14, "unavailable")), Reply(200, {"clusters": []}))
    assert api.list_clusters().clusters == ()
    assert len(grid.requests) == 2
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5


def test_429_honours_retry_after_seconds(grid: Recorder, api: GridApi, sleeps: list[float]) -> None:
    grid.script(
        "GET",
        CLUSTERS,
        Reply(429, rpc(8, "slow down"), {"Retry-After": "2"}),
        Reply(200, {"clusters": []}),
    )
    api.list_clusters()
    assert sleeps == [2.0]
    assert len(grid.requests) == 2


def test_retry_after_as_a_far_date_is_capped(
    grid: Recorder, make_api: Callable[..., GridApi], sleeps: list[float]
) -> None:
    far = "Wed, 21 Oct 2099 07:28:00 GMT"
    grid.script(
        "GET",
        CLUSTERS,
        Reply(429, rpc(8, "slow down"), {"Retry-After": far}),
        Reply(200, {"clusters": []}),
    )
    make_api(retry=RetryPolicy(attempts=2, max_retry_after=7.5)).list_clusters()
    assert sleeps == [7.5]


def test_retry_after_parsing() -> None:
    assert retry_after("3") == 3.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None
    assert retry_after(None) is None


def test_a_dropped_connection_on_get_is_retried(
    grid: Recorder, api: GridApi, sleeps: list[float]
) -> None:
    grid.script("GET", f"{CLUSTERS}/a", Reply(drop=True), Reply(200, wire_cluster("a")))
    assert api.get("a").id == "a"
    assert grid.calls() == [("GET", f"{CLUSTERS}/a")] * 2
    assert len(sleeps) == 1


def test_a_timeout_on_get_is_retried(grid: Recorder, make_api: Callable[..., GridApi]) -> None:
    grid.script(
        "GET",
        f"{CLUSTERS}/a",
        Reply(200, wire_cluster("a"), delay=1.0),
        Reply(200, wire_cluster("a")),
    )
    api = make_api(retry=RetryPolicy(attempts=2, timeout=0.2))
    assert api.get("a").id == "a"
    assert len(grid.requests) == 2


def test_gives_up_after_the_attempts_with_a_clear_error(
    grid: Recorder, api: GridApi, sleeps: list[float]
) -> None:
    grid.script("GET", CLUSTERS, Reply(503, rpc(14, "the control plane is restarting")))
    with pytest.raises(BackendError) as caught:
        api.list_clusters()
    text = str(caught.value)
    assert "GET /v1/core/clusters failed after 3 attempt(s)" in text
    assert "HTTP 503: the control plane is restarting" in text and "hint:" in text
    assert len(grid.requests) == 3
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_400_is_not_retried(grid: Recorder, api: GridApi, sleeps: list[float]) -> None:
    grid.script("PUT", f"{CLUSTERS}/a", Reply(400, rpc(3, "bad spec")))
    grid.script("GET", f"{CLUSTERS}/a", Reply(200, wire_cluster("a")))
    with pytest.raises(InvalidArgument, match="bad spec"):
        api.update("a", SPEC)
    assert grid.calls() == [("GET", f"{CLUSTERS}/a"), ("PUT", f"{CLUSTERS}/a")]
    assert sleeps == []


# -- The ambiguous create --------------------------------------------------------------------------


def test_create_adopts_the_cluster_after_a_dropped_connection(grid: Recorder, api: GridApi) -> None:
    grid.script("POST", CLUSTERS, Reply(drop=True))  # created, then the connection dropped
    grid.script(
        "GET",
        CLUSTERS,
        Reply(200, {"clusters": [wire_cluster("other"), wire_cluster("prod-use1")]}),
    )
    created = api.create("prod-use1", SPEC)
    assert created.id == "prod-use1"
    assert grid.calls() == [("POST", CLUSTERS), ("GET", CLUSTERS)]  # no second POST
    assert grid.requests[1].query == "phaseNotIn=CLUSTER_STATE_DELETED"


def test_create_posts_again_when_the_ambiguous_try_made_nothing(
    grid: Recorder, api: GridApi
) -> None:
    grid.script(
        "POST", CLUSTERS, Reply(503, rpc(14, "unavailable")), Reply(200, wire_cluster("prod-use1"))
    )
    grid.script("GET", CLUSTERS, Reply(200, {"clusters": [wire_cluster("other")]}))
    assert api.create("prod-use1", SPEC).id == "prod-use1"
    assert grid.calls() == [("POST", CLUSTERS), ("GET", CLUSTERS), ("POST", CLUSTERS)]
    assert grid.requests[0].body == grid.requests[2].body


def test_create_after_ambiguous_try_reports_the_second_posts_conflict(
    grid: Recorder, api: GridApi
) -> None:
    grid.script("POST", CLUSTERS, Reply(drop=True), Reply(409, rpc(6, "already exists")))
    grid.script("GET", CLUSTERS, Reply(200, {"clusters": []}))
    with pytest.raises(ClusterExists):
        api.create("prod-use1", SPEC)
    assert grid.calls() == [("POST", CLUSTERS), ("GET", CLUSTERS), ("POST", CLUSTERS)]


def test_create_429_is_retried_without_listing(
    grid: Recorder, api: GridApi, sleeps: list[float]
) -> None:
    grid.script(
        "POST",
        CLUSTERS,
        Reply(429, rpc(8, "slow"), {"Retry-After": "2"}),
        Reply(200, wire_cluster("prod-use1")),
    )
    api.create("prod-use1", SPEC)
    assert grid.calls() == [("POST", CLUSTERS), ("POST", CLUSTERS)]
    assert sleeps == [2.0]


def test_create_gives_up_after_the_attempts(grid: Recorder, api: GridApi) -> None:
    grid.script("POST", CLUSTERS, Reply(500, rpc(13, "internal")))
    grid.script("GET", CLUSTERS, Reply(200, {"clusters": []}))
    with pytest.raises(BackendError, match=r"failed after 3 attempt\(s\): HTTP 500: internal"):
        api.create("prod-use1", SPEC)
    assert grid.calls().count(("POST", CLUSTERS)) == 3
    assert grid.calls().count(("GET", CLUSTERS)) == 3  # each ambiguous try was checked


def test_create_when_listing_fails_says_the_outcome_is_unknown(
    grid: Recorder, api: GridApi
) -> None:
    grid.script("POST", CLUSTERS, Reply(drop=True))
    grid.script("GET", CLUSTERS, Reply(401, rpc(16, "expired")))
    with pytest.raises(BackendError, match="may have created it"):
        api.create("prod-use1", SPEC)
    assert grid.calls().count(("POST", CLUSTERS)) == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_create_when_nothing_listens_retries_the_post_and_gives_up(
    make_api: Callable[..., GridApi], sleeps: list[float]
) -> None:
    api = make_api(url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BackendError, match=r"failed after 3 attempt\(s\): ConnectError") as caught:
        api.create("prod-use1", SPEC)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(sleeps) == 2  # never sent, so retried as it is, with no listing in between


# -- The key never leaks ---------------------------------------------------------------------------


def _texts(exc: BaseException) -> Iterator[str]:
    seen: BaseException | None = exc
    while seen is not None:
        yield str(seen)
        yield repr(seen)
        seen = seen.__cause__ or seen.__context__


def test_no_error_repr_or_log_line_holds_the_key(
    grid: Recorder, make_api: Callable[..., GridApi], caplog: pytest.LogCaptureFixture
) -> None:
    token = BASIC.split()[1]
    echo = f"you sent Authorization: {BASIC} with key {API_KEY}"
    grid.script("GET", f"{CLUSTERS}/a", Reply(401, rpc(16, echo)))
    grid.script("GET", f"{CLUSTERS}/b", Reply(500, f"raw {API_KEY} {token}"))
    grid.script("GET", f"{CLUSTERS}/c", Reply(drop=True))
    grid.script("POST", CLUSTERS, Reply(drop=True))
    grid.script("GET", CLUSTERS, Reply(403, rpc(7, echo)))
    api = make_api()
    caplog.set_level(logging.DEBUG)
    texts: list[str] = [repr(api), repr(CREDS), str(CREDS)]
    calls: list[Callable[[], object]] = [
        lambda: api.get("a"),
        lambda: api.get("b"),
        lambda: api.get("c"),
        lambda: api.create("prod-use1", SPEC),
        lambda: make_api(url="platform.grid.ai").list_clusters(),
    ]
    for call in calls:
        with pytest.raises(BackendError) as caught:
            call()
        texts.extend(_texts(caught.value))
    texts.extend(record.getMessage() for record in caplog.records)
    assert any("***" in t for t in texts)  # the echoed secrets were there, and were redacted
    assert len(caplog.records) > 3
    for text in texts:
        assert API_KEY not in text and token not in text, text
