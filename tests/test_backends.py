"""In CI with Grid credentials, a project whose backend resolves to the local control plane is
refused: a throwaway SQLite file on the runner is never production."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridsync.backends import open_backend
from gridsync.config.desired import ProjectSettings
from gridsync.errors import UsageError

CREDENTIALS = {"GRID_USER_ID": "u-1", "GRID_API_KEY": "k-1"}


def settings(root: Path, backend: str) -> ProjectSettings:
    from gridsync.config.project import load_project

    (root / "gridsync.yaml").write_text(f"backend: {{type: {backend}}}\n")
    return load_project(root)


@pytest.mark.parametrize("ci", [{"CI": "true"}, {"GITHUB_ACTIONS": "true"}])
@pytest.mark.parametrize(("configured", "choice"), [("local", None), ("auto", "local")])
def test_local_in_ci_with_credentials_is_refused(
    tmp_path: Path, ci: dict[str, str], configured: str, choice: str | None
) -> None:
    with pytest.raises(UsageError, match="throwaway SQLite file") as raised:
        open_backend(settings(tmp_path, configured), choice, {**ci, **CREDENTIALS})
    assert "k-1" not in str(raised.value)
    assert not (tmp_path / ".gridsync").exists()  # refused before anything was created


@pytest.mark.parametrize(
    "env",
    [{"CI": "true"}, CREDENTIALS, {}],
    ids=["ci-without-credentials", "credentials-outside-ci", "neither"],
)
def test_local_is_fine_without_both(tmp_path: Path, env: dict[str, str]) -> None:
    backend = open_backend(settings(tmp_path, "local"), None, env)
    assert type(backend).__name__ == "LocalControlPlane"
