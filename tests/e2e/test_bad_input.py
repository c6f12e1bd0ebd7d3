"""Bad input is refused: the real `gridsync` command on a corpus of hostile and broken files.

Each case is dropped into a project that is otherwise good: a cluster `ok-base` that does not
exist yet and a run config bound to it. Had gridsync skipped the bad file instead of refusing,
`apply` would create `ok-base` and rewrite the run config; so every case checks, after `validate`,
`plan --out` and `apply --auto-approve`: exit 1, a diagnostic naming the file as
`path:line:col:`, no traceback, the run finished within the timeout with bounded memory, and
nothing written (every file under the test's tmp dir byte for byte, no plan file, the local
control plane holds only grid-cloud).

Small corpus files live in tests/data/badinput/; big or filesystem-dependent ones (the 50 MB
file, 10,000 levels of nesting, symlinks) are generated here.

`${env:}` values are never parsed as YAML: a value with a newline or another control character
is refused; any other value (`a: b`, `{evil: 1}`, `*alias`, `!!python/...`, `${env:...}`) is kept
as an inert string, byte for byte, and never expanded again.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import Project

from gridsync.errors import ExitCode

CORPUS = Path(__file__).parents[1] / "data" / "badinput"
TIMEOUT = 20.0  # seconds; a run that takes longer is killed and the test fails
MAX_RSS_KB = 300 * 1024
COMMANDS = (("validate",), ("plan", "--out", "plan.out"), ("apply", "--auto-approve"))
STATE_FILES = frozenset({"grid.db", "grid.db-wal", "grid.db-shm", "apply.lock"})
SECRET = "S3CRET"

BASE_CLUSTER = """\
apiVersion: gridsync/v1
kind: Cluster
name: ok-base
provider: aws
region: us-east-1
role_arn: ${env:BAD_ROLE_ARN:-arn:aws:iam::123456789012:role/grid}
external_id: ${env:BAD_EXTERNAL_ID:-ext-base}
instance_types: [t3.large]
runs: ["runs/base/*.yaml"]
"""
BASE_RUN = "# bound to ok-base\ncompute:\n  provider:\n    cluster: elsewhere\n  train:\n    instance: t3.large\n"
VALID_DOC = (
    "apiVersion: gridsync/v1\nkind: Cluster\nname: {name}\nprovider: aws\nregion: us-east-1\n"
    "role_arn: arn:aws:iam::123456789012:role/grid\nexternal_id: ext-{name}\n"
)


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    max_rss_kb: int  # the child's peak resident set (os.wait4), in KiB on Linux

    @property
    def output(self) -> str:
        return f"$ gridsync {' '.join(self.args)} -> {self.returncode}\n{self.stdout}{self.stderr}"


def run_measured(root: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """Run the real command; its own peak RSS comes from wait4, so earlier children do not count."""
    killed: list[bool] = []

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gridsync", *args],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env={**os.environ, **(env or {})},
        )

        def kill() -> None:
            killed.append(True)
            process.kill()

        timer = threading.Timer(TIMEOUT, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    assert not killed, f"gridsync {' '.join(args)} ran longer than {TIMEOUT} s"
    return Run(args, process.returncode, stdout, stderr, usage.ru_maxrss)


def snapshot(root: Path) -> dict[str, str]:
    """Every entry beside and under the project root except .gridsync/: sha256 or link target."""
    top = root.parent
    entries: dict[str, str] = {}
    for directory, dirnames, filenames in os.walk(top):
        here = Path(directory)
        if here == root:
            dirnames[:] = [name for name in dirnames if name != ".gridsync"]
        for name in [*dirnames, *filenames]:
            path = here / name
            rel = path.relative_to(top).as_posix()
            if path.is_symlink():
                entries[rel] = f"-> {os.readlink(path)}"
            elif path.is_dir():
                entries[rel] = "dir"
            elif not path.is_file():  # a FIFO (reading it would wait for a writer)
                entries[rel] = "not a regular file"
            else:
                entries[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def assert_nothing_written(project: Project, before: dict[str, str], run: Run) -> None:
    assert snapshot(project.root) == before, run.output
    state = project.root / ".gridsync"
    if state.exists():
        extra = {p.name for p in state.iterdir()} - STATE_FILES
        assert not extra, f"{extra} written\n{run.output}"
    if (state / "grid.db").exists():
        assert list(project.live()) == ["prod-2"], run.output  # grid-cloud only
        assert project.live()["prod-2"].is_global


def assert_refused(run: Run, expected: tuple[str | re.Pattern[str], ...]) -> None:
    assert run.returncode == ExitCode.ERROR, run.output
    assert "Traceback" not in run.stdout + run.stderr, run.output
    assert "internal error" not in run.stderr, run.output
    lines = run.stderr.splitlines()
    for want in expected:
        if isinstance(want, str):
            assert any(line.startswith(want) for line in lines), f"{want!r}\n{run.output}"
        else:
            assert any(want.fullmatch(line) for line in lines), f"{want.pattern}\n{run.output}"
    assert run.max_rss_kb < MAX_RSS_KB, f"{run.max_rss_kb} KiB\n{run.output}"


def base_project(project: Project) -> None:
    project.write("clusters/ok-base.yaml", BASE_CLUSTER)
    project.write("runs/base/train.yaml", BASE_RUN)


def refuse_everywhere(
    project: Project,
    expected: tuple[str | re.Pattern[str], ...],
    env: dict[str, str] | None = None,
) -> list[Run]:
    before = snapshot(project.root)
    runs = []
    for command in COMMANDS:
        run = run_measured(project.root, *command, env=env)
        assert_refused(run, expected)
        assert_nothing_written(project, before, run)
        runs.append(run)
    return runs


# --- the corpus -------------------------------------------------------------------------------

Setup = Callable[[Path], None]


def corpus(*rels: str, to: str = "") -> Setup:
    """Copy corpus files into the project at the same relative path (or at `to`)."""

    def setup(root: Path) -> None:
        for rel in rels:
            target = root / (to or rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CORPUS / rel, target)

    return setup


def huge_file(root: Path) -> None:
    """A valid cluster document padded with comments to 50 MiB: refusing it means not reading it."""
    with (root / "clusters" / "huge.yaml").open("w") as f:
        f.write(VALID_DOC.format(name="huge"))
        line = "#" + "x" * 1022 + "\n"
        for _ in range(50 * 1024):
            f.write(line)


def binary(rel: str, content: bytes) -> Setup:
    """Write (or overwrite) one file of the project, byte for byte."""

    def setup(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)

    return setup


def text(rel: str, content: str) -> Setup:
    """Write (or overwrite) one file of the project."""

    def setup(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)

    return setup


def fifo(rel: str) -> Setup:
    def setup(root: Path) -> None:
        (root / rel).unlink(missing_ok=True)
        os.mkfifo(root / rel)

    return setup


def local_state(state: str) -> Setup:
    """gridsync.yaml with the local control plane's state file at `state`."""
    return text("gridsync.yaml", f"backend:\n  local: {{state: {state}, provision_seconds: 0.2}}\n")


def deep(levels: int, name: str) -> Setup:
    def setup(root: Path) -> None:
        (root / "clusters" / name).write_text("[" * levels + "]" * levels + "\n")

    return setup


def symlink(rel: str, target: str, *, outside: str = "") -> Setup:
    """A symlink at `rel`; with `outside`, a valid cluster document (or a directory of one) there."""

    def setup(root: Path) -> None:
        if outside:
            place = root.parent / outside
            place.parent.mkdir(parents=True, exist_ok=True)
            if place.suffix:
                place.write_text(VALID_DOC.format(name="escaped"))
            else:
                place.mkdir()
                (place / "escaped.yaml").write_text(VALID_DOC.format(name="escaped"))
        link = root / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)

    return setup


INVALID_NAME = "error: name: invalid cluster name"
NOT_UTF8 = "error: the file is not valid UTF-8"
BOMB = "error: document expands to more than 100000 nodes (YAML alias bomb?)"
TABS = "error: YAML syntax error: tabs are not allowed for indentation; use spaces"
ODD_BREAK = "error: character U+{} ("
INT32 = "(the largest 32-bit integer: Grid's API holds no more)"
FINITE = "must be a finite number, got NaN or infinity"
NUL_ESCAPE = "the string holds U+0000 (written as an escape such as \\0)"
ONE_DOCUMENT = "error: a run config must hold a single YAML document; Grid refuses more"

CASES: dict[str, tuple[Setup, tuple[str | re.Pattern[str], ...]]] = {
    "alias-bomb": (corpus("clusters/alias-bomb.yaml"), (f"clusters/alias-bomb.yaml:2:1: {BOMB}",)),
    "merge-key-bomb": (
        corpus("clusters/merge-bomb.yaml"),
        (f"clusters/merge-bomb.yaml:2:1: {BOMB}",),
    ),
    "recursive-alias": (
        corpus("clusters/recursive-alias.yaml"),
        ("clusters/recursive-alias.yaml:2:7: error: nesting deeper than 64 levels",),
    ),
    "50-MB-file": (huge_file, ("clusters/huge.yaml:1:1: error: file is larger than 4 MiB",)),
    "10000-levels": (
        deep(10_000, "deep.yaml"),
        (re.compile(r"clusters/deep\.yaml:1:\d+: error: .*nesting.*"),),
    ),
    "200-levels": (
        deep(200, "deep.yaml"),
        ("clusters/deep.yaml:1:66: error: nesting deeper than 64 levels",),
    ),
    "binary": (
        corpus("clusters/binary.yaml"),
        (f"clusters/binary.yaml:1:1: {NOT_UTF8} (byte 0x89)",),
    ),
    "control-characters": (
        corpus("clusters/control-chars.yaml"),
        ("clusters/control-chars.yaml:3:10: error: character U+0000 is not allowed in YAML",),
    ),
    "latin-1": (
        corpus("clusters/latin1.yaml"),
        (f"clusters/latin1.yaml:1:6: {NOT_UTF8} (byte 0xe9)",),
    ),
    "tabs": (corpus("clusters/tabs.yaml"), (f"clusters/tabs.yaml:9:1: {TABS}",)),
    "symlink-loop-dir": (
        symlink("clusters/loop/again", ".."),
        ("clusters/loop/again:1:1: error: symlink loop",),
    ),
    "symlink-loop-file": (
        symlink("clusters/self.yaml", "self.yaml"),
        ("clusters/self.yaml:1:1: error: symlink loop",),
    ),
    "symlink-escapes-file": (
        symlink(
            "clusters/escape.yaml", "../../outside/escaped.yaml", outside="outside/escaped.yaml"
        ),
        ("clusters/escape.yaml:1:1: error: symlink escapes the project root",),
    ),
    "symlink-escapes-dir": (
        symlink("clusters/team", "../../outside-dir", outside="outside-dir"),
        ("clusters/team:1:1: error: symlink escapes the project root",),
    ),
    "name-dotdot": (
        corpus("clusters/name-dotdot.yaml"),
        (f"clusters/name-dotdot.yaml:3:7: {INVALID_NAME} 'ml..prod'",),
    ),
    "name-underscore": (
        corpus("clusters/name-underscore.yaml"),
        (f"clusters/name-underscore.yaml:3:7: {INVALID_NAME} 'ml_prod'",),
    ),
    "name-uppercase": (
        corpus("clusters/name-uppercase.yaml"),
        (f"clusters/name-uppercase.yaml:3:7: {INVALID_NAME} 'ML-Prod'",),
    ),
    "name-64-chars": (
        corpus("clusters/name-64.yaml"),
        (re.compile(rf"clusters/name-64\.yaml:3:7: {INVALID_NAME} 'a{{64}}'.*this one has 64 .*"),),
    ),
    "instance-type-duplicates": (
        corpus("clusters/instance-duplicates.yaml"),
        (
            "clusters/instance-duplicates.yaml:11:11: error: instance_types[2].name: "
            "instance type 't3.large' is listed twice (first at line 9)",
        ),
    ),
    "instance-type-arm": (
        corpus("clusters/instance-arm.yaml"),
        (
            "clusters/instance-arm.yaml:8:28: error: instance_types[1]: 'm6g.large' is an ARM",
            "clusters/instance-arm.yaml:8:39: error: instance_types[2]: 't4g.small' is an ARM",
        ),
    ),
    "python-tag": (
        corpus("clusters/unsafe-tag.yaml"),
        (
            "clusters/unsafe-tag.yaml:8:15: error: cost_savings: unsupported YAML tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
    ),
    "run-config-binary": (corpus("runs/binary.yaml"), (f"runs/binary.yaml:1:1: {NOT_UTF8}",)),
    "run-config-alias-bomb": (
        corpus("runs/alias-bomb.yaml"),
        (f"runs/alias-bomb.yaml:2:1: {BOMB}",),
    ),
    "run-config-latin-1": (corpus("runs/latin1.yaml"), (f"runs/latin1.yaml:1:4: {NOT_UTF8}",)),
    "bound-run-config-binary": (
        corpus("runs/binary.yaml", to="runs/base/train.yaml"),
        (f"runs/base/train.yaml:1:1: {NOT_UTF8}",),
    ),
    # A stray `---` makes a second (empty) document: Grid's loader refuses the file, and so did
    # apply, after the clusters were created, on every run.
    "bound-run-config-ending-with-an-empty-document": (
        text("runs/base/train.yaml", BASE_RUN + "---\n"),
        (f"runs/base/train.yaml:7:1: {ONE_DOCUMENT}",),
    ),
    "bound-run-config-after-an-empty-document": (
        text("runs/base/train.yaml", "---\n# nothing here\n---\n" + BASE_RUN),
        (f"runs/base/train.yaml:1:1: {ONE_DOCUMENT}",),
    ),
    "run-config-ending-with-an-empty-document": (
        text("runs/other.yaml", "compute:\n  train: {instance: t3.large}\n--- # end\n"),
        (f"runs/other.yaml:3:1: {ONE_DOCUMENT}",),
    ),
    # Each empty document is found once: finding each by splitting the whole text took a minute.
    "run-config-of-50000-empty-documents": (
        text("runs/other.yaml", "compute:\n  train: {instance: t3.large}\n" + "---\n" * 50_000),
        (f"runs/other.yaml:3:1: {ONE_DOCUMENT}", f"runs/other.yaml:50002:1: {ONE_DOCUMENT}"),
    ),
    # A tag on a mapping or a list: the value is not built; nothing may read it as one.
    "tagged-list-in-a-cluster-file": (
        text(
            "clusters/tagged.yaml",
            VALID_DOC.format(name="tagged") + "instance_types: !!set {t3.large}\n",
        ),
        (
            "clusters/tagged.yaml:8:17: error: instance_types: unsupported YAML tag 'tag:yaml.org,2002:set'",
        ),
    ),
    "tagged-mapping-in-a-cluster-file": (
        text(
            "clusters/tagged.yaml", VALID_DOC.format(name="tagged") + "aws: !vault {profile: x}\n"
        ),
        ("clusters/tagged.yaml:8:6: error: aws: unsupported YAML tag '!vault'",),
    ),
    "tagged-entry-in-a-cluster-file": (
        text(
            "clusters/tagged.yaml",
            VALID_DOC.format(name="tagged") + "runs: [!glob 'runs/*.yaml']\n",
        ),
        ("clusters/tagged.yaml:8:8: error: runs[0]: unsupported YAML tag '!glob'",),
    ),
    "tagged-mapping-in-gridsync-yaml": (
        text("gridsync.yaml", "wait: !defaults {timeout: 5m}\n"),
        ("gridsync.yaml:1:7: error: wait: unsupported YAML tag '!defaults'",),
    ),
    "tagged-list-in-gridsync-yaml": (
        text("gridsync.yaml", "clusters: !globs [clusters/*.yaml]\n"),
        ("gridsync.yaml:1:11: error: clusters: unsupported YAML tag '!globs'",),
    ),
    "gridsync-yaml-is-a-fifo": (
        fifo("gridsync.yaml"),
        ("gridsync.yaml:1:1: error: is not a regular file",),
    ),
    # The local control plane's SQLite file where the project or gridsync keeps something else.
    "local-state-read-as-a-cluster-file": (
        local_state("clusters/new.yaml"),
        (
            "gridsync.yaml:2:18: error: backend.local.state: backend.local.state 'clusters/new.yaml' matches the clusters glob",
        ),
    ),
    "local-state-read-as-a-run-config": (
        local_state("runs/base/state.yaml"),
        (
            "gridsync.yaml:2:18: error: backend.local.state: backend.local.state 'runs/base/state.yaml' matches the runs glob",
        ),
    ),
    "local-state-is-a-cluster-file": (
        local_state("clusters/ok-base.yaml"),
        (
            "gridsync.yaml:2:18: error: backend.local.state: backend.local.state 'clusters/ok-base.yaml' is a file of the project, not a SQLite database",
        ),
    ),
    "local-state-is-the-apply-lock": (
        local_state(".gridsync/apply.lock"),
        (
            "gridsync.yaml:2:18: error: backend.local.state: backend.local.state '.gridsync/apply.lock' is in .gridsync/",
        ),
    ),
    "local-state-is-a-folder": (
        local_state("runs"),
        ("gridsync.yaml:2:18: error: backend.local.state: backend.local.state 'runs' is a folder",),
    ),
    # U+0000 from an escape: libyaml builds it; every path check of it raised ValueError (exit 3).
    "nul-escape-in-local-state": (
        local_state('".gridsync/\\0grid.db"'),
        (f"gridsync.yaml:2:18: error: backend.local.state: {NUL_ESCAPE}",),
    ),
    "nul-escape-in-a-module-path": (
        text(
            "clusters/byoc.yaml",
            VALID_DOC.format(name="byoc")
            + 'infrastructure:\n  terraform: {module: "infra/\\x00"}\n',
        ),
        (f"clusters/byoc.yaml:9:23: error: infrastructure.terraform.module: {NUL_ESCAPE}",),
    ),
    "nul-escape-in-a-run-config": (
        text("runs/other.yaml", 'compute:\n  provider: {cluster: "ok-base\\u0000"}\n'),
        (f"runs/other.yaml:2:23: error: compute.provider.cluster: {NUL_ESCAPE}",),
    ),
    # Grid reads run configs as YAML 1.1 (PyYAML): to it these are a boolean, a date, a number
    # and a value its safe loader refuses, where gridsync read a cluster name.
    **{
        f"run-config-cluster-is-{kind}-to-grid": (
            text("runs/other.yaml", f"compute:\n  provider:\n    cluster: {value}\n"),
            (
                f"runs/other.yaml:3:14: error: compute.provider.cluster: {value!r} is a string to "
                f"gridsync (YAML 1.2), but Grid's loader (YAML 1.1, as the grid CLI reads this "
                f"file) {grid}; quote it",
            ),
        )
        for kind, value, grid in (
            ("a-boolean", "off", "reads it as the boolean false"),
            ("a-date", "2022-01-01", "reads it as the date 2022-01-01"),
            ("a-number", "1_000", "reads it as the number 1000"),
            ("refused", "=", "refuses it"),
        )
    },
    # A tag on a key was dropped (`!custom region:` read as `region:`); Grid's loader refuses it.
    "tagged-key-in-a-cluster-file": (
        text("clusters/ok-base.yaml", BASE_CLUSTER.replace("region:", "!custom region:")),
        ("clusters/ok-base.yaml:5:1: error: unsupported YAML tag '!custom' on a key",),
    ),
    "tagged-key-in-a-run-config": (
        text("runs/other.yaml", "compute:\n  !!binary provider: {cluster: ok-base}\n"),
        (
            "runs/other.yaml:2:3: error: compute: unsupported YAML tag 'tag:yaml.org,2002:binary' on a key",
        ),
    ),
    # Saved by an editor as UTF-16 or UTF-32 (a byte order mark first): the message says which.
    **{
        f"cluster-file-in-{name.lower()}": (
            binary("clusters/wide.yaml", VALID_DOC.format(name="wide").encode(codec)),
            (f"clusters/wide.yaml:1:1: error: the file is not UTF-8: it is {name} (byte 0x",),
        )
        for name, codec in (("UTF-16", "utf-16"), ("UTF-32", "utf-32"))
    },
    "run-config-symlink-escapes": (
        symlink("runs/escape.yaml", "../../outside/run.yaml", outside="outside/run.yaml"),
        ("runs/escape.yaml:1:1: error: symlink escapes the project root",),
    ),
    "gridsync-yaml-alias-bomb": (
        corpus("clusters/alias-bomb.yaml", to="gridsync.yaml"),
        (f"gridsync.yaml:2:1: {BOMB}",),
    ),
    "gridsync-yaml-binary": (
        corpus("clusters/binary.yaml", to="gridsync.yaml"),
        (f"gridsync.yaml:1:1: {NOT_UTF8}",),
    ),
    # Positions as an editor shows them: lines end at \n, \r\n or \r; columns are characters.
    "nul-after-multi-byte-text": (
        corpus("clusters/nul-after-multibyte.yaml"),
        ("clusters/nul-after-multibyte.yaml:10:41: error: character U+0000 is not allowed",),
    ),
    "cr-only-line-endings": (
        corpus("clusters/cr-only.yaml"),
        ("clusters/cr-only.yaml:10:1: error: cost_saving: unknown field 'cost_saving'",),
    ),
    "crlf-and-multi-byte-text": (
        corpus("clusters/crlf-multibyte.yaml"),
        ("clusters/crlf-multibyte.yaml:9:10: error: protect: expected a boolean",),
    ),
    "line-separator-in-a-comment": (
        corpus("clusters/line-separator-comment.yaml"),
        (
            f"clusters/line-separator-comment.yaml:1:19: {ODD_BREAK.format('2028')}",
            "clusters/line-separator-comment.yaml:9:10: error: context: expected a boolean",
        ),
    ),
    "paragraph-separator-and-next-line": (
        corpus("clusters/paragraph-and-nel.yaml"),
        (
            f"clusters/paragraph-and-nel.yaml:8:21: {ODD_BREAK.format('2029')}",
            f"clusters/paragraph-and-nel.yaml:9:6: {ODD_BREAK.format('0085')}",
        ),
    ),
    "byte-order-mark": (
        corpus("clusters/bom.yaml"),
        ("clusters/bom.yaml:1:13: error: apiVersion: apiVersion must be 'gridsync/v1'",),
    ),
    # Numbers Grid's API cannot hold, NaN, infinity, durations out of range.
    "count-of-30-digits": (
        corpus("clusters/count-30-digits.yaml"),
        (
            "clusters/count-30-digits.yaml:10:37: error: "
            "instance_types[0].overprovisioned_ondemand_count: overprovisioned_ondemand_count "
            f"must be at most 2147483647 {INT32}, got the integer 123456789012345678901234567890",
        ),
    ),
    "root-volume-past-int32": (
        corpus("clusters/root-volume-int32.yaml"),
        (
            "clusters/root-volume-int32.yaml:9:42: error: instance_types[0].root_volume_size: "
            f"root_volume_size must be at most 2147483647 {INT32}, got the integer 2147483648",
        ),
    ),
    "run-config-storage-past-int32": (
        corpus("runs/storage-too-large.yaml"),
        ("runs/storage-too-large.yaml:4:17: error: compute.train.storage_gb: storage_gb must be",),
    ),
    # A float with no fraction is an integer to JSON Schema, not to Grid: the cluster was created
    # without the field, and every plan after apply showed the same update.
    "root-volume-written-as-a-float": (
        text(
            "clusters/ok-base.yaml",
            BASE_CLUSTER.replace("[t3.large]", "[{name: t3.large, root_volume_size: 200.0}]"),
        ),
        (
            "clusters/ok-base.yaml:8:53: error: instance_types[0].root_volume_size: expected an "
            "integer, got the number 200.0; write 200",
        ),
    ),
    "parallelism-written-as-a-float": (
        text("gridsync.yaml", "parallelism: 2.0\n"),
        ("gridsync.yaml:1:14: error: parallelism: expected an integer, got the number 2.0",),
    ),
    "wait-timeout-of-400-digits": (
        corpus("gridsync/wait-timeout-400-digits.yaml", to="gridsync.yaml"),
        ("gridsync.yaml:2:12: error: wait.timeout: a duration must be at most 30 days",),
    ),
    "provision-seconds-nan": (
        corpus("gridsync/provision-nan.yaml", to="gridsync.yaml"),
        (
            f"gridsync.yaml:3:24: error: backend.local.provision_seconds: provision_seconds {FINITE}",
        ),
    ),
    "poll-max-infinite": (
        corpus("gridsync/poll-max-inf.yaml", to="gridsync.yaml"),
        (f"gridsync.yaml:2:18: error: wait.poll_max: poll_max {FINITE}",),
    ),
}


def test_control_the_base_project_is_applied_and_its_run_config_rewritten(
    project: Project,
) -> None:
    """Without bad input the same project does write: the no-write checks below can fail."""
    base_project(project)
    run = run_measured(project.root, "apply", "--auto-approve")
    assert run.returncode == ExitCode.OK, run.output
    assert "ok-base" in project.live()
    assert (project.root / "runs/base/train.yaml").read_text() != BASE_RUN


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_and_nothing_is_written(project: Project, case: str) -> None:
    setup, expected = CASES[case]
    base_project(project)
    setup(project.root)
    refuse_everywhere(project, expected)


@pytest.mark.parametrize(
    "content", [b"", b"---\n", b"# nothing yet\n", b"\xef\xbb\xbf---\r\n# c\r\n...\r\n"]
)
def test_a_cluster_file_that_declares_nothing_is_a_warning_naming_it(
    project: Project, content: bytes
) -> None:
    base_project(project)
    (project.root / "clusters" / "todo.yaml").write_bytes(content)
    for command in COMMANDS[:2]:
        run = run_measured(project.root, *command)
        assert run.returncode == ExitCode.OK, run.output
        assert (
            "clusters/todo.yaml:1:1: warning: the file declares no cluster: it is empty or holds "
            "only comments and '---'"
        ) in run.stderr, run.output


def test_50_mb_file_is_refused_by_size_without_being_read(project: Project) -> None:
    base_project(project)
    baseline = run_measured(project.root, "validate")
    huge_file(project.root)
    huge = run_measured(project.root, "validate")
    assert_refused(huge, ("clusters/huge.yaml:1:1: error: file is larger than 4 MiB",))
    # Reading the file would add at least its 50 MiB (bytes, then the decoded text) to the peak.
    assert huge.max_rss_kb < baseline.max_rss_kb + 25 * 1024, (baseline, huge.max_rss_kb)


# --- ${env:} values that look like YAML -------------------------------------------------------

ROLE_ARN_AT = "clusters/ok-base.yaml:6:11: error: role_arn: "
EXTERNAL_ID_AT = "clusters/ok-base.yaml:7:14: error: external_id: "
CONTROL = "environment variable {} contains a newline or control character; refusing to use it"
NOT_AN_ARN = "role_arn from the environment is not an IAM role ARN"

REFUSED_ENV = {
    "external-id-newline": (
        "BAD_EXTERNAL_ID",
        f"{SECRET}\nprotect: false",
        EXTERNAL_ID_AT + CONTROL.format("BAD_EXTERNAL_ID"),
    ),
    "external-id-carriage-return": (
        "BAD_EXTERNAL_ID",
        f"{SECRET}\rprotect: false",
        EXTERNAL_ID_AT + CONTROL.format("BAD_EXTERNAL_ID"),
    ),
    "external-id-line-separator": (
        "BAD_EXTERNAL_ID",
        f"{SECRET}\u2028protect: false",
        EXTERNAL_ID_AT + CONTROL.format("BAD_EXTERNAL_ID"),
    ),
    "role-arn-newline": (
        "BAD_ROLE_ARN",
        f"arn:aws:iam::123456789012:role/{SECRET}\nprotect: false",
        ROLE_ARN_AT + CONTROL.format("BAD_ROLE_ARN"),
    ),
    "role-arn-mapping": ("BAD_ROLE_ARN", f"a: {SECRET}", ROLE_ARN_AT + NOT_AN_ARN),
    "role-arn-flow-mapping": ("BAD_ROLE_ARN", f"{{evil: {SECRET}}}", ROLE_ARN_AT + NOT_AN_ARN),
}


@pytest.mark.parametrize("case", list(REFUSED_ENV))
def test_env_value_with_a_newline_or_not_an_arn_is_refused(project: Project, case: str) -> None:
    variable, value, expected = REFUSED_ENV[case]
    base_project(project)
    for run in refuse_everywhere(project, (expected,), env={variable: value}):
        assert SECRET not in run.stdout + run.stderr, run.output


INERT_EXTERNAL_IDS = [
    f"a: {SECRET}",
    f"{{evil: 1, protect: false, id: {SECRET}}}",
    f"*{SECRET}",
    f"!!python/object/apply:os.system ['{SECRET}']",
    f"${{env:HOME}}-{SECRET}",  # substituted once: never expanded again
    f"--- {SECRET}",
]


@pytest.mark.parametrize("value", INERT_EXTERNAL_IDS)
def test_env_value_that_looks_like_yaml_is_an_inert_string(project: Project, value: str) -> None:
    base_project(project)
    env = {"BAD_EXTERNAL_ID": value}
    runs = [run_measured(project.root, *command, env=env) for command in COMMANDS[:2]]
    runs.append(run_measured(project.root, "apply", "--auto-approve", env=env))
    for run in runs:
        assert run.returncode == ExitCode.OK, run.output
        assert SECRET not in run.stdout + run.stderr, run.output  # masked in every output
    for saved in (project.root / "plan.out", project.root / ".gridsync" / "applied.json"):
        assert SECRET.encode() not in saved.read_bytes(), saved  # the plan file, the apply record
    live = project.live()["ok-base"]
    assert live.spec is not None
    assert live.spec.external_id == value  # byte for byte, not a parsed value
    assert [t.name for t in live.spec.instance_types] == ["t3.large"]
    settled = run_measured(project.root, "plan", "--detailed-exitcode", env=env)
    assert settled.returncode == ExitCode.OK, settled.output


# --- plan --out naming a file of the project --------------------------------------------------

OUT_IS = {
    "clusters/ok-base.yaml": "a cluster file",
    "clusters/plan.yaml": "a cluster file",  # new, but the next run would read it as one
    "runs/base/train.yaml": "a run config",
    "gridsync.yaml": "the project settings",
    ".gridsync/grid.db": "gridsync's own state",
    ".gridsync/applied.json": "gridsync's own state",
    "README.md": "a file that is not a saved plan",
}


@pytest.mark.parametrize("out", list(OUT_IS))
def test_plan_out_never_replaces_a_file_of_the_project(project: Project, out: str) -> None:
    """`plan --out clusters/prod.yaml` once replaced the cluster file with the plan's JSON, and
    `--out .gridsync/grid.db` the local control plane's state (every cluster forgotten)."""
    base_project(project)
    project.write("README.md", "# Our clusters\n")
    assert run_measured(project.root, "apply", "--auto-approve").returncode == ExitCode.OK
    before = snapshot(project.root)
    state = {p.name: p.read_bytes() for p in (project.root / ".gridsync").iterdir() if p.is_file()}
    run = run_measured(project.root, "plan", "--out", out)
    assert run.returncode == ExitCode.ERROR, run.output
    assert f"Error: --out {out} is {OUT_IS[out]}" in run.stderr, run.output
    assert "Traceback" not in run.stdout + run.stderr, run.output
    assert snapshot(project.root) == before, run.output
    after = {p.name: p.read_bytes() for p in (project.root / ".gridsync").iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k in state} == state, run.output
    assert "ok-base" in project.live()


def test_plan_out_replaces_a_saved_plan(project: Project) -> None:
    """The one file --out may replace: an earlier saved plan (CI reruns write the same name)."""
    base_project(project)
    for _ in range(2):
        run = run_measured(project.root, "plan", "--out", "plan.json")
        assert run.returncode == ExitCode.OK, run.output
    assert '"plan_id"' in (project.root / "plan.json").read_text()
