"""gridsync.yaml at the project root -> ProjectSettings. Optional; every key has a default."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

from gridsync import redact, statedir
from gridsync.config.desired import (
    DEFAULT_CLUSTER_GLOBS,
    DEFAULT_RUN_GLOBS,
    DEFAULT_STATE_PATH,
    BackendSettings,
    LocalBackendSettings,
    ProjectSettings,
    WaitSettings,
)
from gridsync.config.discover import path_matches
from gridsync.config.globs import overlap
from gridsync.config.schemas import PROJECT_SCHEMA, check, quoted
from gridsync.config.yamlsrc import Problem, YamlDocument, YamlFile, read_yaml_file
from gridsync.confine import is_inside
from gridsync.errors import ConfigError, Diagnostic, UsageError

PROJECT_FILE = "gridsync.yaml"
_AMOUNT = r"[0-9]+(?:\.[0-9]+)?"
_NUMBER = re.compile(_AMOUNT)
_DURATION = re.compile(rf"(?:(?P<h>{_AMOUNT})h)?(?:(?P<m>{_AMOUNT})m)?(?:(?P<s>{_AMOUNT})s)?")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}
MAX_DURATION_SECONDS = 30 * 24 * 3600


def parse_duration(text: str | int | float) -> float:
    """Seconds from a number of seconds or a string like "30s", "5m", "1h30m", "1.5h" or "90".

    Raises ValueError (with a message fit for users) for anything else: negative, not finite, or
    longer than MAX_DURATION_SECONDS (a lock's expiry and every deadline must stay computable).
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration, got a boolean")
    if isinstance(text, int | float):
        if (isinstance(text, float) and not math.isfinite(text)) or text < 0:
            raise ValueError(f"a duration must be a finite number of seconds >= 0, got {text}")
        return _bounded(float(min(text, MAX_DURATION_SECONDS + 1)), str(text))
    value = text.strip()
    if _NUMBER.fullmatch(value):
        return _bounded(float(value), text)
    match = _DURATION.fullmatch(value)
    if not value or match is None or not any(match.groupdict().values()):
        raise ValueError(
            f"{quoted(text)} is not a duration; write seconds (90) or a string like 30s, 5m, "
            "1h30m, 1.5h"
        )
    seconds = sum(
        float(amount) * _UNIT_SECONDS[unit] for unit, amount in match.groupdict().items() if amount
    )
    return _bounded(seconds, text)


def _bounded(seconds: float, written: str) -> float:
    if seconds > MAX_DURATION_SECONDS:
        shown = redact.shorten(written, 20)
        raise ValueError(f"a duration must be at most 30 days (2592000 seconds), got {shown}")
    return seconds


def find_root(start: Path) -> Path:
    """The project root for a command run in `start` without -C: the nearest folder upward that
    holds gridsync.yaml or a clusters/ folder, as git finds .git. The search stops at the top of
    a git repository (a folder holding .git), never leaving it; with no project found, `start`."""
    start = Path(os.path.abspath(start))
    for folder in (start, *start.parents):
        if os.path.lexists(folder / PROJECT_FILE) or (folder / "clusters").is_dir():
            return folder
        if os.path.lexists(folder / ".git"):
            break
    return start


def load_project(root: Path, project: str | None = None) -> ProjectSettings:
    """Settings of the project at `root` (made absolute); ConfigError with every diagnostic.

    With `project`, the keys of that entry of `projects:` replace the top-level ones.
    """
    root = Path(os.path.abspath(root))
    path = root / PROJECT_FILE
    if not os.path.lexists(path):
        if project is not None:
            raise UsageError(f"--project {project}: there is no {PROJECT_FILE} defining projects")
        return ProjectSettings(root=root, backend=BackendSettings(local=_local({}, root)))
    yaml_file = read_yaml_file(path, PROJECT_FILE)
    problems = list(yaml_file.problems)
    raw: dict[str, Any] = {}
    url_line = 0
    for position, document in enumerate(yaml_file.documents):
        if position > 0:
            message = f"{PROJECT_FILE} must hold a single YAML document"
            problems.append((document.number, Problem(*document.start, message)))
            continue
        raw, found = _check(document, root)
        problems.extend((document.number, problem) for problem in found)
        url_line = _url_line(document, project)
    if problems:
        raise ConfigError(
            _diagnostics(yaml_file, problems), f"{PROJECT_FILE} has {len(problems)} error(s)"
        )
    settings = _settings(root, _select(raw, project), project, tuple(raw.get("projects", {})))
    backend = settings.backend._replace(url_source=f"{PROJECT_FILE}:{url_line}")
    return settings._replace(backend=backend)


def _url_line(document: YamlDocument, project: str | None) -> int:
    """The line of the backend.url in force (the project's own first), for messages."""
    paths: list[tuple[str, ...]] = [("backend", "url")]
    if project is not None:
        paths.insert(0, ("projects", project, "backend", "url"))
    for path in paths:
        if path in document.values:
            return document.values[path][0]
    return document.start[0]


def _select(raw: dict[str, Any], project: str | None) -> dict[str, Any]:
    projects: dict[str, Any] = raw.get("projects", {})
    if project is None:
        return raw
    if project not in projects:
        known = ", ".join(sorted(projects)) or "none"
        raise UsageError(f"--project {project}: not defined in {PROJECT_FILE} (projects: {known})")
    return {**raw, **projects[project]}


def _diagnostics(yaml_file: YamlFile, problems: list[tuple[int, Problem]]) -> list[Diagnostic]:
    found = [yaml_file.diagnostic(index, problem) for index, problem in problems]
    return sorted(found, key=lambda d: (d.path, d.line, d.col))


def _check(document: YamlDocument, root: Path) -> tuple[dict[str, Any], list[Problem]]:
    if not isinstance(document.value, dict):
        return {}, [Problem(*document.start, f"{PROJECT_FILE} must be a mapping of settings")]
    raw: dict[str, Any] = document.value
    found = check(
        PROJECT_SCHEMA,
        raw,
        skip=document.unbuilt,
        non_finite=document.non_finite,
        whole_floats=document.whole_floats,
    )
    problems = [Problem(*document.where(p.path, key=p.at_key), p.message, p.path) for p in found]
    # A value under an unsupported tag is reported by the YAML reader and read as null, which the
    # schema skips: the checks below expect the types the schema vouches for.
    if not problems and not document.unbuilt:
        problems = _glob_problems(document, raw) + _duration_problems(document, raw)
        problems += _managed_overlaps(document, raw)
        problems += _path_problems(document, raw, root)
    return raw, problems


def _managed_overlaps(document: YamlDocument, raw: dict[str, Any]) -> list[Problem]:
    """Two projects whose `managed` globs can match one name could prune each other's clusters."""
    projects: dict[str, Any] = raw.get("projects", {})
    managed = {
        name: (("projects", name, "managed"), entry["managed"])
        if "managed" in entry
        else (("managed",), raw.get("managed", []))
        for name, entry in projects.items()
    }
    problems = []
    names = list(managed)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            (path, globs), (_, others) = managed[second], managed[first]
            shared = [(a, b) for a in globs for b in others if overlap(a, b)]
            if shared:
                a, b = shared[0]
                message = (
                    f"projects '{first}' and '{second}' both manage names matching {b!r} and "
                    f"{a!r}: each could prune the other's clusters. Give each project its own "
                    "`managed` globs that no name can match twice"
                )
                problems.append(Problem(*document.where(path), message, path))
    return problems


def _places(raw: dict[str, Any]) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """The top-level settings and every `projects:` entry, each with its YAML path prefix."""
    places: list[tuple[tuple[str, ...], dict[str, Any]]] = [((), raw)]
    places += [(("projects", name), entry) for name, entry in raw.get("projects", {}).items()]
    return places


def _path_problems(document: YamlDocument, raw: dict[str, Any], root: Path) -> list[Problem]:
    """backend.local.state stays inside the project (symlinks resolved); terraform_bin is never a
    path inside it (see terraform_bin_message)."""
    problems = []
    for prefix, settings in _places(raw):
        state = settings.get("backend", {}).get("local", {}).get("state")
        if isinstance(state, str):
            path = (*prefix, "backend", "local", "state")
            message = project_path_message(state, "backend.local.state")
            if not message and not is_inside(root, root / state):
                message = (
                    f"backend.local.state {state!r} leads outside the project root through a "
                    "symlink; keep the local state inside the repository"
                )
            if not message:
                message = _state_clash(state, {**raw, **settings}, root)
            if message:
                problems.append(Problem(*document.where(path), message, path))
        binary = settings.get("terraform_bin")
        message = terraform_bin_message(binary) if isinstance(binary, str) else ""
        if message:
            path = (*prefix, "terraform_bin")
            problems.append(Problem(*document.where(path), message, path))
    return problems


_SQLITE_HEADER = b"SQLite format 3\x00"  # the first bytes of every SQLite database file


def _state_clash(state: str, settings: dict[str, Any], root: Path) -> str:
    """Why the local control plane's SQLite file cannot be at `state` ("" when it can): a path
    the project or gridsync uses for something else, which the database would overwrite or be
    read as."""
    rel = os.path.normpath(state).replace(os.sep, "/")
    where, what = root / rel, f"backend.local.state {state!r}"
    fix = f"point it at a file of its own, such as the default {DEFAULT_STATE_PATH!r}"
    if where.is_dir():
        return f"{what} is a folder; {fix}"
    if os.path.lexists(where) and not where.is_file():
        return f"{what} is not a regular file; {fix}"
    if where.is_file() and not _is_database(where):
        return f"{what} is a file of the project, not a SQLite database; {fix}"
    for key, default in (("clusters", DEFAULT_CLUSTER_GLOBS), ("runs", DEFAULT_RUN_GLOBS)):
        globs = settings.get(key, default)
        glob = next((g for g in globs if isinstance(g, str) and path_matches(rel, g)), None)
        if glob is not None:
            return f"{what} matches the {key} glob {glob!r}, which is read as YAML; {fix}"
    if rel.split("/", 1)[0] == statedir.NAME and not rel.endswith(".db"):
        return (
            f"{what} is in {statedir.NAME}/, beside gridsync's lock, apply records and Terraform "
            f"work folders: give it a name ending in .db there, or {fix}"
        )
    return ""


def _is_database(path: Path) -> bool:
    """A SQLite database, or an empty file (SQLite makes one a database)."""
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except OSError:
        return True  # unreadable: opening it as the state says why
    return head in (b"", _SQLITE_HEADER)


def terraform_bin_message(binary: str) -> str:
    """Why terraform_bin cannot be used ("" when it can): a name looked up on PATH, or an absolute
    path (it must also resolve outside the project, checked where it runs). A relative path is a
    file of the repository, which a pull request can change."""
    if "/" not in binary and "\\" not in binary:
        return ""
    if os.path.isabs(binary):
        return ""
    return (
        f"terraform_bin {binary!r} is a path inside the project: a file of the repository is "
        "code any pull request can change; write a name on PATH (terraform) or an absolute path "
        "outside the project, or set GRIDSYNC_TERRAFORM_BIN in the CI environment"
    )


def _glob_problems(document: YamlDocument, raw: dict[str, Any]) -> list[Problem]:
    problems = []
    for prefix, settings in _places(raw):
        problems += _globs_of(document, prefix, settings)
    return problems


def _globs_of(
    document: YamlDocument, prefix: tuple[str, ...], raw: dict[str, Any]
) -> list[Problem]:
    problems = []
    for key in ("clusters", "runs"):
        for index, pattern in enumerate(raw.get(key, [])):
            path = (*prefix, key, index)
            message = glob_message(pattern)
            if message:
                problems.append(Problem(*document.where(path), message, path))
    return problems


def glob_message(pattern: str) -> str:
    """Why a file glob cannot be used ("" when it can): it must stay relative, inside the root."""
    if pattern.startswith("/"):
        return f"glob {pattern!r} must be relative to the project root"
    if ".." in pattern.split("/"):
        return f"glob {pattern!r} must stay inside the project root"
    return ""


def project_path_message(path: str, what: str) -> str:
    """Why a path written in YAML cannot be used ("" when it can): relative, inside the root."""
    if path.startswith("/") or re.match(r"[A-Za-z]:[\\/]", path) or path.startswith("\\"):
        return f"{what} {path!r} must be relative to the project root"
    depth = 0
    for part in re.split(r"[\\/]", path):
        depth += -1 if part == ".." else 0 if part in ("", ".") else 1
        if depth < 0:
            return f"{what} {path!r} leaves the project root; keep it inside the repository"
    return ""


def _duration_problems(document: YamlDocument, raw: dict[str, Any]) -> list[Problem]:
    problems = []
    durations: list[tuple[tuple[str, ...], Any]] = [
        (("wait", key), value) for key, value in raw.get("wait", {}).items()
    ]
    if "terraform_timeout" in raw:
        durations.append((("terraform_timeout",), raw["terraform_timeout"]))
    for path, value in durations:
        key = ".".join(map(str, path))
        try:
            if parse_duration(value) <= 0:
                problems.append(
                    Problem(*document.where(path), f"{key} must be longer than 0 seconds", path)
                )
        except ValueError as exc:
            problems.append(Problem(*document.where(path), str(exc), path))
    return problems


def _settings(
    root: Path, raw: dict[str, Any], project: str | None = None, projects: tuple[str, ...] = ()
) -> ProjectSettings:
    backend: dict[str, Any] = raw.get("backend", {})
    wait: dict[str, Any] = raw.get("wait", {})
    defaults = WaitSettings()
    return ProjectSettings(
        root=root,
        cluster_globs=tuple(raw.get("clusters", DEFAULT_CLUSTER_GLOBS)),
        run_globs=tuple(raw.get("runs", DEFAULT_RUN_GLOBS)),
        backend=BackendSettings(
            type=backend.get("type", "auto"),
            local=_local(backend.get("local", {}), root),
            url=backend.get("url"),
        ),
        parallelism=raw.get("parallelism", 4),
        prune=raw.get("prune", False),
        managed=tuple(raw.get("managed", ())),
        protected=tuple(raw.get("protected", ())),
        max_deletes=raw.get("max_deletes"),
        wait=WaitSettings(
            timeout_seconds=parse_duration(wait.get("timeout", defaults.timeout_seconds)),
            poll_min_seconds=defaults.poll_min_seconds,
            poll_max_seconds=parse_duration(wait.get("poll_max", defaults.poll_max_seconds)),
        ),
        terraform_bin=raw.get("terraform_bin"),
        terraform_timeout=parse_duration(raw.get("terraform_timeout", "60m")),
        terraform_local_state=raw.get("terraform_local_state", False),
        lock=raw.get("lock"),
        project=project,
        projects=projects,
        source=PROJECT_FILE,
    )


def _local(raw: dict[str, Any], root: Path) -> LocalBackendSettings:
    defaults = LocalBackendSettings()
    return LocalBackendSettings(
        state=root / raw.get("state", DEFAULT_STATE_PATH),
        queued_seconds=float(raw.get("queued_seconds", defaults.queued_seconds)),
        provision_seconds=float(raw.get("provision_seconds", defaults.provision_seconds)),
        delete_seconds=float(raw.get("delete_seconds", defaults.delete_seconds)),
    )
