"""Every hostile repository of corpus.py through the real `gridsync`, as a CI plan job runs it:
with the Grid key, AWS credentials and a GitHub token in the environment, on GitHub Actions.

Per case: `validate`; `plan` in every format, with `--out`, the step summary and step outputs;
`comment` against the loopback fake GitHub; the grid-commands script run by bash (with `grid` a
stand-in function); `apply --auto-approve` over HTTP against a local control plane that takes the
planted Grid key. Then every sink is checked for every planted secret (also JSON-escaped and as
Python shows it) and for lines that would start a workflow command:

- stdout and stderr of every run; the step summary; `$GITHUB_OUTPUT`; the plan file; every
  request body the fake GitHub received; the grid-commands script; every file under .gridsync/.
- Held by design, and not checked: the `::add-mask::` lines (the runner consumes them), the
  control plane's own state (it stores external ids, as Grid does; kept outside the project), and
  the names of applied clusters in .gridsync/applied.json (`Case.recorded`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from corpus import CASES, PLANTED, SECRETS, Case

sys.path.insert(0, str(Path(__file__).parents[1] / "github"))
from fake_github import REPOSITORY, FakeGitHub

SETTINGS = "wait: {timeout: 30s, poll_max: 0.2s}\n"
SERVER_SETTINGS = (
    "backend:\n  local: {queued_seconds: 0.05, provision_seconds: 0.2, delete_seconds: 0.1}\n"
)
PR = 7
# What plan --github and apply --github write to $GITHUB_OUTPUT: nothing else may appear there.
PLAN_OUTPUTS = {"has_changes", "creates", "updates", "replaces", "deletes", "plan_id"}
APPLY_OUTPUTS = {"result", "applied", "created", "updated", "replaced", "deleted", "failed"}
OUTPUT_KEYS = PLAN_OUTPUTS | APPLY_OUTPUTS | {"not_attempted"}
# The workflow commands gridsync writes: annotations with escaped properties, and add-mask.
_PROPERTY = r"(?:file|line|col|title)=[^,:\r\n]*"
_OWN_COMMAND = re.compile(
    rf"::(?:error|warning|notice)(?: {_PROPERTY}(?:,{_PROPERTY})*)?::|::add-mask::"
)
_FILE = re.compile(r"^::\w+ (?:[^:]*,)?file=([^,:]*)")
_BLANKS = " \t\u00a0\u200b\u200c\u200d\u2060\ufeff"


@dataclass
class Sinks:
    """Everything the runs of one case wrote, by where it went."""

    printed: dict[str, str] = field(default_factory=dict)  # "plan --format json: stdout" -> text
    files: dict[str, str] = field(default_factory=dict)  # sink name -> text


def expand(text: str) -> str:
    """`{NAME}` -> the planted value of NAME."""
    for name, value in PLANTED.items():
        text = text.replace(f"{{{name}}}", value)
    return text


def write_repository(root: Path, case: Case) -> None:
    files = {"gridsync.yaml": SETTINGS, **case.files}
    if "gridsync.yaml" in case.files:
        files["gridsync.yaml"] = SETTINGS + case.files["gridsync.yaml"]
    for rel, text in files.items():
        path = root / expand(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expand(text), encoding="utf-8")


@pytest.fixture
def control_plane(tmp_path: Path) -> Iterator[str]:
    """`gridsync local-grid serve` taking the planted Grid key, its state outside the project."""
    home = tmp_path / "grid-server"
    home.mkdir()
    (home / "gridsync.yaml").write_text(SERVER_SETTINGS)
    command = [sys.executable, "-m", "gridsync", "local-grid", "serve", "--port", "0"]
    state = ["--state", str(home / "grid.db")]
    auth = ["--user-id", PLANTED["GRID_USER_ID"], "--api-key", PLANTED["GRID_API_KEY"]]
    server = subprocess.Popen(
        [*command, *state, *auth],
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        server.terminate()
        server.communicate(timeout=10)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=PLANTED["GITHUB_TOKEN"]).running() as fake:
        yield fake


def ci_env(tmp_path: Path, grid_url: str, github: FakeGitHub, moto: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR}}))
    return {
        **os.environ,
        **PLANTED,
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": github.url,
        "GRID_URL": grid_url,
        "AWS_ENDPOINT_URL": moto,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def run(
    root: Path, env: dict[str, str], sinks: Sinks, *args: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "gridsync", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    label = " ".join(args)
    sinks.printed[f"{label}: stdout"] = result.stdout
    sinks.printed[f"{label}: stderr"] = result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


def check_script(stdout: str, cwd: Path) -> None:
    """Run the grid-commands script with `grid` and `terraform` as stand-ins and every variable
    it checks set: it must run to its end and run nothing the repository wrote."""
    script = "".join(line for line in stdout.splitlines(keepends=True) if not line.startswith("::"))
    needed = re.findall(r'^: "\$\{([A-Za-z_][A-Za-z0-9_]*):\?', script, re.MULTILINE)
    stand_ins = "grid() { :; }\nterraform() { :; }\n"
    ran = subprocess.run(
        ["bash", "-c", stand_ins + script.split("\n", 1)[1]],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **dict.fromkeys(needed, "set")},
        timeout=30,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert not list(cwd.rglob("PWNED*")), "the script ran text from the repository"


def commands_started(text: str, root: Path) -> list[str]:
    """Lines a runner (or a viewer) would take as a workflow command gridsync did not write:
    `##[` anywhere (the legacy form), or `::` first on a line that is not one of gridsync's
    annotations about a file of the repository."""
    bad = []
    for line in text.splitlines():
        stripped = line.lstrip(_BLANKS + "".join(chr(c) for c in range(0x20) if chr(c).isspace()))
        if "##[" in line or (stripped.startswith("::") and not _own(stripped, root)):
            bad.append(line)
    return bad


def _own(line: str, root: Path) -> bool:
    if _OWN_COMMAND.match(line) is None:
        return False
    named = _FILE.match(line)
    if named is None or "***" in named.group(1):  # no file, or a file name holding a secret
        return True
    return (root / _unescape(named.group(1))).is_file()


def _unescape(value: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


def leaks(text: str) -> list[str]:
    """Planted secrets in `text`, in any case: as they are, JSON-escaped, as Python shows them,
    as an identifier (GRIDSYNC_ML_A_EXTERNAL_ID), escaped with backslashes any number of times
    (JSON of a repr, Markdown of one: backslashes are not compared) and, for a long one, any 16
    characters of it in a row (a message that cut it)."""
    shown = _fold(
        "".join(
            line for line in text.splitlines(keepends=True) if not line.startswith("::add-mask::")
        )
    )
    found = set()
    for secret in SECRETS:
        for form in _forms(secret):
            pieces = [form] if len(form) < 24 else [form[i : i + 16] for i in range(len(form) - 15)]
            found.update(form for piece in pieces if _fold(piece) in shown)
    return sorted(found)


def _forms(secret: str) -> set[str]:
    inner = {secret, repr(secret)[1:-1], re.sub(r"[^A-Za-z0-9]", "_", secret)}
    return inner | {
        json.dumps(form, ensure_ascii=ascii)[1:-1] for form in inner for ascii in (True, False)
    }


def _fold(text: str) -> str:
    """Lower case, each character by itself (str.lower turns a sigma by what is beside it), and
    no backslashes."""
    return "".join(char.lower() for char in text if char != "\\")


def gridsync_files(root: Path, case: Case) -> dict[str, str]:
    found = {}
    state = root / ".gridsync"
    for path in sorted(state.rglob("*")) if state.is_dir() else ():
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.name == "applied.json":
                for name in case.recorded:
                    text = text.replace(name, "(recorded name)")
            found[f".gridsync/{path.relative_to(state)}"] = text
    return found


def run_case(case: Case, tmp_path: Path, env: dict[str, str], github: FakeGitHub) -> Sinks:
    root = tmp_path / "repo"
    root.mkdir()
    write_repository(root, case)
    env = {**env, **{k: expand(v) for k, v in case.env.items()}}
    sinks = Sinks()
    assert run(root, env, sinks, "validate").returncode == case.validate
    # text on stdout, JSON in the plan file, Markdown in the summary and the comment
    planned = run(root, env, sinks, "plan", "--out", "plan.json", "--comment")
    assert planned.returncode == case.plan_code
    if (root / "plan.json").exists():
        sinks.files["plan file"] = (root / "plan.json").read_text()
        assert run(root, env, sinks, "comment", "--plan-file", "plan.json").returncode == 0
    script = run(root, env, sinks, "plan", "--format", "grid-commands")
    assert script.returncode == case.plan_code
    if script.returncode == 0:
        sinks.files["grid-commands script"] = script.stdout
        check_script(script.stdout, tmp_path)
    assert run(root, env, sinks, "apply", "--auto-approve").returncode == case.apply_code
    for name in ("summary.md", "output.txt"):
        if (tmp_path / name).exists():
            sinks.files[name] = (tmp_path / name).read_text()
    for n, request in enumerate(github.requests):
        sinks.files[f"GitHub request {n}: {request.method} {request.path}"] = json.dumps(
            request.body, ensure_ascii=False
        )
    sinks.files.update(gridsync_files(root, case))
    return sinks


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_no_sink_holds_a_secret_or_starts_a_workflow_command(
    case: Case, tmp_path: Path, control_plane: str, github: FakeGitHub, moto_server: str
) -> None:
    sinks = run_case(case, tmp_path, ci_env(tmp_path, control_plane, github, moto_server), github)
    found = {
        sink: leaked
        for sink, text in {**sinks.printed, **sinks.files}.items()
        if (leaked := leaks(text))
    }
    assert not found, f"secrets in sinks: {found}"
    root = tmp_path / "repo"
    started = {
        sink: lines
        for sink, text in sinks.printed.items()
        if (lines := commands_started(text, root))
    }
    assert not started, f"workflow commands gridsync did not write: {started}"
    outputs = sinks.files.get("output.txt", "")
    keys = {line.split("=", 1)[0] for line in outputs.splitlines()}
    assert keys <= OUTPUT_KEYS, keys - OUTPUT_KEYS
