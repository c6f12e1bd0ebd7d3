"""Where Grid credentials come from, and the username login flow over a recording server."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from recorder import Recorder, Reply

from gridsync.errors import BackendError, GridsyncError
from gridsync.httpedge import RetryPolicy
from gridsync.live.api import GridApi
from gridsync.live.credentials import Credentials, find_credentials
from gridsync.live.login import login

KEY = "gk-9Hh2secretKEY77"


@pytest.fixture
def grid() -> Iterator[Recorder]:
    with Recorder().running() as recorder:
        yield recorder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- Sources ---------------------------------------------------------------------------------------


def test_env_user_id_and_key(tmp_path: Path) -> None:
    found = find_credentials({"HOME": str(tmp_path), "GRID_USER_ID": "u-1", "GRID_API_KEY": KEY})
    assert found == Credentials("u-1", KEY, "GRID_USER_ID/GRID_API_KEY")
    assert not found.needs_login
    assert KEY not in repr(found) and KEY not in str(found)


def test_env_beats_the_file(tmp_path: Path) -> None:
    write(tmp_path / ".grid/credentials.json", json.dumps({"UserID": "file", "APIKey": "k"}))
    found = find_credentials({"HOME": str(tmp_path), "GRID_USER_ID": "env", "GRID_API_KEY": KEY})
    assert found is not None and found.user_id == "env"


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"GRID_USER_ID": "u-1"}, "GRID_API_KEY is not"),
        ({"GRID_API_KEY": KEY}, "GRID_USER_ID is not"),
        ({"GRID_USERNAME": "alice"}, "GRID_API_KEY is not"),
    ],
)
def test_half_configured_env_says_what_is_missing(
    tmp_path: Path, env: dict[str, str], missing: str
) -> None:
    with pytest.raises(GridsyncError, match=missing) as caught:
        find_credentials({"HOME": str(tmp_path), **env})
    assert KEY not in str(caught.value)


def test_default_file_under_home(tmp_path: Path) -> None:
    write(tmp_path / ".grid/credentials.json", json.dumps({"UserID": "u-9", "APIKey": KEY}))
    found = find_credentials({"HOME": str(tmp_path)})
    assert found == Credentials("u-9", KEY, "~/.grid/credentials.json")


def test_file_at_grid_credential_path(tmp_path: Path) -> None:
    path = write(tmp_path / "elsewhere.json", json.dumps({"UserID": "u-2", "APIKey": KEY, "x": 1}))
    found = find_credentials({"HOME": str(tmp_path / "nohome"), "GRID_CREDENTIAL_PATH": str(path)})
    assert found == Credentials("u-2", KEY, str(path))


def test_with_ci_set_grid_credential_path_is_ignored_like_the_cli(tmp_path: Path) -> None:
    elsewhere = write(tmp_path / "elsewhere.json", json.dumps({"UserID": "u-2", "APIKey": KEY}))
    write(tmp_path / ".grid/credentials.json", json.dumps({"UserID": "u-home", "APIKey": KEY}))
    env = {"HOME": str(tmp_path), "GRID_CREDENTIAL_PATH": str(elsewhere), "CI": "true"}
    found = find_credentials(env)
    assert found == Credentials("u-home", KEY, "~/.grid/credentials.json")
    assert find_credentials({**env, "CI": ""}) == Credentials("u-2", KEY, str(elsewhere))


def test_nothing_configured_is_none(tmp_path: Path) -> None:
    assert find_credentials({"HOME": str(tmp_path)}) is None
    assert find_credentials({}) is None


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (f'{{"UserID": "u", "APIKey": "{KEY}"', "is not valid JSON"),
        (f'["{KEY}"]', "does not hold a JSON object"),
        (f'{{"APIKey": "{KEY}"}}', "lacks UserID"),
        ('{"UserID": "u", "APIKey": ""}', "lacks APIKey"),
        ("{}", "lacks UserID and APIKey"),
    ],
)
def test_a_bad_file_is_named_and_its_content_never_shown(
    tmp_path: Path, content: str, complaint: str
) -> None:
    path = write(tmp_path / ".grid/credentials.json", content)
    with pytest.raises(GridsyncError, match=complaint) as caught:
        find_credentials({"HOME": str(tmp_path)})
    assert str(path) in str(caught.value)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert caught.value.__cause__ is None  # a JSONDecodeError would carry the document


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / ".grid/credentials.json"
    path.mkdir(parents=True)  # a directory cannot be read as a file, even by root
    with pytest.raises(GridsyncError, match="cannot read credentials file") as caught:
        find_credentials({"HOME": str(tmp_path)})
    assert str(path) in str(caught.value)
    bad = write(tmp_path / "latin1.json", "")
    bad.write_bytes(b'{"UserID": "\xe9"}')
    with pytest.raises(GridsyncError, match="cannot read credentials file"):
        find_credentials({"GRID_CREDENTIAL_PATH": str(bad)})


def test_username_and_key_need_a_login(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "GRID_USERNAME": "alice", "GRID_API_KEY": KEY}
    found = find_credentials(env)
    assert found is not None and found.needs_login
    assert (found.username, found.source) == ("alice", "login as alice")
    assert KEY not in repr(found)
    write(tmp_path / ".grid/credentials.json", json.dumps({"UserID": "u-3", "APIKey": "k"}))
    from_file = find_credentials(env)
    assert from_file is not None and from_file.user_id == "u-3"  # the file comes first


# -- Login -----------------------------------------------------------------------------------------


def test_login_exchanges_username_and_key_for_the_user_id(grid: Recorder) -> None:
    grid.script("POST", "/v1/auth/login", Reply(200, {"token": "tok-1"}))
    grid.script("GET", "/v1/auth/user", Reply(200, {"id": "u-42", "username": "alice"}))
    with httpx.Client() as client:
        assert login(client, grid.url + "/", "alice", KEY) == "u-42"
    first, second = grid.requests
    assert (first.method, first.path, first.body) == (
        "POST",
        "/v1/auth/login",
        {"username": "alice", "apiKey": KEY},
    )
    assert "authorization" not in first.headers
    assert (second.method, second.path) == ("GET", "/v1/auth/user")
    assert second.headers["authorization"] == "Bearer tok-1"


def test_login_refused_is_clear_and_keeps_the_key_out(grid: Recorder) -> None:
    grid.script("POST", "/v1/auth/login", Reply(401, {"code": 16, "message": f"bad key {KEY}"}))
    with httpx.Client() as client, pytest.raises(BackendError) as caught:
        login(client, grid.url, "alice", KEY)
    text = str(caught.value)
    assert "login as alice" in text and "HTTP 401" in text and "GRID_API_KEY" in text
    assert KEY not in text and KEY not in repr(caught.value)
    assert grid.calls() == [("POST", "/v1/auth/login")]


def test_login_answer_without_a_token_is_an_error(grid: Recorder) -> None:
    grid.script("POST", "/v1/auth/login", Reply(200, {}))
    with httpx.Client() as client, pytest.raises(BackendError, match="without 'token'"):
        login(client, grid.url, "alice", KEY)


def test_resolve_without_a_username_does_not_log_in(grid: Recorder) -> None:
    creds = Credentials("u-1", KEY, "env")
    with httpx.Client() as client:
        assert creds.resolve(client, grid.url) is creds
    assert grid.requests == []


def test_grid_api_logs_in_once_then_uses_basic_auth_with_the_user_id(
    grid: Recorder, tmp_path: Path
) -> None:
    grid.script("POST", "/v1/auth/login", Reply(200, {"token": "tok-1"}))
    grid.script("GET", "/v1/auth/user", Reply(200, {"id": "u-42"}))
    grid.script("GET", "/v1/core/clusters", Reply(200, {"clusters": []}))
    creds = Credentials("", KEY, "login as alice", username="alice")
    api = GridApi(grid.url, creds, settings_path=tmp_path / "s.json", retry=RetryPolicy(attempts=1))
    try:
        api.list_clusters()
        api.list_clusters()
    finally:
        api.close()
    assert grid.calls() == [
        ("POST", "/v1/auth/login"),
        ("GET", "/v1/auth/user"),
        ("GET", "/v1/core/clusters"),
        ("GET", "/v1/core/clusters"),
    ]
    basic = "Basic " + base64.b64encode(f"u-42:{KEY}".encode()).decode()
    assert [r.headers["authorization"] for r in grid.requests[2:]] == [basic, basic]
