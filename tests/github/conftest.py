"""A fake GitHub on loopback, and a client for it that records its sleeps instead of sleeping."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The hand-built plans the renderer tests use (tests/render is not a package).
sys.path.insert(0, str(Path(__file__).parents[1] / "render"))
from fake_github import FAST, NOW, REPOSITORY, TOKEN, FakeGitHub

from gridsync.github.api import GitHub


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub().running() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def github(fake: FakeGitHub, sleeps: list[float]) -> Iterator[GitHub]:
    client = GitHub(
        TOKEN, REPOSITORY, api_url=fake.url, retry=FAST, sleep=sleeps.append, clock=lambda: NOW
    )
    yield client
    client.close()
