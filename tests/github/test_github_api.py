"""The GitHub REST client against the fake GitHub over loopback: headers, errors, retries,
pagination, configuration from the environment, and that the token never leaks."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fake_github import ACTIONS_BOT, DOCS, FAST, NOW, REPOSITORY, TOKEN, FakeGitHub

from gridsync import __version__
from gridsync.errors import GridsyncError, UsageError
from gridsync.github.actions import pr_number_from_event
from gridsync.github.api import GitHub, GitHubError

COMMENTS = f"/repos/{REPOSITORY}/issues/7/comments"


def _no_token(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text


def test_every_request_carries_githubs_headers(fake: FakeGitHub, github: GitHub) -> None:
    github.create_issue_comment(7, "hello")
    github.list_issue_comments(7)
    for request in fake.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"] == f"gridsync/{__version__}"
    assert fake.requests[0].body == {"body": "hello"}


def test_an_api_error_carries_githubs_message_and_no_token(
    fake: FakeGitHub, github: GitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.answer_next(
        403,
        {"message": "Resource not accessible by integration", "documentation_url": DOCS},
        method="POST",
    )
    with pytest.raises(GitHubError) as caught:
        github.create_issue_comment(7, "body")
    error = caught.value
    assert (error.method, error.path, error.status) == ("POST", COMMENTS, 403)
    assert error.github_message == "Resource not accessible by integration"
    assert error.documentation_url == DOCS
    assert str(error).startswith(
        f"POST {COMMENTS}: GitHub answered HTTP 403: Resource not accessible by integration"
    )
    assert "pull-requests: write" in error.hint
    _no_token(str(error), repr(error), error.hint, caplog.text, repr(github))
    assert len(fake.requests) == 1  # a permission error is not retried


def test_a_bad_token_is_named_without_showing_it(fake: FakeGitHub) -> None:
    with (
        GitHub("ghp_WRONGtoken", REPOSITORY, api_url=fake.url, retry=FAST) as github,
        pytest.raises(GitHubError, match="Bad credentials") as caught,
    ):
        github.list_issue_comments(7)
    assert caught.value.status == 401
    assert "ghp_WRONGtoken" not in str(caught.value)
    assert "GITHUB_TOKEN" in caught.value.hint


def test_validation_errors_are_spelled_out(fake: FakeGitHub, github: GitHub) -> None:
    with pytest.raises(
        GitHubError, match=r"Validation Failed \(IssueComment body custom body is too long"
    ):
        github.create_issue_comment(7, "x" * 70_000)


def test_get_and_patch_are_retried_after_a_5xx(
    fake: FakeGitHub, github: GitHub, sleeps: list[float]
) -> None:
    comment = fake.add_comment(7, "old")
    fake.answer_next(500, {"message": "boom"}, method="GET")
    fake.answer_next(502, {"message": "bad gateway"}, method="PATCH")
    assert [c["id"] for c in github.list_issue_comments(7)] == [comment["id"]]
    assert github.update_issue_comment(comment["id"], "new")["body"] == "new"
    assert [m for m, _ in fake.calls()] == ["GET", "GET", "PATCH", "PATCH"]
    assert len(sleeps) == 2
    assert all(0 <= s <= FAST.base_delay for s in sleeps)


def test_a_post_is_not_repeated_after_a_5xx(fake: FakeGitHub, github: GitHub) -> None:
    fake.answer_next(500, {"message": "Server Error"}, method="POST")
    with pytest.raises(GitHubError, match="HTTP 500: Server Error"):
        github.create_issue("t", "b", ["x"])
    assert fake.calls() == [("POST", f"/repos/{REPOSITORY}/issues")]
    assert fake.issues == []


def test_a_post_is_not_repeated_after_a_dropped_connection(
    fake: FakeGitHub, github: GitHub
) -> None:
    fake.answer_next(0, drop=True, method="POST")
    with pytest.raises(GitHubError, match="failed after 1 attempt") as caught:
        github.create_issue_comment(7, "body")
    assert "may have acted on it" in caught.value.hint
    assert len(fake.requests) == 1


def test_a_patch_is_repeated_after_a_dropped_connection(
    fake: FakeGitHub, github: GitHub, sleeps: list[float]
) -> None:
    comment = fake.add_comment(7, "old")
    fake.answer_next(0, drop=True, method="PATCH")
    assert github.update_issue_comment(comment["id"], "new")["body"] == "new"
    assert len(fake.requests) == 2
    assert len(sleeps) == 1


def test_a_rate_limited_post_is_repeated_after_retry_after(
    fake: FakeGitHub, github: GitHub, sleeps: list[float]
) -> None:
    fake.answer_next(
        403,
        {"message": "You have exceeded a secondary rate limit"},
        headers={"Retry-After": "7"},
        method="POST",
    )
    github.create_issue_comment(7, "body")
    assert sleeps == [7.0]
    assert len(fake.comments[7]) == 1


def test_the_primary_rate_limit_waits_until_reset(
    fake: FakeGitHub, github: GitHub, sleeps: list[float]
) -> None:
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 12)}
    fake.answer_next(403, {"message": "API rate limit exceeded"}, headers=limited)
    assert github.list_issue_comments(7) == []
    assert sleeps == [12.0]


def test_a_rate_limit_longer_than_the_cap_fails_at_once(
    fake: FakeGitHub, github: GitHub, sleeps: list[float]
) -> None:
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3600)}
    fake.answer_next(403, {"message": "API rate limit exceeded"}, headers=limited)
    with pytest.raises(GitHubError, match="asks to wait 3600s") as caught:
        github.list_issue_comments(7)
    assert caught.value.status == 403
    assert sleeps == []


def test_retries_give_up_with_githubs_last_answer(
    fake: FakeGitHub, github: GitHub, sleeps: list[float]
) -> None:
    fake.answer_next(503, {"message": "unavailable"}, times=10)
    with pytest.raises(GitHubError, match="HTTP 503: unavailable"):
        github.find_issues("gridsync-drift")
    assert len(fake.requests) == FAST.attempts
    assert len(sleeps) == FAST.attempts - 1


def test_pagination_follows_link_headers(fake: FakeGitHub, github: GitHub) -> None:
    for i in range(250):
        fake.add_comment(7, f"c{i}")
    bodies = [c["body"] for c in github.list_issue_comments(7)]
    assert bodies == [f"c{i}" for i in range(250)]
    assert [r.params.get("page") for r in fake.requests] == [None, "2", "3"]


def test_a_next_page_on_another_host_is_refused(fake: FakeGitHub, github: GitHub) -> None:
    link = '<http://elsewhere.invalid/repos/acme/infra/issues?page=2>; rel="next"'
    fake.answer_next(200, [], headers={"Link": link})
    with pytest.raises(GitHubError, match="another host"):
        github.find_issues("x")
    assert len(fake.requests) == 1


def test_find_issues_filters_by_label_and_state_and_skips_pull_requests(
    fake: FakeGitHub, github: GitHub
) -> None:
    fake.add_issue("a", "", ["gridsync-drift"])
    fake.add_issue("b", "", ["other"])
    fake.add_issue("c", "", ["gridsync-drift"], state="closed")
    fake.add_issue("d", "", ["gridsync-drift"], pr=True)
    assert [i["title"] for i in github.find_issues("gridsync-drift")] == ["a"]
    assert [i["title"] for i in github.find_issues("gridsync-drift", "all")] == ["a", "c"]
    assert fake.requests[0].params == {
        "labels": "gridsync-drift",
        "state": "open",
        "per_page": "100",
    }


def test_update_issue_sends_only_what_is_given(fake: FakeGitHub, github: GitHub) -> None:
    issue = fake.add_issue("a", "body", ["x"])
    github.update_issue(issue["number"], state="closed")
    assert fake.requests[-1].body == {"state": "closed"}
    assert issue["body"] == "body"


# --- configuration ------------------------------------------------------------------------------


def test_from_env_with_github_enterprise(sleeps: list[float]) -> None:
    with FakeGitHub(prefix="/api/v3").running() as fake:
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": fake.url}
        with GitHub.from_env(env, retry=FAST, sleep=sleeps.append) as github:
            github.create_issue_comment(3, "hi")
            assert len(github.list_issue_comments(3)) == 1
    assert fake.requests[0].path == f"/api/v3/repos/{REPOSITORY}/issues/3/comments"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"GITHUB_REPOSITORY": REPOSITORY}, "GITHUB_TOKEN"),
        ({"GITHUB_TOKEN": TOKEN}, "GITHUB_REPOSITORY"),
        ({"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "no-slash"}, "owner/name"),
    ],
)
def test_from_env_names_what_is_missing(env: dict[str, str], named: str) -> None:
    with pytest.raises(UsageError) as caught:
        GitHub.from_env(env)
    assert named in str(caught.value)
    _no_token(str(caught.value))


def test_the_default_api_url_is_githubs() -> None:
    github = GitHub.from_env({"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY})
    assert github.api_url == "https://api.github.com"
    assert TOKEN not in repr(github)
    github.close()


@pytest.mark.parametrize(
    ("event", "number"),
    [
        ({"action": "synchronize", "number": 12, "pull_request": {"number": 12}}, 12),
        ({"pull_request": {"number": 5}}, 5),
        ({"issue": {"number": 9, "pull_request": {"url": "x"}}, "comment": {}}, 9),
        ({"issue": {"number": 9}, "comment": {}}, None),
        ({"ref": "refs/heads/main", "number": 3}, None),
        ([], None),
    ],
)
def test_pr_number_from_event(tmp_path: Path, event: object, number: int | None) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    assert pr_number_from_event(path) == number


def test_pr_number_from_a_missing_or_broken_event_file(tmp_path: Path) -> None:
    assert pr_number_from_event(tmp_path / "missing.json") is None
    broken = tmp_path / "event.json"
    broken.write_text("{not json")
    with pytest.raises(GridsyncError, match="cannot read the GitHub event file"):
        pr_number_from_event(broken)


# --- the login gridsync posts as ----------------------------------------------------------------


def test_the_author_is_get_users_login_asked_once(sleeps: list[float]) -> None:
    with (
        FakeGitHub(login="octo-user").running() as fake,
        GitHub(TOKEN, REPOSITORY, api_url=fake.url, retry=FAST, sleep=sleeps.append) as github,
    ):
        assert github.author() == "octo-user"
        assert github.author() == "octo-user"
    assert fake.calls() == [("GET", "/user")]
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_a_403_on_get_user_means_github_actions_bot(
    fake: FakeGitHub, github: GitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert github.author() == ACTIONS_BOT == "github-actions[bot]"
    assert github.author() == ACTIONS_BOT
    assert fake.calls() == [("GET", "/user")]
    assert "Resource not accessible by integration" in caplog.text
    assert "GRIDSYNC_GITHUB_AUTHOR" in caplog.text
    _no_token(caplog.text)


def test_the_author_from_the_environment_asks_nothing(fake: FakeGitHub) -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": fake.url}
    with GitHub.from_env({**env, "GRIDSYNC_GITHUB_AUTHOR": " my-app[bot] "}) as github:
        assert github.author() == "my-app[bot]"
    with GitHub.from_env({**env, "GRIDSYNC_GITHUB_AUTHOR": "x"}, author="y") as github:
        assert github.author() == "y"  # an explicit argument wins
    assert fake.requests == []


@pytest.mark.parametrize("author", ["my app", "evil\n::warning::x", "[bot]", "-x"])
def test_an_author_that_is_not_a_login_is_refused(author: str) -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY}
    with pytest.raises(UsageError, match="not a GitHub login") as caught:
        GitHub.from_env({**env, "GRIDSYNC_GITHUB_AUTHOR": author})
    assert "GRIDSYNC_GITHUB_AUTHOR" in caught.value.hint


def test_a_500_on_get_user_is_an_error_not_a_fallback(
    fake: FakeGitHub, github: GitHub, sleeps: list[float]
) -> None:
    fake.answer_next(500, {"message": "Server Error"}, path=r"^/user$", times=10)
    with pytest.raises(GitHubError) as caught:
        github.author()
    error = caught.value
    assert str(error).startswith(
        "cannot tell which login gridsync posts as: GET /user: GitHub answered HTTP 500: Server Error"
    )
    assert (error.method, error.path, error.status) == ("GET", "/user", 500)
    assert "GRIDSYNC_GITHUB_AUTHOR" in error.hint
    assert len(fake.requests) == FAST.attempts  # retried as any GET, then given up
    assert len(sleeps) == FAST.attempts - 1


def test_a_401_on_get_user_is_an_error_not_a_fallback(fake: FakeGitHub, github: GitHub) -> None:
    fake.answer_next(401, {"message": "Bad credentials"}, path=r"^/user$")
    with pytest.raises(GitHubError, match="HTTP 401: Bad credentials") as caught:
        github.author()
    assert caught.value.status == 401
    assert "check GITHUB_TOKEN" in caught.value.hint


def test_a_rate_limited_get_user_is_waited_out_not_taken_for_github_token(
    sleeps: list[float],
) -> None:
    with FakeGitHub(login="octo-user").running() as fake:
        client = GitHub(TOKEN, REPOSITORY, api_url=fake.url, retry=FAST, sleep=sleeps.append)
        fake.answer_next(
            403,
            {"message": "You have exceeded a secondary rate limit"},
            headers={"Retry-After": "7"},
            path=r"^/user$",
        )
        assert client.author() == "octo-user"
        client.close()
    assert sleeps == [7.0]


def test_get_user_without_a_login_is_an_error(fake: FakeGitHub, github: GitHub) -> None:
    fake.answer_next(200, {"id": 1, "login": "not a login"}, path=r"^/user$")
    with pytest.raises(GitHubError, match="without a login"):
        github.author()


def test_get_user_on_github_enterprise(sleeps: list[float]) -> None:
    with FakeGitHub(prefix="/api/v3", login="ghe-user").running() as fake:
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": fake.url}
        with GitHub.from_env(env, retry=FAST, sleep=sleeps.append) as github:
            assert github.author() == "ghe-user"
    assert fake.calls() == [("GET", "/api/v3/user")]
