"""The real, last published grid CLI (lightning-grid 0.8.81) against `gridsync local-grid serve`.

Every command the README says matches Grid, with each option and its error path: login,
`grid clusters`, `grid clusters aws` (every option, `--edit-before-creation`, `--wait`),
`grid edit cluster`, `grid delete cluster` (with `--force`), `grid user set-cluster-context`,
`grid instance-types`. After each step, gridsync reads what the CLI wrote (URL, credentials,
context) and checks live state through its own api backend.

The CLI's virtualenv comes from the `grid_cli` fixture (conftest.py). The CLI runs under the
network guard (PYTHONPATH), so it can reach only the loopback server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from builders import Project

from gridsync.spec import DEFAULT_INSTANCE_TYPES

REPO = Path(__file__).resolve().parents[2]
CLI_VENV = REPO / ".venv-grid-cli"
ROLE = "arn:aws:iam::123456789012:role/grid-cli"
LONG = "ml-" + "x" * 40 + "-use1"  # cut with "…" in an 80-column `grid clusters` table
pytestmark = pytest.mark.slow


@dataclass
class World:
    grid_bin: Path
    plane: Path  # the server's project dir
    home: Path
    url: str
    editor: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "HOME": str(self.home), "EDITOR": str(self.editor), **extra}
        env.pop("GRID_SETTINGS_PATH", None)  # the CLI's own defaults under HOME
        env.pop("GRID_CREDENTIAL_PATH", None)
        return env

    def grid(self, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.grid_bin), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(**extra),
            timeout=60,
            check=False,
        )

    def gridsync(
        self, *args: str, cwd: Path | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gridsync", *args],
            cwd=cwd or self.plane,
            capture_output=True,
            text=True,
            env=self.env(**extra),
            timeout=60,
            check=False,
        )

    def live(self) -> dict[str, Any]:
        """Live clusters by name, read by gridsync with what `grid login` wrote (no GRID_URL)."""
        run = self.gridsync("live", "--backend", "api", "--output", "json")
        assert run.returncode == 0, run.stderr
        return {c["name"]: c for c in json.loads(run.stdout)["clusters"]}

    def aws(self, name: str) -> dict[str, Any]:
        return dict(self.live()[name]["spec"]["driver"]["kubernetes"]["aws"])


EDITOR = """\
#!{python}
# The editor of `--edit-before-creation` and `grid edit cluster`: records what it was given,
# then edits the snake_case document as a user would.
import json, sys
path = sys.argv[1]
doc = json.load(open(path))
json.dump(doc, open(path + ".seen", "w"))
json.dump(doc, open("{seen}", "w"))
spec = doc.get("spec", doc)
aws = spec["driver"]["kubernetes"]["aws"]
aws["instance_types"] = [{{"name": "t3.xlarge"}}, {{"name": "p3.2xlarge", "root_volume_size": 200}}]
spec["driver"]["kubernetes"]["extra_gridlet_env_var"] = {{"MY_VAR": "1", "log_level": "debug"}}
json.dump(doc, open(path, "w"))
"""


@pytest.fixture
def world(grid_cli: Path, tmp_path: Path) -> Iterator[World]:
    plane, home = tmp_path / "plane", tmp_path / "home"
    plane.mkdir()
    home.mkdir()
    (plane / "gridsync.yaml").write_text(
        "backend: {local: {queued_seconds: 0, provision_seconds: 0, delete_seconds: 0}}\n"
    )
    editor = tmp_path / "editor"
    editor.write_text(EDITOR.format(python=sys.executable, seen=tmp_path / "seen.json"))
    editor.chmod(0o755)
    with (tmp_path / "server.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gridsync", "local-grid", "serve"],
            cwd=plane,
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        try:
            yield World(grid_cli, plane, home, url, editor)
        finally:
            server.terminate()
            server.communicate(timeout=10)
    print((tmp_path / "server.log").read_text())  # the request log, shown on failure


def said(run: subprocess.CompletedProcess[str]) -> str:
    return run.stdout + run.stderr


def login(world: World) -> None:
    wrong = world.grid("login", "--username", "local", "--key", "wrong", GRID_URL=world.url)
    # `grid login` calls the generated client here: the CLI dumps the body, which holds the detail.
    assert wrong.returncode == 1 and '"details":[{"message":"unknown username' in said(wrong)
    run = world.grid("login", "--username", "local", "--key", "local-api-key", GRID_URL=world.url)
    assert run.returncode == 0 and "Login successful" in run.stdout, said(run)
    settings = json.loads((world.home / ".grid/settings.json").read_text())
    assert (settings["grid_url"], settings["context"]) == (world.url, "prod-2")


def test_clusters_aws_with_every_option_and_its_errors(world: World) -> None:
    login(world)
    assert "grid-cloud" in world.live()  # gridsync found URL and credentials where grid wrote them
    args = ("--role-arn", ROLE, "--external-id", "ext-1")
    run = world.grid(
        "clusters", "aws", "ml-cli", *args, "--region", "us-west-2",
        "--instance-types", "t3.large,g4dn.xlarge", "--cost-savings", "--wait",
    )  # fmt: skip
    assert run.returncode == 0, said(run)
    cluster = world.live()["ml-cli"]
    assert cluster["spec"]["performanceProfile"] == "CLUSTER_PERFORMANCE_PROFILE_COST_SAVING"
    assert cluster["status"]["phase"] == "CLUSTER_STATE_RUNNING"
    aws = world.aws("ml-cli")
    assert aws["region"] == "us-west-2"
    assert [t["name"] for t in aws["instanceTypes"]] == ["t3.large", "g4dn.xlarge"]
    # Defaults: us-east-1, the CLI's default instance list, the default profile.
    assert world.grid("clusters", "aws", "ml-min", *args).returncode == 0
    aws = world.aws("ml-min")
    assert aws["region"] == "us-east-1"
    assert [t["name"] for t in aws["instanceTypes"]] == list(DEFAULT_INSTANCE_TYPES)
    again = world.grid("clusters", "aws", "ml-cli", *args)
    assert again.returncode == 1 and "exists already" in said(again)
    failing = world.gridsync("local-grid", "fail", "ml-bad", "--reason", "quota exceeded")
    assert failing.returncode == 0, said(failing)
    failed = world.grid("clusters", "aws", "ml-bad", *args, "--wait")
    assert failed.returncode == 1 and "Creation failed for cluster ml-bad" in said(failed)


def test_edit_before_creation_and_edit_cluster(world: World, tmp_path: Path) -> None:
    login(world)
    args = ("--role-arn", ROLE, "--external-id", "ext-1", "--instance-types", "t3.large")
    run = world.grid("clusters", "aws", "ml-ed", *args, "--edit-before-creation")
    assert run.returncode == 0, said(run)
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["spec"]["driver"]["kubernetes"]["aws"]["role_arn"] == ROLE  # snake_case
    aws = world.aws("ml-ed")
    assert [t["name"] for t in aws["instanceTypes"]] == ["t3.xlarge", "p3.2xlarge"]
    # Keys inside a map field reach Grid as the user typed them, never re-cased.
    stored = httpx.get(f"{world.url}/v1/core/clusters/ml-ed", auth=("local-user", "local-api-key"))
    kubernetes = stored.json()["spec"]["driver"]["kubernetes"]
    assert kubernetes["extraGridletEnvVar"] == {"MY_VAR": "1", "log_level": "debug"}
    world.grid("clusters", "aws", "ml-ed2", *args).check_returncode()
    edit = world.grid("edit", "cluster", "ml-ed2")
    assert edit.returncode == 0, said(edit)
    assert [t["name"] for t in world.aws("ml-ed2")["instanceTypes"]] == ["t3.xlarge", "p3.2xlarge"]
    unchanged = world.grid("edit", "cluster", "ml-ed2")  # the editor writes the same document
    assert "cluster unchanged" in said(unchanged)
    missing = world.grid("edit", "cluster", "nope")  # the CLI dumps the raw error, with its detail
    assert '"details":[{"message":"no cluster with id \'nope\'' in said(missing)


def test_list_context_instance_types_and_delete(world: World, tmp_path: Path) -> None:
    login(world)
    args = ("--role-arn", ROLE, "--external-id", "ext-1", "--instance-types", "t3.large,p3.2xlarge")
    for name in ("ml-a", "ml-b", LONG):
        world.grid("clusters", "aws", name, *args).check_returncode()
    table = world.grid("clusters")
    assert table.returncode == 0, said(table)
    rows = {r[0]: r for r in _rows(table.stdout)}
    assert rows["prod-2"][1:4] == ["grid-cloud", "grid-cloud", "running"]
    assert rows["ml-a"][1:4] == ["ml-a", "byoc", "running"]
    assert re.fullmatch(r"just now|\d+ seconds ago", rows["ml-a"][4])
    assert "…" in table.stdout  # the long name is cut, as a pipe shows it
    # gridsync prints the same table, and refuses to plan from a cut one rather than guess.
    ours = {r[0]: r for r in _rows(world.gridsync("live", "--backend", "api").stdout, "|")}
    assert ours["ml-a"][:4] == rows["ml-a"][:4] and ours["prod-2"][:4] == rows["prod-2"][:4]
    assert re.fullmatch(r"just now|\d+ seconds ago|a minute ago", ours["ml-a"][4])
    saved = tmp_path / "clusters.txt"
    saved.write_text(table.stdout)
    declared = tmp_path / "declared"  # one declared cluster: a project with none is refused first
    (declared / "clusters").mkdir(parents=True)
    shutil.copy(REPO / "clusters" / "research.yaml", declared / "clusters")
    refused = world.gridsync("-C", str(declared), "plan", "--live", str(saved))
    assert refused.returncode == 1 and "cut" in refused.stderr, said(refused)
    assert "Traceback" not in refused.stderr

    # set-cluster-context lists through the SDK's error wrapper: the user reads the message.
    bad = {"GRID_USER_ID": "local-user", "GRID_API_KEY": "wrong"}
    refused = world.grid("user", "set-cluster-context", "ml-a", **bad)
    assert refused.returncode == 1, said(refused)
    assert "GridException: missing or invalid credentials" in said(refused), said(refused)
    assert "HTTP response body" not in said(refused)
    # `grid clusters` calls the generated client itself: a raw dump, its body holding the detail.
    dumped = world.grid("clusters", **bad)
    assert dumped.returncode == 1 and '"details":[{"message":"missing or invalid' in said(dumped)

    types = world.grid("instance-types", "--cluster", "ml-a")
    assert types.returncode == 0, said(types)
    assert re.search(r"│ p3\.2xlarge +│ +3\.06 │ +0\.918 │ +8 │ +1 │ +61 │ +v100 │", types.stdout)
    missing = world.grid("instance-types", "--cluster", "nope")
    assert missing.returncode == 1 and "no cluster with id 'nope'" in said(missing)

    for name in ("grid-cloud", "ml-a"):
        run = world.grid("user", "set-cluster-context", name)
        assert run.returncode == 0, said(run)
    assert json.loads((world.home / ".grid/settings.json").read_text())["context"] == "ml-a"
    assert _context_plan(world, tmp_path, "ml-a") == 0  # gridsync sees the CLI's context
    unknown = world.grid("user", "set-cluster-context", "nope")
    assert unknown.returncode == 1 and "Cluster with name nope not found" in said(unknown)

    deleted = world.grid("delete", "cluster", "ml-a", "--wait")
    assert deleted.returncode == 0 and "ml-a" not in world.live(), said(deleted)
    forced = world.grid("delete", "cluster", "ml-b", "--force", stdin="y\n")
    assert forced.returncode == 0 and "ml-b" not in world.live(), said(forced)
    declined = world.grid("delete", "cluster", LONG, "--force", stdin="n\n")
    assert declined.returncode == 1 and LONG in world.live()
    gone = world.grid("delete", "cluster", "nope")  # the CLI dumps the raw error, with its detail
    assert '"details":[{"message":"no cluster with id \'nope\'' in said(gone)


def _rows(table: str, bar: str = "│") -> list[list[str]]:
    rows = [[c.strip() for c in line.split(bar)[1:-1]] for line in table.splitlines()]
    return [r for r in rows if r and r[0] != "id"]


def _context_plan(world: World, tmp_path: Path, name: str) -> int:
    """`plan --detailed-exitcode` of a project declaring `name` as the context cluster."""
    project = Project.at(tmp_path / "project")
    doc = f"""\
        apiVersion: gridsync/v1
        kind: Cluster
        name: {name}
        provider: aws
        region: us-east-1
        role_arn: {ROLE}
        external_id: ext-1
        instance_types: [t3.large, p3.2xlarge]
        context: true
        """
    project.write(f"clusters/{name}.yaml", doc)
    run = world.gridsync("plan", "--backend", "api", "--detailed-exitcode", cwd=project.root)
    assert run.returncode in (0, 2), said(run)
    return run.returncode


FOLLOWER = """\
#!{python}
# A user following `plan --format grid-commands` word for word in `grid edit cluster`'s editor.
import json, re, shlex, sys
path = sys.argv[1]
doc = json.load(open(path))
for line in open("{steps}").read().splitlines():
    where, _, what = line.partition(": ")
    *parents, key = where.split(".")
    node = doc
    for part in parents:
        node = node[part]
    found = re.fullmatch(r"(add|remove|change to) (\\S+)(?: \\((.*)\\))?", what)
    if key == "instance_types" and found:
        verb, name, extra = found.groups()
        kept = [t for t in node[key] if t["name"] != name]
        entry = {{"name": name, **{{k: int(v) for k, v in re.findall(r"(\\w+)=(\\d+)", extra or "")}}}}
        node[key] = kept if verb == "remove" else kept + [entry]
    else:
        node[key] = shlex.split(what)[0]
json.dump(doc, open(path, "w"))
"""


def test_grid_commands_edit_steps_work_in_the_cli_editor(world: World, tmp_path: Path) -> None:
    login(world)
    args = (
        "--role-arn",
        ROLE,
        "--external-id",
        "ext-1",
        "--instance-types",
        "t3.large,g4dn.xlarge",
    )
    world.grid("clusters", "aws", "ml-u", *args).check_returncode()
    project = Project.at(tmp_path / "project")
    project.write(
        "clusters/ml-u.yaml",
        "apiVersion: gridsync/v1\nkind: Cluster\nname: ml-u\nprovider: aws\nregion: us-east-1\n"
        f"role_arn: {ROLE}-2\nexternal_id: ext-1\ncost_savings: true\ninstance_types:\n"
        "  - t3.large\n  - {name: p3.2xlarge, overprovisioned_ondemand_count: 1, root_volume_size: 200}\n",
    )
    script = world.gridsync(
        "plan", "--backend", "api", "--format", "grid-commands", cwd=project.root
    )
    assert script.returncode == 0, said(script)
    steps = script.stdout.split("# in the editor (snake_case keys), change:\n")[1]
    lines = [line[4:] for line in steps.splitlines() if line.startswith("#   ")]
    assert len(lines) == 4, script.stdout  # role_arn, cost_savings, -g4dn.xlarge, +p3.2xlarge
    (tmp_path / "steps").write_text("\n".join(lines))
    follower = tmp_path / "follower"
    follower.write_text(FOLLOWER.format(python=sys.executable, steps=tmp_path / "steps"))
    follower.chmod(0o755)
    edit = world.grid("edit", "cluster", "ml-u", EDITOR=str(follower))
    assert edit.returncode == 0 and "not found" not in said(edit), said(edit)
    again = world.gridsync("plan", "--backend", "api", "--detailed-exitcode", cwd=project.root)
    assert again.returncode == 0, said(again)  # followed as written, the instructions did it all


def test_clusters_made_by_hand_are_imported_and_plan_to_no_change(
    world: World, tmp_path: Path
) -> None:
    """Issue 17's check: the runbook's clusters, made with the real CLI, adopted by import."""
    login(world)
    args = ("--role-arn", ROLE, "--external-id", "ext-hand-1")
    made = world.grid(
        "clusters", "aws", "ml-hand", *args, "--region", "us-west-2",
        "--instance-types", "t3.large,g4dn.xlarge", "--cost-savings",
    )  # fmt: skip
    assert made.returncode == 0, said(made)
    # The editor sets instance type options and a field gridsync does not manage.
    edited = world.grid("clusters", "aws", "ml-hand-ed", *args, "--edit-before-creation")
    assert edited.returncode == 0, said(edited)
    project = tmp_path / "adopting"
    project.mkdir()
    run = world.gridsync("import", "--all", "--backend", "api", cwd=project)
    assert run.returncode == 0, said(run)
    assert sorted(p.name for p in (project / "clusters").iterdir()) == [
        "ml-hand-ed.yaml",
        "ml-hand.yaml",
    ]
    written = "".join(p.read_text() for p in (project / "clusters").iterdir())
    assert "ext-hand-1" not in written + said(run)
    assert "root_volume_size: 200" in written and "cost_savings: true" in written
    env = {f"GRIDSYNC_{n}_EXTERNAL_ID": "ext-hand-1" for n in ("ML_HAND", "ML_HAND_ED")}
    assert all(name in run.stdout for name in env)
    plan = world.gridsync("plan", "--backend", "api", "--detailed-exitcode", cwd=project, **env)
    assert plan.returncode == 0, said(plan)
    assert "No changes. 2 declared clusters match live state." in plan.stdout
