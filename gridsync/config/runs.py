"""Grid run and session config files (`grid run --config F`) as desired state.

gridsync does not submit runs: it keeps each file's `compute.provider.cluster` pointing at the right
cluster. Here every such file is found (the project's `runs:` globs plus every cluster's `runs:`
binding globs, with the symlink rules of cluster files), read with yamlsrc, checked against
schemas/runconfig.schema.json and turned into a RunConfig.

Grid silently ignores keys it does not know, so an unknown key (a typo such as `gpu`) is a warning
with a did-you-mean rather than an error; wrong types, minimums, enums and half a datastore are
errors. A `compute.provider.cluster` naming no declared cluster is not an error here: live state may
hold it, and the plan checks it there. Only a value that cannot be a cluster name is refused.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from gridsync.config.cluster import NAME_RULE, suggest_name
from gridsync.config.desired import ProjectSettings, RunConfig
from gridsync.config.discover import Found, Listing, discover
from gridsync.config.project import PROJECT_FILE, glob_message
from gridsync.config.schemas import SchemaProblem, check, load_schema, quoted
from gridsync.config.yamlsrc import Problem, YamlDocument, YamlFile, YamlPath, read_yaml_file
from gridsync.errors import Diagnostic
from gridsync.spec import Source, is_valid_name
from gridsync.twocores import Shared

RUN_SCHEMA = "runconfig.schema.json"
# `compute.provider` keys of Grid's older docs; the last grid CLI reads only `cluster` there.
LEGACY_PROVIDER_KEYS = frozenset({"vendor", "region", "credentials"})
SESSION_KEYS = ("instance_type", "disk_size")  # a session config's compute.train keys

_PROVIDER: YamlPath = ("compute", "provider")
_CLUSTER: YamlPath = ("compute", "provider", "cluster")
_TRAIN: YamlPath = ("compute", "train")
_DATASTORE = ("datastore_name", "datastore_version")
_SETTINGS: YamlPath = ("hyper_params", "settings")
_OPTIONS: YamlPath = (*_SETTINGS, "strategy_options")
_PACKAGE_MANAGER: YamlPath = (*_TRAIN, "dependency_file_info", "package_manager")


def frameworks() -> tuple[str, ...]:
    """The frameworks Grid accepts, from the schema (its one home)."""
    train = load_schema(RUN_SCHEMA)["properties"]["compute"]["properties"]["train"]
    return tuple(train["properties"]["framework"]["enum"])


class Binding(NamedTuple):
    """A cluster document's `runs:` globs: the run configs that run on that cluster."""

    cluster: str
    yaml_file: YamlFile  # the cluster file: diagnostics are about it
    document: YamlDocument
    globs: tuple[tuple[int, str], ...]  # (index in `runs:`, glob) of every usable glob

    def diagnostic(self, path: YamlPath, message: str, severity: str = "error") -> Diagnostic:
        line, col = self.document.where(path, key=path == ("runs",))
        problem = Problem(line, col, message, path, severity)
        return self.yaml_file.diagnostic(self.document.number, problem)

    @property
    def source(self) -> Source:
        """Where `runs:` is written."""
        return Source(self.yaml_file.path, *self.document.where(("runs",), key=True))


def binding_of(
    yaml_file: YamlFile, document: YamlDocument, name: str | None
) -> tuple[Binding | None, list[Problem]]:
    """The `runs:` globs of a cluster document named `name`, and problems with those globs.

    Wrong types are left to the cluster schema; a glob that is absolute or leaves the root is an
    error here and is not used.
    """
    runs = document.value.get("runs") if isinstance(document.value, dict) else None
    if name is None or not isinstance(runs, list):
        return None, []
    globs: list[tuple[int, str]] = []
    problems: list[Problem] = []
    for index, pattern in enumerate(runs):
        if not isinstance(pattern, str) or not pattern:
            continue
        message = glob_message(pattern)
        if message:
            problems.append(Problem(*document.where(("runs", index)), message, ("runs", index)))
        else:
            globs.append((index, pattern))
    return Binding(name, yaml_file, document, tuple(globs)), problems


@dataclass
class RunFiles:
    """What the project's `runs:` globs match, found before any cluster file is read so that the
    run configs among them can be read meanwhile (`to_read`, gridsync.twocores); the bindings'
    globs then reuse the listing (load_runs drops it once they are matched)."""

    listing: Listing | None  # None once taken
    found: list[Found]
    diagnostics: list[Diagnostic]
    to_read: list[Found]  # the matches that are run configs: not cluster files, not gridsync.yaml

    def take_listing(self) -> Listing:
        """The listing, no longer held here: its walks hold every folder reached."""
        listing, self.listing = self.listing or Listing(), None
        return listing


def find_run_files(settings: ProjectSettings, cluster_files: Collection[str]) -> RunFiles:
    listing = Listing()
    found, diagnostics = discover(settings.root, settings.run_globs, listing)
    to_read = [item for item in found if not _elsewhere(item.rel, cluster_files)]
    return RunFiles(listing, found, diagnostics, to_read)


def load_runs(
    settings: ProjectSettings,
    bindings: Sequence[Binding],
    cluster_files: Collection[str],
    run_files: RunFiles,
    reading: Shared[Found, ReadRun],
) -> tuple[list[RunConfig], list[Diagnostic]]:
    """Every run config (sorted by path) and every diagnostic about run configs and bindings.

    `bindings` are in declaration order (the second cluster to bind a file is the one in error);
    `cluster_files` are the files read as cluster files, which cannot also be run configs;
    `reading` reads `run_files.to_read`.
    """
    files = {item.rel: item for item in run_files.found}
    owners, bind_diagnostics = _bind(settings.root, bindings, files, run_files.take_listing())
    diagnostics = [*run_files.diagnostics, *bind_diagnostics]

    def owned(read: ReadRun) -> ReadRun:
        """Only a bound file is ever edited: its text alone is kept."""
        run, file_diagnostics = read
        if run is None:
            return read
        owner = owners.get(run.path)
        path, kind, cluster, source, _, text = run  # a new tuple: _replace takes 3x as long
        run = RunConfig(path, kind, cluster, source, owner, text if owner else "")
        return run, file_diagnostics

    items = reading.items
    read = dict(zip((item.rel for item in items), reading.results(owned), strict=True))
    runs: list[RunConfig] = []
    for rel in sorted(files):
        if _elsewhere(rel, cluster_files):
            diagnostics.append(_not_a_run_config(rel))
            continue
        run, file_diagnostics = read[rel] if rel in read else owned(read_run(files[rel]))
        diagnostics.extend(file_diagnostics)
        if run is not None:
            runs.append(run)
    return runs, diagnostics


def _elsewhere(rel: str, cluster_files: Collection[str]) -> bool:
    """A file that the globs match but that is not a run config (see _not_a_run_config)."""
    return rel in cluster_files or rel == PROJECT_FILE


def _bind(
    root: Path, bindings: Sequence[Binding], files: dict[str, Found], listing: Listing
) -> tuple[dict[str, str], list[Diagnostic]]:
    """Run config path -> cluster name; files bound by a glob are added to `files`."""
    owners: dict[str, Binding] = {}
    diagnostics: list[Diagnostic] = []
    for binding in bindings:
        for index, pattern in binding.globs:
            matched, problems = discover(root, (pattern,), listing)
            diagnostics.extend(problems)
            if not matched and not problems:
                message = f"glob {pattern!r} matches no file: it binds no run config"
                diagnostics.append(binding.diagnostic(("runs", index), message, "warning"))
            for item in matched:
                files.setdefault(item.rel, item)
                first = owners.setdefault(item.rel, binding)
                if first.cluster != binding.cluster:
                    diagnostics.append(_bound_twice(item.rel, first, binding))
    return {rel: binding.cluster for rel, binding in owners.items()}, diagnostics


def _bound_twice(rel: str, first: Binding, second: Binding) -> Diagnostic:
    message = (
        f"run config {rel} is bound to cluster '{first.cluster}' (runs: at {first.source}) "
        f"and to cluster '{second.cluster}'; a run config runs on one cluster: "
        "narrow one of the two `runs:` globs"
    )
    return second.diagnostic(("runs",), message)


def _not_a_run_config(rel: str) -> Diagnostic:
    if rel == PROJECT_FILE:
        message = (
            f"{PROJECT_FILE} holds the project settings, not a run config; narrow the runs globs"
        )
    else:
        message = (
            "this file matches both the cluster file globs and the run config globs; "
            "a file is either a cluster file or a run config: narrow the globs"
        )
    return Diagnostic(rel, 1, 1, message)


ReadRun = tuple[RunConfig | None, list[Diagnostic]]


def read_run(item: Found) -> ReadRun:
    """A run config file read and checked, its text kept: whether it is bound is not known yet."""
    yaml_file = read_yaml_file(item.path, item.rel)
    diagnostics = yaml_file.diagnostics()
    documents = yaml_file.documents
    if not documents:
        if not diagnostics:
            message = "the file is empty: Grid refuses a run config that is not a mapping"
            diagnostics.append(Diagnostic(item.rel, 1, 1, message))
        return None, diagnostics
    message = "a run config must hold a single YAML document; Grid refuses more"
    for extra in documents[1:]:
        diagnostics.append(yaml_file.diagnostic(extra.number, Problem(*extra.start, message)))
    # An empty document beside the one that holds the config (a stray `---`) is a second
    # document to Grid's loader too ("expected a single document in the stream").
    for line, col in yaml_file.empty_starts:
        empty = f"{message} (this `---` starts an empty one: delete it)"
        diagnostics.append(yaml_file.diagnostic(0, Problem(line, col, empty)))
    if len(documents) == 1 and not yaml_file.empty_starts and _grid_may_refuse(yaml_file.text):
        refused = _grid_refusal(yaml_file.text)
        if refused is not None:
            diagnostics.append(yaml_file.diagnostic(0, refused))
    run, problems = check_run_document(documents[0], item.rel, None, yaml_file.text)
    diagnostics.extend(yaml_file.diagnostic(documents[0].number, p) for p in problems)
    return run, diagnostics


# A quoted scalar on one line, and where a comment starts (a `#` after a space, or first).
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'")
_COMMENT = re.compile(r"(?:^|(?<= ))#")


# A block scalar's header with a comment and no space before it (`|#`, `>-#`, `|+2#`). Written
# from the `#`, a literal the regex engine finds by a fast scan, and only there looks behind.
_BLOCK_HASH = re.compile("#(?:(?<=[|>]#)|(?<=[|>][-+1-9]#)|(?<=[|>][-+1-9][-+1-9]#))")


def _grid_may_refuse(text: str) -> bool:
    """Whether the text may hold what PyYAML's pure scanner refuses and libyaml reads: a `#`
    right after a block scalar's header, or a tab where it stands outside one-line quotes and
    comments (before a comment, between flow entries, after a colon, inside a plain value). A
    false alarm costs one pure-Python parse of the file."""
    if _BLOCK_HASH.search(text):
        return True
    if "\t" not in text:
        return False
    for line in text.splitlines():
        if "\t" in line:
            code = _COMMENT.split(_QUOTED.sub("", line), maxsplit=1)[0]
            if "\t" in code or '"' in code or "'" in code:  # or a quote spanning lines
                return True
    return False


def _grid_refusal(text: str) -> Problem | None:
    """Grid's loader (yaml.safe_load: PyYAML's pure-Python parser) refusing the file, as a
    problem at its place."""
    try:  # without a leading BOM, which PyYAML would count as a column and an editor does not
        yaml.load(text.removeprefix("\ufeff"), Loader=yaml.SafeLoader)
    except Exception as exc:  # a YAMLError, or a constructor's ValueError: Grid fails alike
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        detail = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        tab = "'\\t'" in detail  # PyYAML: found character '\t' that cannot start any token
        hint = "write spaces instead of the tab" if tab else "write it the way both read alike"
        message = f"Grid's loader (yaml.safe_load) cannot read this file: {detail}; {hint}"
        return Problem(line, col, message)
    return None


def check_run_document(
    document: YamlDocument, rel: str, bound_to: str | None = None, text: str = ""
) -> tuple[RunConfig | None, list[Problem]]:
    """The RunConfig of one run config document and every problem in it (warnings included).

    The RunConfig is None only when the document is not a mapping; `text` is the file's, for the
    edit of a bound file.
    """
    value = document.value
    if not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else "a single value"
        message = f"a run config must be a mapping (compute:, hyper_params:), got {kind}"
        return None, [Problem(*document.start, message)]
    problems = [
        _schema_problem(document, found)
        for found in check(
            RUN_SCHEMA,
            value,
            skip=document.unbuilt,
            non_finite=document.non_finite,
            whole_floats=document.whole_floats,
        )
    ]
    problems.extend(_rule_problems(document, value))
    problems.extend(_yaml11_problem(document, path) for path in sorted(document.yaml11, key=str))
    problems.extend(_yaml11_key_problem(document, p) for p in sorted(document.yaml11_keys, key=str))
    return _run_config(document, rel, value, bound_to, text), problems


def _grid_reads(text: str) -> tuple[str, bool]:
    """What Grid's loader makes of a plain scalar gridsync reads as a string (see _STR_11), and
    whether it refuses it."""
    try:
        read = yaml.safe_load(text)
    except yaml.YAMLError:
        return "refuses it", True
    if read is None:
        return "reads it as null", False
    if isinstance(read, bool):
        return f"reads it as the boolean {str(read).lower()}", False
    if isinstance(read, int | float):
        return f"reads it as the number {read}", False
    return f"reads it as the date {read}", False


def _yaml11_problem(document: YamlDocument, path: YamlPath) -> Problem:
    """A plain value gridsync reads as a string and Grid's loader (YAML 1.1: the grid CLI reads
    run configs with PyYAML) as something else. An error at compute.provider.cluster (`cluster:
    on` is the boolean true to Grid, while gridsync counts the file as targeting the cluster
    `on`) and where Grid refuses the file (`=`), a warning elsewhere (`DEBUG: yes` reaches the run
    as True)."""
    text = str(_get(document.value, path))
    grid, refused = _grid_reads(text)
    message = (
        f"{text!r} is a string to gridsync (YAML 1.2), but Grid's loader (YAML 1.1, as the grid "
        f"CLI reads this file) {grid}; quote it ('{text}') to mean the string"
    )
    severity = "error" if path == _CLUSTER or refused else "warning"
    return Problem(*document.where(path), message, path, severity)


def _yaml11_key_problem(document: YamlDocument, path: YamlPath) -> Problem:
    """A plain key gridsync reads as its text and Grid's loader as a boolean, a number or null
    (`environment: {ON: "1"}` sets the variable `True` to Grid): a warning at the key; an error
    where Grid refuses the file (`=`)."""
    text = str(path[-1])
    grid, refused = _grid_reads(text)
    message = (
        f"the key {text!r} is a string to gridsync, but Grid's loader (YAML 1.1, as the grid CLI "
        f"reads this file) {grid}; quote it ('{text}') to mean the string"
    )
    severity = "error" if refused else "warning"
    return Problem(*document.where(path, key=True), message, path, severity)


def _run_config(
    document: YamlDocument, rel: str, value: dict[str, Any], bound_to: str | None, text: str
) -> RunConfig:
    train = _get(value, _TRAIN)
    session = isinstance(train, dict) and any(key in train for key in SESSION_KEYS)
    cluster = _get(value, _CLUSTER)
    position = document.values.get(_CLUSTER) or document.keys.get(("compute",)) or (1, 1)
    return RunConfig(
        path=rel,
        kind="session" if session else "run",
        cluster=cluster if isinstance(cluster, str) else None,
        source=Source(rel, *position),
        bound_to=bound_to,
        text=text,
    )


def _get(value: Any, path: YamlPath) -> Any:
    """The value at `path`, or None when any part of the way is missing or of another type."""
    for part in path:
        if type(value) is dict:  # keys are strings: an index part finds nothing
            value = value.get(part)
        elif isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def _schema_problem(document: YamlDocument, found: SchemaProblem) -> Problem:
    if found.at_key:  # schemas.py marks unknown keys so; Grid ignores them: a warning
        where = document.where(found.path, key=True)
        return Problem(*where, _unknown_key(found), found.path, "warning")
    reworded = _reworded(document, found)
    if reworded is not None:
        return reworded
    return Problem(*document.where(found.path), found.message, found.path)


def _unknown_key(found: SchemaProblem) -> str:
    key = str(found.path[-1])
    if found.path[:-1] == _PROVIDER and key in LEGACY_PROVIDER_KEYS:
        return (
            f"'{key}' is from Grid's older docs (provider: vendor, region, credentials); "
            "the last grid CLI reads none of them, only compute.provider.cluster"
        )
    hint = found.message.removeprefix(f"unknown field '{key}'")
    return f"unknown key '{key}' (Grid ignores it){hint.replace('known fields', 'known keys')}"


def _reworded(document: YamlDocument, found: SchemaProblem) -> Problem | None:
    """Clearer messages for the rules jsonschema words poorly (or not at all), by where they are."""
    path, value = found.path, _get(document.value, found.path)
    message = ""
    if path == _TRAIN and isinstance(value, dict):  # only dependentRequired fails on the mapping
        return _datastore_problem(document, value)
    if path == (*_TRAIN, "scratch") and isinstance(value, dict):
        keys = f": {', '.join(value)}" if value else ""
        message = f"scratch must hold exactly one key, got {len(value)}{keys}"
    elif path == (*_TRAIN, "framework") and isinstance(value, str):
        message = _framework_message(value)
    elif path[:-1] == (*_TRAIN, "environment") and isinstance(value, bool | int | float):
        message = f"{found.message}; quote the value: environment values are strings"
    elif path[:-1] == _OPTIONS and isinstance(value, bool | int | float):
        message = (
            f'{found.message}; quote it ({path[-1]}: "{value}"): Grid takes strategy options '
            "as a map of strings"
        )
    if not message:
        return None
    return Problem(*document.where(path), message, path)


def _datastore_problem(document: YamlDocument, train: dict[str, Any]) -> Problem | None:
    present = [key for key in _DATASTORE if key in train]
    if len(present) != 1:
        return None
    (key,) = present
    (missing,) = [other for other in _DATASTORE if other != key]
    path = (*_TRAIN, key)
    message = f"{key} needs {missing} too: write both or neither"
    return Problem(*document.where(path, key=True), message, path)


def _framework_message(value: str) -> str:
    known = frameworks()
    message = f"framework must be one of {', '.join(known)}; got {quoted(value)}"
    close = difflib.get_close_matches(value, known, n=1)
    return f"{message}; did you mean '{close[0]}'?" if close else message


def _rule_problems(document: YamlDocument, value: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    cluster = _get(value, _CLUSTER)
    if isinstance(cluster, str) and cluster and not is_valid_name(cluster):
        message = f"{quoted(cluster)} is not a valid cluster name or id: {NAME_RULE}"
        suggestion = suggest_name(cluster)
        if suggestion:
            message += f"; did you mean '{suggestion}'?"
        problems.append(Problem(*document.where(_CLUSTER), message, _CLUSTER))
    train = _get(value, _TRAIN)
    if isinstance(train, dict) and "instance" in train:
        session_keys = [key for key in SESSION_KEYS if key in train]
        if session_keys:
            path = (*_TRAIN, session_keys[0])
            message = (
                f"'instance' is a run config key and '{session_keys[0]}' a session config key; "
                "gridsync treats this file as a session config"
            )
            problems.append(Problem(*document.where(path, key=True), message, path, "warning"))
    problems.extend(_sweep_problems(document, value))
    if _get(value, _PACKAGE_MANAGER) is not None:
        message = "package_manager is not read by Grid (the grid CLI reads only path); remove it"
        where = document.where(_PACKAGE_MANAGER, key=True)
        problems.append(Problem(*where, message, _PACKAGE_MANAGER, "warning"))
    return problems


def _sweep_problems(document: YamlDocument, value: dict[str, Any]) -> list[Problem]:
    """`grid run --config` reads hyper_params.settings.strategy and strategy_options only: its
    num_trials and seed are ignored, so random_search that relies on them fails in the CLI."""
    settings = _get(value, _SETTINGS)
    if not isinstance(settings, dict):
        return []
    options = settings.get("strategy_options")
    has_trials = isinstance(options, dict) and "num_trials" in options
    random = settings.get("strategy") == "random_search"
    problems: list[Problem] = []
    for key in ("num_trials", "seed"):
        if key not in settings:
            continue
        path = (*_SETTINGS, key)
        fails = key == "num_trials" and random and not has_trials
        message = (
            f"hyper_params.settings.{key} is ignored by `grid run --config` (only strategy and "
            f'strategy_options are read); write strategy_options: {{{key}: "{settings[key]}"}}'
        )
        if fails:
            message += "; as written, random_search fails for want of num_trials"
        where = document.where(path, key=True)
        problems.append(Problem(*where, message, path, "error" if fails else "warning"))
    if random and not has_trials and "num_trials" not in settings:
        message = (
            'random_search needs num_trials: write strategy_options: {num_trials: "10"} '
            "(or pass --num_trials to every `grid run`)"
        )
        where = document.where((*_SETTINGS, "strategy"))
        problems.append(Problem(*where, message, (*_SETTINGS, "strategy"), "warning"))
    return problems
