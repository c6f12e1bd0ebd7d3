"""Hostile pull requests (issue 12, items 3 and 4): no pull-request code runs with secrets in
reach, and every path a repository file names stays inside the project.

Real parts only: git repositories in tmp_path for the base and head commits, real Terraform 1.0.3
from the virtualenv, the real `gridsync` command as a subprocess, the local control plane. The
hostile module ships a provider in `terraform.d/` (a shell script) that would leave a marker file,
with a copy of its parent's environment, if Terraform ever started it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from builders import Project

TERRAFORM = Path(sys.executable).parent / "terraform"
MODULE = Path(__file__).parents[1] / "data" / "terraform" / "byoc"
SECRETS = {"GRID_API_KEY": "grid-key-Secr3t-77", "GITHUB_TOKEN": "ghs_token-Secr3t-77"}
NO_REGISTRY = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
SETTINGS = """\
backend:
  type: local
  local: {state: .gridsync/grid.db, queued_seconds: 0.05, provision_seconds: 0.1, delete_seconds: 0.1}
wait: {timeout: 30s, poll_max: 0.2s}
"""
CLUSTER = """\
apiVersion: gridsync/v1
kind: Cluster
name: {name}
provider: aws
region: us-east-1
infrastructure:
  terraform:
    module: {module}
    vars: {{cluster_name: {name}, external_id: ext-confine, role_arn: "arn:aws:iam::123456789012:role/b"}}
"""
PLUGIN = "terraform.d/plugins/registry.terraform.io/hashicorp/external/9.9.9/linux_amd64"
HOSTILE_TF = """\
terraform {
  required_providers {
    external = { source = "hashicorp/external", version = "9.9.9" }
  }
}
variable "cluster_name" { type = string }
variable "external_id" { type = string }
variable "role_arn" { type = string }
data "external" "x" { program = ["true"] }
output "gridv1_cluster" { value = "{}" }
"""


# --- helpers ------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
        | {"GIT_COMMITTER_EMAIL": "t@t"},
    )
    return done.stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def gridsync(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return Project(root).gridsync(*args, env=env, timeout=120)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def hostile_module(module: Path, marker: Path) -> None:
    """A module whose provider, shipped in terraform.d/, writes `marker` with its parent's env."""
    shutil.rmtree(module, ignore_errors=True)
    write(module / "main.tf", HOSTILE_TF)
    provider = write(
        module / PLUGIN / "terraform-provider-external_v9.9.9",
        f'#!/bin/sh\ncat "/proc/$PPID/environ" > {marker} 2>/dev/null\ntouch {marker}\nexit 1\n',
    )
    provider.chmod(0o755)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project in a git repository: the byoc module and one cluster using it, committed."""
    root = tmp_path / "repo"
    shutil.copytree(MODULE, root / "infra" / "byoc")
    write(root / "gridsync.yaml", SETTINGS + f"terraform_bin: {TERRAFORM}\n")
    write(root / "clusters" / "ml-byoc.yaml", CLUSTER.format(name="ml-byoc", module="infra/byoc"))
    git(root.parent, "init", "-q", str(root))
    return root


def pull_request(tmp_path: Path, base: str, event: str = "pull_request") -> dict[str, str]:
    payload = write(tmp_path / "event.json", json.dumps({"pull_request": {"base": {"sha": base}}}))
    return {**SECRETS, "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(payload)}


# --- item 3: no pull-request code with secrets in reach -----------------------------------------


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target"])
def test_a_pull_request_that_changes_a_module_never_runs_it(
    repo: Path, tmp_path: Path, event: str
) -> None:
    base = commit(repo, "base")
    marker = tmp_path / "provider-ran"
    hostile_module(repo / "infra" / "byoc", marker)
    commit(repo, "head: a hostile module")
    env = pull_request(tmp_path, base, event)
    results = {
        fmt: gridsync(repo, "plan", "--format", fmt, env=env)
        for fmt in ("text", "markdown", "json", "grid-commands")
    }
    assert not marker.exists()  # Terraform never started the provider: no secret was in reach
    for result in results.values():
        assert result.returncode == 0, result.stdout + result.stderr  # the plan is not blocked
    outputs = {fmt: result.stdout for fmt, result in results.items()}
    for fmt in ("text", "markdown", "json"):
        assert "Terraform plans after merge" in outputs[fmt], fmt
        assert "its module changed in this pull request (infra/byoc/" in outputs[fmt], fmt
    assert "# Terraform plans after merge: its module changed" in outputs["grid-commands"]
    change = next(c for c in json.loads(outputs["json"])["changes"] if c["name"] == "ml-byoc")
    assert change["action"] == "create"
    assert "(known after apply)" in outputs["text"]  # role_arn and external_id come from Terraform


def test_a_pull_request_that_leaves_the_module_alone_runs_terraform(
    repo: Path, tmp_path: Path
) -> None:
    base = commit(repo, "base")
    other = CLUSTER.format(name="ml-byoc-two", module="infra/byoc")  # a cluster file: data
    write(repo / "clusters" / "ml-byoc-two.yaml", other)
    commit(repo, "head: one more cluster on the reviewed module")
    result = gridsync(repo, "plan", env=pull_request(tmp_path, base))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Terraform: 0 to add, 0 to change, 0 to destroy") == 2
    assert "plans after merge" not in result.stdout


def test_any_other_changed_file_defers_every_module(repo: Path, tmp_path: Path) -> None:
    """A module can read or run any file (`../scripts/x.sh`), and gridsync.yaml names
    terraform_bin: a change outside cluster and run files defers Terraform."""
    base = commit(repo, "base")
    write(repo / "scripts" / "helper.sh", "#!/bin/sh\n")  # untracked counts too
    result = gridsync(repo, "plan", env=pull_request(tmp_path, base))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Terraform plans after merge" in result.stdout
    assert "scripts/helper.sh changed in this pull request" in result.stdout


def test_a_base_commit_missing_from_a_shallow_clone_defers_and_says_how_to_fix_it(
    repo: Path, tmp_path: Path
) -> None:
    commit(repo, "base")
    marker = tmp_path / "provider-ran"
    hostile_module(repo / "infra" / "byoc", marker)
    commit(repo, "head")
    missing = "0123456789abcdef0123456789abcdef01234567"
    result = gridsync(repo, "plan", env=pull_request(tmp_path, missing))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Terraform plans after merge" in result.stdout
    assert "base commit 0123456789ab is not in this clone" in result.stdout
    assert "fetch-depth: 0" in result.stdout and not marker.exists()


def test_an_unreadable_event_payload_counts_as_changed(repo: Path, tmp_path: Path) -> None:
    commit(repo, "base")
    marker = tmp_path / "provider-ran"
    hostile_module(repo / "infra" / "byoc", marker)
    env = {**SECRETS, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": "/nonexistent"}
    result = gridsync(repo, "plan", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "base commit is unknown" in result.stdout and not marker.exists()


def test_apply_on_a_pull_request_refuses_a_changed_module(repo: Path, tmp_path: Path) -> None:
    """Terraform itself is the choke point: apply, not only plan, refuses on a pull request."""
    base = commit(repo, "base")
    marker = tmp_path / "provider-ran"
    hostile_module(repo / "infra" / "byoc", marker)
    commit(repo, "head")
    result = gridsync(repo, "apply", "--auto-approve", env=pull_request(tmp_path, base))
    assert result.returncode != 0
    assert (
        "does not run for cluster 'ml-byoc' on this pull request" in result.stdout + result.stderr
    )
    assert not marker.exists() and "Traceback" not in result.stderr


def test_after_merge_a_module_never_loads_providers_from_its_terraform_d(
    repo: Path, tmp_path: Path
) -> None:
    """On a push (reviewed code) Terraform runs, but never with a plugin dir from the repository:
    the provider must come from its registry (unreachable here, so init fails)."""
    marker = tmp_path / "provider-ran"
    hostile_module(repo / "infra" / "byoc", marker)
    write(repo / "infra" / "byoc" / ".terraformrc", 'plugin_cache_dir = "/tmp"\n')
    commit(repo, "merged")
    result = gridsync(repo, "plan", env={**SECRETS, **NO_REGISTRY, "GITHUB_EVENT_NAME": "push"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "terraform init for cluster 'ml-byoc' failed" in result.stderr
    assert not marker.exists()
    workdir = repo / ".gridsync" / "terraform" / "ml-byoc"
    assert (workdir / "main.tf").is_file()
    assert not (workdir / "terraform.d").exists() and not (workdir / ".terraformrc").exists()


def test_a_cli_config_inside_the_project_is_never_used(repo: Path, tmp_path: Path) -> None:
    """TF_CLI_CONFIG_FILE pointing into the repository (a mirror of hostile providers) is replaced
    by gridsync's own configuration."""
    marker = tmp_path / "provider-ran"
    hostile_module(repo / "infra" / "byoc", marker)
    shutil.move(repo / "infra" / "byoc" / "terraform.d", repo / "mirror")
    rc = write(
        repo / "tools" / "cli.tfrc",
        f'provider_installation {{\n  filesystem_mirror {{ path = "{repo}/mirror/plugins" }}\n}}\n',
    )
    commit(repo, "merged")
    env = {**NO_REGISTRY, "TF_CLI_CONFIG_FILE": str(rc), "TF_PLUGIN_CACHE_DIR": str(repo)}
    result = gridsync(repo, "plan", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert not marker.exists()


def test_terraform_bin_is_never_a_file_of_the_project(repo: Path, tmp_path: Path) -> None:
    ran = tmp_path / "bin-ran"
    tool = write(repo / "tools" / "tf.sh", f"#!/bin/sh\ntouch {ran}\nexit 1\n")
    tool.chmod(0o755)
    write(repo / "gridsync.yaml", SETTINGS + "terraform_bin: tools/tf.sh\n")
    validate = gridsync(repo, "validate")
    assert validate.returncode == 1
    assert "gridsync.yaml:5:16: error: terraform_bin:" in validate.stderr
    assert "is a path inside the project" in validate.stderr
    write(repo / "gridsync.yaml", SETTINGS + f"terraform_bin: {tool}\n")  # absolute, but inside
    plan = gridsync(repo, "plan")
    assert plan.returncode == 1 and "is inside the project" in plan.stderr
    write(repo / "gridsync.yaml", SETTINGS)  # a name looked up on PATH: relative entries skipped
    shutil.copy(tool, repo / "tools" / "terraform")
    relative = gridsync(repo, "plan", env={"PATH": f"tools{os.pathsep}/nonexistent"})
    assert relative.returncode == 1 and "'terraform' not found on PATH" in relative.stderr
    assert not ran.exists() and "Traceback" not in plan.stderr + relative.stderr
    chosen = gridsync(repo, "plan", env={"GRIDSYNC_TERRAFORM_BIN": str(TERRAFORM)})
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    assert "Terraform: 0 to add, 0 to change, 0 to destroy" in chosen.stdout


def test_gridsync_makes_itself_not_dumpable(tmp_path: Path) -> None:
    """Defence in depth: same-user children cannot read /proc/<gridsync>/environ. The real main()
    runs; an exit hook reads PR_GET_DUMPABLE (3) of that process."""
    probe = (
        "import atexit, ctypes\n"
        "atexit.register(lambda: print('dumpable', ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)))\n"
        "from gridsync.cli.main import main\n"
        "main(['--version'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "dumpable 0"


# --- item 4: paths stay inside the project ------------------------------------------------------


@pytest.mark.parametrize("state", ["/elsewhere/*", "../outside/grid.db", "link/grid.db"])
def test_local_state_outside_the_project_is_refused(tmp_path: Path, state: str) -> None:
    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    outside.mkdir()
    write(root / "gridsync.yaml", SETTINGS.replace(".gridsync/grid.db", state))
    (root / "link").symlink_to(outside)
    for command in (("plan",), ("local-grid", "reset")):
        result = gridsync(root, *command)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "gridsync.yaml:3:" in result.stderr and "backend.local.state" in result.stderr
        assert "Traceback" not in result.stderr
    assert list(outside.iterdir()) == []


def test_reset_removes_exactly_the_state_file_and_its_journals(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root / "gridsync.yaml", SETTINGS)
    assert gridsync(root, "live").returncode == 0  # creates the local state
    state = root / ".gridsync" / "grid.db"
    for suffix in ("-wal", "-shm", "-journal"):
        write(state.with_name(state.name + suffix), "")
    kept = write(state.with_name("grid.db-backup"), "the user's own file")
    result = gridsync(root, "local-grid", "reset")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in state.parent.iterdir()) == [".gitignore", "grid.db-backup"]
    assert kept.read_text() == "the user's own file"


def test_a_symlink_inside_a_module_leading_outside_is_refused_by_name(
    repo: Path, tmp_path: Path
) -> None:
    outside = write(tmp_path / "outside" / "id_rsa", "PRIVATE KEY")
    (repo / "infra" / "byoc" / "keys").symlink_to(outside.parent)
    result = gridsync(repo, "plan")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "symlink infra/byoc/keys leads outside the project" in result.stderr
    assert not (repo / ".gridsync" / "terraform" / "ml-byoc").exists()
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("link", "target"), [("loop", ".."), ("self", "self")])
def test_a_symlink_loop_inside_a_module_is_a_clear_error(
    repo: Path, link: str, target: str
) -> None:
    (repo / "infra" / "byoc" / link).symlink_to(target)
    result = gridsync(repo, "plan")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"symlink loop: infra/byoc/{link}" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_a_var_file_symlinked_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    secret = write(tmp_path / "outside.tfvars", 'cluster_name = "x"\n')
    (repo / "infra" / "vars.tfvars").symlink_to(secret)
    text = (repo / "clusters" / "ml-byoc.yaml").read_text()
    write(repo / "clusters" / "ml-byoc.yaml", text + "    var_file: infra/vars.tfvars\n")
    result = gridsync(repo, "plan")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "var_file 'infra/vars.tfvars' leads outside the project root" in result.stderr


@pytest.mark.parametrize("linked", [".gridsync", ".gridsync/terraform"])
def test_a_symlinked_state_folder_is_refused_never_followed_or_chmodded(
    repo: Path, tmp_path: Path, linked: str
) -> None:
    target = tmp_path / "victim"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    if linked != ".gridsync":
        (repo / ".gridsync").mkdir()
    (repo / linked).symlink_to(target)
    write(repo / "gridsync.yaml", f"terraform_bin: {TERRAFORM}\n")  # the default state path
    result = gridsync(repo, "plan")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{repo / linked} is a symbolic link" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(target.iterdir()) == [] and target.stat().st_mode & 0o777 == 0o755


def test_a_run_binding_that_resolves_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    write(tmp_path / "outside" / "train.yaml", "compute:\n  provider:\n    cluster: ml-byoc\n")
    (repo / "runs").mkdir()
    (repo / "runs" / "shared").symlink_to(tmp_path / "outside")
    text = (repo / "clusters" / "ml-byoc.yaml").read_text()
    write(repo / "clusters" / "ml-byoc.yaml", text + "runs: [runs/shared/*.yaml]\n")
    result = gridsync(repo, "validate")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "symlink escapes the project root" in result.stdout + result.stderr


def test_a_changed_module_of_an_existing_cluster_plans_as_an_update_and_a_new_plan_id(
    repo: Path, tmp_path: Path
) -> None:
    """After merge Terraform's summary is in the plan, so the reviewed plan_id no longer matches:
    nobody applies a Terraform plan they have not seen."""
    applied = gridsync(repo, "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    base = commit(repo, "base")
    outputs = repo / "infra" / "byoc" / "outputs.tf"
    outputs.write_text(outputs.read_text() + 'output "extra" { value = "x" }\n')
    commit(repo, "head: the module changes")
    on_pr = gridsync(repo, "plan", "--format", "json", env=pull_request(tmp_path, base))
    assert on_pr.returncode == 0, on_pr.stdout + on_pr.stderr
    planned = json.loads(on_pr.stdout)
    change = next(c for c in planned["changes"] if c["name"] == "ml-byoc")
    assert change["action"] == "update" and change["terraform"]["apply"] is True
    assert change["terraform"]["summary"].startswith("Terraform plans after merge: its module")
    assert any("its module changed" in note["message"] for note in planned["notes"])
    merged = gridsync(repo, "plan", "--format", "json", env={"GITHUB_EVENT_NAME": "push"})
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert json.loads(merged.stdout)["plan_id"] != planned["plan_id"]


@pytest.mark.parametrize("event", ["issue_comment", "workflow_run"])
def test_other_events_count_as_unreviewed(repo: Path, tmp_path: Path, event: str) -> None:
    """A `/plan` comment bot (issue_comment) or a workflow_run job may check out a pull request
    with secrets in the environment and has no base commit to compare with: fail safe."""
    marker = tmp_path / "provider-ran"
    hostile_module(repo / "infra" / "byoc", marker)
    commit(repo, "a pull request's head, checked out by a bot")
    result = gridsync(repo, "plan", env={**SECRETS, "GITHUB_EVENT_NAME": event})
    assert not marker.exists()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"a {event} run may check out code nobody has reviewed" in result.stdout


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("clusters/**/*.yaml", "clusters/a.yaml", True),
        ("clusters/**/*.yaml", "clusters/x/y/a.yaml", True),
        ("clusters/**/*.yaml", "clusters/a.yml", False),
        ("clusters/*.yaml", "clusters/x/a.yaml", False),
        ("runs/**/*.yaml", "infra/runs/a.yaml", False),
        ("./clusters/*.yaml", "clusters/a.yaml", True),
    ],
)
def test_which_changed_files_count_as_data(pattern: str, path: str, matches: bool) -> None:
    from gridsync.infra.review import glob_matches

    assert glob_matches(pattern, path) is matches
