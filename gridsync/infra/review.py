"""Whether Terraform may run on this change: the pull-request rule.

A pull request's author controls every file in it, and Terraform runs code: providers, external
programs, provisioners, whatever a module names. Withholding variables from Terraform's
environment is no boundary (a child of the same user can read its parent's environment), so on
a pull request Terraform runs only code that was reviewed before: a module runs when nothing
Terraform could read for it differs from the pull request's base commit.

- The event: runs outside GitHub Actions (no GITHUB_EVENT_NAME) and the events that only run
  reviewed code (REVIEWED_EVENTS: a push after merge, a schedule, a manual run...) run Terraform.
  A `pull_request*` event is checked against its base commit. Any other event (`issue_comment`
  bots that check out a pull request, `workflow_run`, ...) has no base to check against: every
  module counts as changed.
- The base: `pull_request.base.sha` of the event payload at GITHUB_EVENT_PATH. When it cannot be
  read, or the commit is not in the clone (a shallow checkout), or git cannot answer, every
  module counts as changed: fail safe.
- What changed: `git diff --name-only BASE` (the work tree against the base) and the untracked
  files, over the whole repository.
- A module is deferred when a changed file is in its directory or is its var file, or is any
  other file than the cluster and run files gridsync reads as data (a module can read or run any
  file of the repository through `../` or `path.root`; gridsync.yaml names terraform_bin).
  Changes to cluster and run files alone (new clusters, new `vars:`) let reviewed modules run.

A deferred module is not planned: the plan says "Terraform plans after merge" with the reason,
and apply on merge (a push event) runs it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from gridsync.config.desired import TerraformSettings

REVIEWED_EVENTS = frozenset(
    {"push", "schedule", "workflow_dispatch", "merge_group", "release", "repository_dispatch"}
)
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_GIT_TIMEOUT_SECONDS = 60.0
FETCH_HINT = "check out with `fetch-depth: 0` (or 2) in actions/checkout"


class Deferral(NamedTuple):
    reason: str
    module_changed: bool  # the module's own files (or its var file) changed


class Review(NamedTuple):
    """What this run knows about the change it plans. The default: not a pull request."""

    unreviewed: bool = False  # the run may plan code nobody reviewed (a pull request)
    problem: str = ""  # why no file can count as reviewed (payload, base commit, git)
    changed: tuple[str, ...] = ()  # changed files, relative to the project root
    outside: tuple[str, ...] = ()  # changed files outside the project, relative to the repo
    data_globs: tuple[str, ...] = ()  # cluster and run file globs: files read as data

    def deferral(self, settings: TerraformSettings) -> Deferral | None:
        """Why Terraform must not run this module now; None when it may."""
        if not self.unreviewed:
            return None
        if self.problem:
            return Deferral(self.problem, module_changed=True)
        module = _normal(settings.module)
        var_file = _normal(settings.var_file) if settings.var_file else None
        for path in self.changed:
            if PurePosixPath(path) == var_file or PurePosixPath(path).is_relative_to(module):
                return Deferral(f"its module changed in this pull request ({path})", True)
        for path in self.outside:
            return Deferral(f"{path}, outside the project, changed in this pull request", False)
        for path in self.changed:
            if not any(glob_matches(glob, path) for glob in self.data_globs):
                reason = f"{path} changed in this pull request (a module can read any file)"
                return Deferral(reason, False)
        return None


def review_for(env: Mapping[str, str], root: Path, data_globs: Sequence[str]) -> Review:
    """The Review of this run, from GITHUB_EVENT_NAME and the event payload."""
    event = env.get("GITHUB_EVENT_NAME", "")
    if not event or event in REVIEWED_EVENTS:
        return Review()
    if not event.startswith("pull_request"):
        reviewed = ", ".join(sorted(REVIEWED_EVENTS))
        return Review(
            True,
            problem=f"a {_printable(event)} run may check out code nobody has reviewed (only "
            f"{reviewed} runs count as reviewed, and pull_request runs are checked against "
            "their base commit)",
        )
    base = _base_sha(env.get("GITHUB_EVENT_PATH", ""))
    if not _SHA.fullmatch(base):
        return Review(True, problem=base)
    try:
        changed, outside = _changes(root, base)
    except _GitFailed as exc:
        return Review(True, problem=str(exc))
    return Review(True, changed=changed, outside=outside, data_globs=tuple(data_globs))


def _base_sha(event_path: str) -> str:
    """`pull_request.base.sha` from the event payload, or why there is none."""
    try:
        payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
        sha = payload["pull_request"]["base"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        sha = None
    if isinstance(sha, str) and _SHA.fullmatch(sha):
        return sha
    return (
        "the pull request's base commit is unknown (no pull_request.base.sha in the event "
        "payload at GITHUB_EVENT_PATH), so gridsync cannot tell which modules it changes"
    )


class _GitFailed(Exception):
    pass


def _changes(root: Path, base: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Files changed since `base`: (relative to the project root, outside the project)."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    if _git_code(top, "cat-file", "-e", f"{base}^{{commit}}") != 0:
        raise _GitFailed(
            f"the pull request's base commit {base[:12]} is not in this clone, so gridsync "
            f"cannot tell which modules it changes; {FETCH_HINT}"
        )
    diff = _git(top, "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", base, "--")
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    prefix = PurePosixPath(root.resolve().relative_to(top.resolve()).as_posix())
    inside, outside = [], []
    for name in sorted({*diff.split("\0"), *untracked.split("\0")} - {""}):
        path = PurePosixPath(name)
        if prefix == PurePosixPath(".") or path.is_relative_to(prefix):
            inside.append(_printable(path.relative_to(prefix).as_posix()))
        else:
            outside.append(_printable(name))
    return tuple(inside), tuple(outside)


def _git(cwd: Path, *args: str) -> str:
    result = _run_git(cwd, args)
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()[-1:] or [f"exit {result.returncode}"]
        raise _GitFailed(
            f"git cannot compare this checkout with the pull request's base ({message[0]}), so "
            f"every module counts as changed; {FETCH_HINT}"
        )
    return result.stdout


def _git_code(cwd: Path, *args: str) -> int:
    return _run_git(cwd, args).returncode


def _run_git(cwd: Path, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """git with no secrets in its environment (only PATH and HOME); it runs no repository code:
    no external diff, no textconv, no fsmonitor."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    argv = ["git", "-c", "core.fsmonitor=false", "-C", str(cwd), *args]
    try:
        return subprocess.run(  # noqa: S603  (fixed argv, no shell)
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _GitFailed(f"git could not run ({exc}); every module counts as changed") from exc


def glob_matches(pattern: str, rel: str) -> bool:
    """Whether the project-relative path `rel` matches a gridsync file glob (`**` = any depth)."""
    segments = [s for s in pattern.split("/") if s not in ("", ".")]
    return _match(segments, rel.split("/"))


def _match(segments: list[str], parts: list[str]) -> bool:
    if not segments:
        return not parts
    head, rest = segments[0], segments[1:]
    if head == "**":
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match(rest, parts[1:])


def _printable(name: str) -> str:
    """A file name a pull request chose, safe to show: control characters escaped."""
    return name if name.isprintable() else ascii(name)


def _normal(written: str) -> PurePosixPath:
    return PurePosixPath(os.path.normpath(written.replace("\\", "/")))
