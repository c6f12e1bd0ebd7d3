"""Desired state from cluster and run config files: discover, read, validate, check across files.

Every problem of every file is collected before anything is raised, so one run of
`gridsync validate` shows them all, sorted by file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gridsync import collector
from gridsync.config.cluster import CheckedDocument, check_document
from gridsync.config.desired import DesiredCluster, DesiredState, ProjectSettings
from gridsync.config.discover import Found, discover, has_wildcard
from gridsync.config.project import project_path_message
from gridsync.config.runs import (
    Binding,
    RunFiles,
    binding_of,
    find_run_files,
    load_runs,
    read_run,
)
from gridsync.config.yamlsrc import Problem, YamlDocument, YamlFile, YamlPath, read_yaml_file
from gridsync.confine import is_inside
from gridsync.errors import ConfigError, Diagnostic
from gridsync.spec import Source
from gridsync.twocores import share_found

# From this many cluster files on, the second core also finds the run configs while this one
# reads the cluster files: the walk of a run config tree then costs this process nothing (with
# fewer, the fork and the hand-over of what it found cost more than the reading they overlap).
EARLY_CLUSTER_FILES = 16


def _may_hold_run_configs(settings: ProjectSettings) -> bool:
    """Whether a folder the run globs start from exists (`runs/**/*.yaml`: `runs/`): a project
    without run configs has nothing for the second core to find (the fork would cost ~10 ms)."""
    for pattern in settings.run_globs:
        literal = []
        for segment in pattern.split("/"):
            if has_wildcard(segment):
                break
            literal.append(segment)
        else:
            literal.pop()  # the glob names one file: its folder
        if (settings.root / "/".join(literal)).is_dir():
            return True
    return False


@dataclass
class _Declared:
    """What later documents are checked against: first declarations of names and of the context."""

    names: dict[str, Source] = field(default_factory=dict)
    context: tuple[str, Source] | None = None


def load_desired(settings: ProjectSettings, env: Mapping[str, str]) -> DesiredState:
    """Every declared cluster and run config; ConfigError with every diagnostic if any is an error.

    `env` is where `${env:NAME}` looks (callers pass os.environ). Warnings and notes come back in
    DesiredState.diagnostics; paths are relative to settings.root with "/" separators.
    """
    with collector.paused():  # a project's values are many, acyclic and kept (gridsync.collector)
        return _load(settings, env)


def _load(settings: ProjectSettings, env: Mapping[str, str]) -> DesiredState:
    found, diagnostics = discover(settings.root, settings.cluster_globs)
    cluster_files = {item.rel for item in found}

    def find() -> tuple[RunFiles, list[Found]]:
        run_files = find_run_files(settings, cluster_files)
        return run_files, run_files.to_read

    # The run configs the project's globs match are found and read on a second core meanwhile;
    # with many cluster files to read here, found there too (twocores.share_found).
    early = len(found) >= EARLY_CLUSTER_FILES and _may_hold_run_configs(settings)
    with share_found(read_run, find, early=early) as reading:
        read = _read_clusters(settings.root, found, env)
        diagnostics.extend(read.diagnostics)
        if not found and not diagnostics:  # a bad symlink matched: that error says enough
            diagnostics.append(_no_files(settings))
        run_files: RunFiles = reading.found()
        runs, run_diagnostics = load_runs(
            settings, read.bindings, cluster_files, run_files, reading
        )
    ordered = _ordered([*diagnostics, *run_diagnostics])
    if any(d.severity == "error" for d in ordered):
        raise ConfigError(ordered)
    return DesiredState(
        clusters=tuple(sorted(read.clusters, key=lambda c: c.name)),
        files=tuple(item.rel for item in found),
        diagnostics=ordered,
        runs=tuple(runs),
    )


@dataclass
class _ReadClusters:
    clusters: list[DesiredCluster] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)  # in declaration order
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _read_clusters(root: Path, found: list[Found], env: Mapping[str, str]) -> _ReadClusters:
    read = _ReadClusters()
    declared = _Declared()
    verdicts = _PathVerdicts(root)
    for item in found:
        yaml_file = read_yaml_file(item.path, item.rel)
        read.diagnostics.extend(yaml_file.diagnostics())
        if not yaml_file.documents and not yaml_file.problems:
            read.diagnostics.append(_declares_nothing(item.rel))
        for document in yaml_file.documents:
            checked = check_document(document, item.rel, env)
            binding, binding_problems = _binding(yaml_file, document, checked.name)
            problems = [
                *checked.problems,
                *_cross_problems(checked, declared),
                *binding_problems,
                *_terraform_files(document, checked.cluster, verdicts),
            ]
            read.diagnostics.extend(
                yaml_file.diagnostic(document.number, problem) for problem in problems
            )
            if checked.cluster is not None:
                read.clusters.append(checked.cluster)
            if binding is not None:
                read.bindings.append(binding)
    return read


def _binding(
    yaml_file: YamlFile, document: YamlDocument, name: str | None
) -> tuple[Binding | None, list[Problem]]:
    """The document's `runs:` binding, holding only what it reports on: the file's path and its
    `runs:` (not the file's text, nor any document's node tree, kept until the run configs are
    read)."""
    if not isinstance(document.value, dict) or "runs" not in document.value:
        return None, []
    header = yaml_file._replace(documents=(), problems=(), text="")
    return binding_of(header, document.only("runs"), name)


def _terraform_files(
    document: YamlDocument, cluster: DesiredCluster | None, verdicts: _PathVerdicts
) -> list[Problem]:
    """The module and var file a cluster's Terraform reads, where they are written: plan would
    fail on them later (at Terraform's init), without a line to fix, or Terraform would find no
    configuration and plan to destroy what the state holds."""
    terraform = None if cluster is None else cluster.terraform
    if terraform is None:
        return []
    problems = []
    for key, written in (("module", terraform.module), ("var_file", terraform.var_file)):
        if written is None or project_path_message(written, key):  # said where it was read
            continue
        message = verdicts.message(key, written)
        if message:
            at: YamlPath = ("infrastructure", "terraform", key)
            problems.append(Problem(*document.where(at), message, at))
    return problems


@dataclass
class _PathVerdicts:
    """What is wrong with each module or var file path ("" when nothing), asked of the file
    system once per load: a fleet's clusters share a few modules."""

    root: Path
    known: dict[tuple[str, str], str] = field(default_factory=dict)

    def message(self, key: str, written: str) -> str:
        if (key, written) not in self.known:
            self.known[key, written] = self._check(key, written)
        return self.known[key, written]

    def _check(self, key: str, written: str) -> str:
        path = self.root / written
        what = f"{key} {written!r}"
        if not is_inside(self.root, path):
            return (
                f"{what} leads outside the project root (a symlink, or a symlink loop); "
                "keep it inside the repository"
            )
        if key == "var_file":
            if path.is_file():
                return ""
            return f"{what} is not a file of the project; write its path relative to the root"
        if not path.is_dir():
            return f"{what} is not a directory of the project; write its path relative to the root"
        if not _holds_terraform(path):
            return (
                f"{what} holds no *.tf or *.tf.json file: Terraform would find no "
                "configuration; write the module's own directory"
            )
        return ""


def _holds_terraform(module: Path) -> bool:
    try:
        return any(p.name.endswith((".tf", ".tf.json")) and p.is_file() for p in module.iterdir())
    except OSError:
        return False


def _cross_problems(checked: CheckedDocument, declared: _Declared) -> list[Problem]:
    """A name declared before, or a second `context: true`; records this document's own."""
    problems = []
    if checked.name is not None and checked.name_source is not None:
        first = declared.names.setdefault(checked.name, checked.name_source)
        if first != checked.name_source:
            message = f"cluster '{checked.name}' is already declared at {first}"
            problems.append(
                Problem(checked.name_source.line, checked.name_source.col, message, ("name",))
            )
    if checked.context_source is not None:
        if declared.context is None:
            declared.context = (checked.name or "?", checked.context_source)
        else:
            name, first = declared.context
            message = (
                f"cluster '{name}' at {first} is already the context; "
                "only one cluster can have context: true"
            )
            source = checked.context_source
            problems.append(Problem(source.line, source.col, message, ("context",)))
    return problems


def _declares_nothing(rel: str) -> Diagnostic:
    message = (
        "the file declares no cluster: it is empty or holds only comments and '---'; "
        "add a cluster document or delete the file"
    )
    return Diagnostic(rel, 1, 1, message, severity="warning")


def _no_files(settings: ProjectSettings) -> Diagnostic:
    globs = ", ".join(settings.cluster_globs)
    message = f"no cluster files found (searched {globs}); the desired state declares no clusters"
    return Diagnostic(settings.source or ".", 1, 1, message, severity="warning")


def _ordered(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    unique = dict.fromkeys(diagnostics)
    return tuple(sorted(unique, key=lambda d: (d.path, d.line, d.col)))
