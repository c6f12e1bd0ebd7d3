"""The sticky comment and the drift issue are gridsync's only if gridsync wrote them: a comment or
issue that copies the marker but was written by someone else is never updated or closed.
Against the fake GitHub over real loopback HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fake_github import ACTIONS_BOT, FAST, REPOSITORY, TOKEN, FakeGitHub

from gridsync.github.api import GitHub, GitHubError
from gridsync.github.comment import (
    DRIFT_LABEL,
    DRIFT_MARKER,
    MARKER,
    comment_body,
    drift_body,
    sync_drift_issue,
    upsert_comment,
)

PR = 42
COMMENTS = f"/repos/{REPOSITORY}/issues/{PR}/comments"
FORGED = f"{MARKER}\nplan_id: forged"


@pytest.fixture
def caplog_warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="gridsync.github.comment")
    return caplog


@pytest.fixture
def pat_fake() -> Iterator[FakeGitHub]:
    """A fake GitHub whose token is a personal access token: GET /user answers `octo-user`."""
    with FakeGitHub(login="octo-user").running() as server:
        yield server


def _client(fake: FakeGitHub) -> GitHub:
    return GitHub(TOKEN, REPOSITORY, api_url=fake.url, retry=FAST, sleep=lambda _: None)


def _user_calls(fake: FakeGitHub) -> int:
    return sum(1 for method, path in fake.calls() if (method, path) == ("GET", "/user"))


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# --- the sticky comment -------------------------------------------------------------------------


def test_a_forged_marker_comment_is_left_alone_and_gridsync_posts_its_own(
    fake: FakeGitHub, github: GitHub, caplog_warnings: pytest.LogCaptureFixture
) -> None:
    forged = fake.add_comment(PR, FORGED, user="mallory")
    body = comment_body("### Plan", "real")
    assert upsert_comment(github, PR, body) == "created"
    assert forged["body"] == FORGED
    assert fake.writes() == [("POST", COMMENTS)]  # never a PATCH of the forged comment
    created = fake.comments[PR][1]
    assert (created["body"], created["user"]) == (body, {"login": ACTIONS_BOT})
    assert _warnings(caplog_warnings) == [
        f"pull request #{PR}: comment {forged['id']} by mallory carries the gridsync marker; "
        f"ignored (not written by {ACTIONS_BOT})"
    ]


def test_the_next_push_updates_our_comment_and_still_not_the_forged_one(
    fake: FakeGitHub, github: GitHub, caplog_warnings: pytest.LogCaptureFixture
) -> None:
    forged = fake.add_comment(PR, FORGED, user="mallory")
    assert upsert_comment(github, PR, comment_body("### Plan", "1")) == "created"
    ours = fake.comments[PR][1]
    second = comment_body("### Plan again", "2")
    assert upsert_comment(github, PR, second) == "updated"
    assert ours["body"] == second
    assert forged["body"] == FORGED
    assert fake.writes() == [
        ("POST", COMMENTS),
        ("PATCH", f"/repos/{REPOSITORY}/issues/comments/{ours['id']}"),
    ]
    assert len(_warnings(caplog_warnings)) == 2  # once per run that sees the forged comment
    assert not any("updating the first" in w for w in _warnings(caplog_warnings))


def test_our_own_marker_comment_is_updated(fake: FakeGitHub, github: GitHub) -> None:
    mine = fake.add_comment(PR, comment_body("old", "1"), user=ACTIONS_BOT)
    new = comment_body("new", "2")
    assert upsert_comment(github, PR, new) == "updated"
    assert mine["body"] == new
    assert fake.writes() == [("PATCH", f"/repos/{REPOSITORY}/issues/comments/{mine['id']}")]


def test_with_a_personal_token_the_user_from_get_user_is_ours_case_insensitively(
    pat_fake: FakeGitHub, caplog_warnings: pytest.LogCaptureFixture
) -> None:
    bot = pat_fake.add_comment(PR, comment_body("by the bot", "0"), user=ACTIONS_BOT)
    mine = pat_fake.add_comment(PR, comment_body("old", "1"), user="Octo-User")
    with _client(pat_fake) as github:
        assert upsert_comment(github, PR, comment_body("new", "2")) == "updated"
    assert "new" in mine["body"]
    assert "by the bot" in bot["body"]
    assert [w.split(" carries")[0] for w in _warnings(caplog_warnings)] == [
        f"pull request #{PR}: comment {bot['id']} by {ACTIONS_BOT}"
    ]


def test_the_author_from_the_environment_decides_and_get_user_is_not_asked(
    fake: FakeGitHub, caplog_warnings: pytest.LogCaptureFixture
) -> None:
    by_actions = fake.add_comment(PR, comment_body("actions", "0"), user=ACTIONS_BOT)
    by_app = fake.add_comment(PR, comment_body("app", "1"), user="my-app[bot]")
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": fake.url}
    env["GRIDSYNC_GITHUB_AUTHOR"] = "my-app[bot]"
    with GitHub.from_env(env, retry=FAST) as github:
        assert upsert_comment(github, PR, comment_body("new", "2")) == "updated"
    assert "new" in by_app["body"]
    assert "actions" in by_actions["body"]
    assert _user_calls(fake) == 0
    assert "(not written by my-app[bot])" in _warnings(caplog_warnings)[0]


def test_no_marker_comment_means_no_question_about_the_author(
    fake: FakeGitHub, github: GitHub
) -> None:
    fake.add_comment(PR, "LGTM", user="alice")
    assert upsert_comment(github, PR, comment_body("a", "1")) == "created"
    assert _user_calls(fake) == 0


def test_get_user_is_asked_at_most_once_per_client(pat_fake: FakeGitHub) -> None:
    pat_fake.add_comment(PR, FORGED, user="mallory")
    with _client(pat_fake) as github:
        for i in range(3):
            upsert_comment(github, PR, comment_body("plan", str(i)))
        for i in range(3):
            sync_drift_issue(github, project=None, drifted=True, body=f"drift {i}")
        sync_drift_issue(github, project=None, drifted=False, body="")
    assert _user_calls(pat_fake) == 1
    with _client(pat_fake) as fresh:
        upsert_comment(fresh, PR, comment_body("plan", "9"))
    assert _user_calls(pat_fake) == 2  # a new client asks again


def test_a_500_on_get_user_is_an_error_and_nothing_is_written(
    fake: FakeGitHub, github: GitHub
) -> None:
    fake.add_comment(PR, FORGED, user="mallory")
    fake.answer_next(500, {"message": "Server Error"}, method="GET", path=r"^/user$", times=10)
    with pytest.raises(GitHubError, match="cannot tell which login gridsync posts as") as caught:
        upsert_comment(github, PR, comment_body("a", "1"))
    assert caught.value.status == 500
    assert fake.writes() == []
    assert len(fake.comments[PR]) == 1


# --- the drift issue ----------------------------------------------------------------------------


def test_a_forged_drift_issue_is_never_updated_or_closed(
    fake: FakeGitHub, github: GitHub, caplog_warnings: pytest.LogCaptureFixture
) -> None:
    forged_body = f"{DRIFT_MARKER}\nforged"
    forged = fake.add_issue("drift", forged_body, [DRIFT_LABEL], user="mallory")
    assert sync_drift_issue(github, project=None, drifted=True, body="### drift") == "created"
    ours = fake.issues[-1]
    assert ours["user"] == {"login": ACTIONS_BOT}
    assert sync_drift_issue(github, project=None, drifted=True, body="### more") == "updated"
    assert sync_drift_issue(github, project=None, drifted=False, body="") == "closed"
    assert (forged["body"], forged["state"]) == (forged_body, "open")
    assert (ours["body"], ours["state"]) == (drift_body("### more"), "closed")
    patched = {path for method, path in fake.writes() if method == "PATCH"}
    assert patched == {f"/repos/{REPOSITORY}/issues/{ours['number']}"}
    assert _warnings(caplog_warnings)[0] == (
        f"drift issue #{forged['number']} by mallory carries the gridsync marker; "
        f"ignored (not written by {ACTIONS_BOT})"
    )


def test_only_a_forged_drift_issue_and_no_drift_closes_nothing(
    fake: FakeGitHub, github: GitHub
) -> None:
    forged = fake.add_issue("drift", DRIFT_MARKER, [DRIFT_LABEL], user="mallory")
    assert sync_drift_issue(github, project=None, drifted=False, body="") == "none"
    assert forged["state"] == "open"
    assert fake.writes() == []


def test_our_own_drift_issue_is_updated(pat_fake: FakeGitHub) -> None:
    mine = pat_fake.add_issue("drift", drift_body("old"), [DRIFT_LABEL], user="octo-user")
    with _client(pat_fake) as github:
        assert sync_drift_issue(github, project=None, drifted=True, body="new") == "updated"
    assert mine["body"] == drift_body("new")
    assert len(pat_fake.issues) == 1
