"""The local Grid server around its cluster endpoints: loopback-only Host headers (DNS rebinding),
the auth refresh and logout routes, cloud-provider-id, a refused region change, and the warning
when it serves with the public default credentials."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_server import AUTH, CLUSTERS, KEY, SETTINGS, create, raw_exchange, rpc

from gridsync.localgrid.controlplane import LocalControlPlane
from gridsync.localgrid.server import GridServer, loopback_host


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GridServer]:
    plane = LocalControlPlane(SETTINGS, root=tmp_path, user_id=AUTH.user_id)
    with GridServer(plane, auth=AUTH, log=io.StringIO()) as running:
        yield running


@pytest.fixture
def client(server: GridServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, auth=(AUTH.user_id, KEY), trust_env=False) as c:
        yield c


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:80", "127.0.0.2", "10.0.0.1:8080", "localhost.evil", ""]
)
def test_a_foreign_host_header_is_refused_before_anything_is_done(
    server: GridServer, client: httpx.Client, host: str
) -> None:
    response = client.post(CLUSTERS, json={"name": "rebound", "spec": {}}, headers={"Host": host})
    assert "loopback host" in rpc(response, 421, 7)
    assert "rebound" not in str(client.get(CLUSTERS).json())


def test_a_request_with_no_host_header_is_refused(server: GridServer) -> None:
    answer = raw_exchange(server, f"GET {CLUSTERS} HTTP/1.0\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 421") and b'"code":7' in answer


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:8080", "localhost", "LOCALHOST:1", "[::1]", "[::1]:443"]
)
def test_loopback_host_headers_are_served(host: str) -> None:
    assert loopback_host(host)


def test_refresh_and_logout(server: GridServer) -> None:
    with httpx.Client(base_url=server.url, trust_env=False) as anonymous:
        token = anonymous.post("/v1/auth/login", json={"username": "ada", "apiKey": KEY}).json()
        bearer = {"Authorization": f"Bearer {token['token']}"}
        fresh = anonymous.post("/v1/auth/refresh", json={"duration": "3600s"}, headers=bearer)
        assert fresh.status_code == 200 and set(fresh.json()) == {"token"}
        rpc(anonymous.get("/v1/auth/user", headers=bearer), 401, 16)  # the old one is spent
        new = {"Authorization": f"Bearer {fresh.json()['token']}"}
        assert anonymous.get("/v1/auth/user", headers=new).json()["id"] == AUTH.user_id
        assert anonymous.post("/v1/auth/logout", json={}, headers=new).json() == {}
        rpc(anonymous.get("/v1/auth/user", headers=new), 401, 16)
        rpc(anonymous.post("/v1/auth/refresh", json={}, headers=new), 401, 16)
        rpc(anonymous.post("/v1/auth/logout", json={}), 401, 16)


def test_cloud_provider_id(client: httpx.Client) -> None:
    create(client)
    answer = client.get(f"{CLUSTERS}/prod-use1/cloud-provider-id")
    assert answer.status_code == 200 and answer.json() == {"accountId": "123456789012"}
    assert client.get(f"{CLUSTERS}/prod-2/cloud-provider-id").json() == {}
    rpc(client.get(f"{CLUSTERS}/nope/cloud-provider-id"), 404, 5)
    with httpx.Client(base_url=str(client.base_url), trust_env=False) as anonymous:
        rpc(anonymous.get(f"{CLUSTERS}/prod-use1/cloud-provider-id"), 401, 16)


def test_a_region_change_by_put_is_refused(client: httpx.Client) -> None:
    create(client)
    spec = client.get(f"{CLUSTERS}/prod-use1").json()["spec"]
    spec["driver"]["kubernetes"]["aws"]["region"] = "eu-west-1"
    put = client.put(f"{CLUSTERS}/prod-use1", json={"name": "prod-use1", "spec": spec})
    assert "region of a cluster cannot change in place" in rpc(put, 400, 3)
    aws = client.get(f"{CLUSTERS}/prod-use1").json()["spec"]["driver"]["kubernetes"]["aws"]
    assert aws["region"] == "us-east-1"


def serve_briefly(tmp_path: Path, *args: str) -> str:
    """Start `gridsync local-grid serve`, read its URL line, stop it; its stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gridsync", "local-grid", "serve", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("http://127.0.0.1:")
    process.terminate()
    return process.communicate(timeout=10)[1]


def test_serving_with_the_public_default_credentials_warns(tmp_path: Path) -> None:
    assert "warning: serving with the public default credentials" in serve_briefly(tmp_path)
    quiet = serve_briefly(tmp_path, "--api-key", "a-secret-of-mine")
    assert "warning" not in quiet and "a-secret-of-mine" not in quiet
