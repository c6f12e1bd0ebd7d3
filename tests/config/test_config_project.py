"""gridsync.yaml -> ProjectSettings, and durations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import Project
from config_helpers import DATA, find

from gridsync.config.desired import DEFAULT_CLUSTER_GLOBS
from gridsync.config.project import find_root, load_project, parse_duration
from gridsync.errors import ConfigError


def test_no_file_means_defaults(tmp_path: Path) -> None:
    settings = load_project(tmp_path)
    assert settings.root == tmp_path
    assert settings.source is None
    assert settings.cluster_globs == DEFAULT_CLUSTER_GLOBS
    assert settings.backend.type == "auto"
    assert settings.backend.local.state == tmp_path / ".gridsync" / "grid.db"
    assert (settings.parallelism, settings.prune, settings.max_deletes) == (4, False, None)
    assert settings.wait.timeout_seconds == 5400.0


def test_every_setting() -> None:
    root = DATA / "good"
    settings = load_project(root)
    assert settings.source == "gridsync.yaml"
    assert settings.cluster_globs == ("clusters/**/*.yaml", "clusters/**/*.yml", "clusters/*.yaml")
    assert settings.backend.type == "api"
    assert settings.backend.url == "https://grid.example.test"
    local = settings.backend.local
    assert local.state == root / "var" / "grid.db"
    assert (local.queued_seconds, local.provision_seconds, local.delete_seconds) == (0.0, 2.0, 0.5)
    assert (settings.parallelism, settings.prune, settings.max_deletes) == (8, True, 0)
    assert (settings.managed, settings.protected) == (("ml-*",), ("ml-prod-*",))
    assert (settings.wait.timeout_seconds, settings.wait.poll_max_seconds) == (5400.0, 15.0)


def test_relative_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_project(Path(".")).root == tmp_path


def test_comment_only_file_is_all_defaults(project: Project) -> None:
    project.write("gridsync.yaml", "# nothing set yet\n")
    settings = load_project(project.root)
    assert settings.source == "gridsync.yaml"
    assert settings.parallelism == 4


@dataclass
class Bad:
    id: str
    text: str
    line: int
    col: int
    fragment: str


BAD = [
    Bad("typo", "paralelism: 4\n", 1, 1, "unknown field 'paralelism'; did you mean 'parallelism'?"),
    Bad("runs is a list of globs", "runs:\n  dir: x\n", 2, 3, "expected a list, got a mapping"),
    Bad("lock not a url", "lock: ftp://x/y\n", 1, 7, "lock"),
    Bad("projects not a mapping", "projects: []\n", 1, 11, "expected a mapping"),
    Bad(
        "terraform_timeout zero",
        "terraform_timeout: 0s\n",
        1,
        20,
        "terraform_timeout must be longer than 0 seconds",
    ),
    Bad(
        "nested unknown",
        "backend:\n  local:\n    stat: x\n",
        3,
        5,
        "unknown field 'stat'; did you mean 'state'?",
    ),
    Bad(
        "bad enum",
        "backend:\n  type: remote\n",
        2,
        9,
        "type must be one of 'auto', 'local', 'api'; got the string 'remote'",
    ),
    Bad(
        "parallelism low",
        "parallelism: 0\n",
        1,
        14,
        "parallelism must be at least 1, got the integer 0",
    ),
    Bad("parallelism high", "parallelism: 65\n", 1, 14, "parallelism must be at most 64"),
    Bad(
        "parallelism type",
        "parallelism: four\n",
        1,
        14,
        "expected an integer, got the string 'four'",
    ),
    Bad("prune type", "prune: yes\n", 1, 8, "expected a boolean, got the string 'yes'"),
    Bad("negative cap", "max_deletes: -1\n", 1, 14, "max_deletes must be at least 0"),
    Bad("managed type", "managed: ml-*\n", 1, 10, "expected a list, got the string 'ml-*'"),
    Bad("bad duration", "wait:\n  timeout: soon\n", 2, 12, "'soon' is not a duration"),
    Bad(
        "zero duration",
        "wait:\n  poll_max: 0s\n",
        2,
        13,
        "wait.poll_max must be longer than 0 seconds",
    ),
    Bad(
        "absolute glob", "clusters: [/etc/*.yaml]\n", 1, 12, "must be relative to the project root"
    ),
    Bad(
        "glob leaving root",
        "clusters: ['../x/*.yaml']\n",
        1,
        12,
        "must stay inside the project root",
    ),
    Bad("empty globs", "clusters: []\n", 1, 11, "clusters must not be empty"),
    Bad("no projects", "projects: {}\n", 1, 11, "projects must not be empty"),
    Bad(
        "url scheme", "backend:\n  type: api\n  url: grid.ai\n", 3, 8, "url must match '^https?://'"
    ),
    Bad("not a mapping", "- clusters\n", 1, 1, "gridsync.yaml must be a mapping"),
    Bad(
        "projects inheriting one managed glob",
        "prune: true\nmanaged: ['nc-*']\nprojects:\n  research: {}\n  prod: {}\n",
        2,
        10,
        "projects 'research' and 'prod' both manage names matching 'nc-*'",
    ),
    Bad(
        "projects with overlapping managed globs",
        "projects:\n  a: {managed: ['ml-*']}\n  b: {managed: ['team-*', 'ml-prod-*']}\n",
        3,
        16,
        "both manage names matching 'ml-*' and 'ml-prod-*'",
    ),
    Bad(
        "two documents",
        "prune: true\n---\nprune: false\n",
        3,
        1,
        "must hold a single YAML document",
    ),
    Bad(
        "duplicate key",
        "prune: true\nprune: false\n",
        2,
        1,
        "duplicate key 'prune' (first written at line 1)",
    ),
    Bad("syntax", "wait: {timeout: 1m\n", 2, 1, "YAML syntax error"),
]


@pytest.mark.parametrize("case", BAD, ids=[b.id for b in BAD])
def test_bad_settings(project: Project, case: Bad) -> None:
    project.write("gridsync.yaml", case.text)
    with pytest.raises(ConfigError) as caught:
        load_project(project.root)
    found = find(caught.value.diagnostics, case.line, case.col, case.fragment)
    assert found.path == "gridsync.yaml"


def test_all_settings_errors_at_once(project: Project) -> None:
    project.write("gridsync.yaml", "parallelism: 0\nprune: 1\nbackend: {type: x}\n")
    with pytest.raises(ConfigError) as caught:
        load_project(project.root)
    assert [d.line for d in caught.value.diagnostics] == [1, 2, 3]


def test_settings_drive_discovery(project: Project) -> None:
    project.write("gridsync.yaml", "clusters: [fleet/*.yml]\n")
    project.write("fleet/a.yml", "# nothing declared here yet\n")
    project.write("clusters/ignored.yaml", "not: [valid")
    assert project.load().files == ("fleet/a.yml",)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("1h2m3s", 3723.0),
        ("90", 90.0),
        (" 2m ", 120.0),
        (90, 90.0),
        (2.5, 2.5),
        (0, 0.0),
    ],
)
def test_parse_duration(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "1d", "m", "-5", "5m1h", "1h 30m", "1.5.h", "abc", True, -1, float("inf")]
)
def test_parse_duration_refuses(text: str | float) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_projects_with_disjoint_managed_globs_are_fine(tmp_path: Path) -> None:
    (tmp_path / "gridsync.yaml").write_text(
        "prune: true\nprojects:\n  a: {managed: ['ml-a-*', 'x-[ab]']}\n"
        "  b: {managed: ['ml-b-*', 'x-[cd]']}\n  c: {}\n"
    )
    assert load_project(tmp_path, "a").managed == ("ml-a-*", "x-[ab]")


def test_the_root_is_the_nearest_folder_up_with_a_project(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra" / "runs" / "a").mkdir(parents=True)
    (repo / "infra" / "gridsync.yaml").write_text("")
    assert find_root(repo / "infra" / "runs" / "a") == repo / "infra"
    (repo / "infra" / "runs" / "clusters").mkdir()
    assert find_root(repo / "infra" / "runs" / "a") == repo / "infra" / "runs"
    (tmp_path / "clusters").mkdir()  # above the repository: never found from inside it
    assert find_root(repo) == repo
    assert find_root(repo / "infra" / "runs" / "clusters") == repo / "infra" / "runs"
