"""Fixtures of the runner tests (they live in journey.py with the helpers the tests import)."""

from journey import action, github, plane, runner, runner_home, team

__all__ = ["action", "github", "plane", "runner", "runner_home", "team"]
