"""`plan --format grid-commands`: the plan as a bash script of grid CLI commands, run here by real
bash with `grid` standing in as a function that prints its arguments."""

from __future__ import annotations

import subprocess
from dataclasses import replace

from factories import SECRET, desired, live, live_state, state

from gridsync import redact
from gridsync.plan.changes import Plan
from gridsync.plan.diff import Policy, compute_plan
from gridsync.render.grid_commands import render_plan
from gridsync.spec import InstanceType


def run_script(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the script with `grid` defined as a function that prints one line per call."""
    stand_in = 'grid() { printf "grid"; printf " [%s]" "$@"; printf "\\n"; }\n'
    return subprocess.run(
        ["bash", "-c", stand_in + script.split("\n", 1)[1]],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        check=False,
    )


def plan_of(*args: object, **policy: object) -> Plan:
    desired_clusters, live_clusters = args
    return compute_plan(
        state(*desired_clusters), live_state(*live_clusters), Policy(**policy), "test"
    )  # type: ignore[arg-type]


def test_create_uses_env_references_and_never_the_secret() -> None:
    cluster = replace(
        desired(
            "ml-a",
            cost_savings=True,
            instance_types=(InstanceType("t3.large"), InstanceType("p3.2xlarge", 1, 200)),
        ),
        templates={
            "external_id": "${env:ML_A_EXT:-fallback}",
            "role_arn": "arn:aws:iam::${env:ACCOUNT}:role/grid",
        },
        sensitive=frozenset({"external_id", "role_arn"}),
    )
    script = render_plan(plan_of([cluster], []))
    assert SECRET not in script
    result = run_script(script, {"ML_A_EXT": "from-env", "ACCOUNT": "123456789012"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "grid [clusters] [aws] [ml-a] [--role-arn] [arn:aws:iam::123456789012:role/grid] [--external-id] "
        "[from-env] [--region] [us-east-1] [--instance-types] [t3.large,p3.2xlarge] [--cost-savings] [--wait]"
    ]
    assert "#   p3.2xlarge (overprovisioned_ondemand_count=1, root_volume_size=200)" in script
    # the external id's default is a secret too: never in the script, the variable is required
    assert "fallback" not in script
    missing = run_script(script, {"ACCOUNT": "1"})
    assert missing.returncode != 0 and "set ML_A_EXT" in missing.stderr and not missing.stdout


def test_a_literal_secret_becomes_a_variable_the_script_requires() -> None:
    script = render_plan(plan_of([desired("ml-a")], []))
    assert SECRET not in script and "ML_A_EXTERNAL_ID" in script
    missing = run_script(script, {})
    assert missing.returncode != 0 and "ML_A_EXTERNAL_ID" in missing.stderr
    given = run_script(script, {"ML_A_EXTERNAL_ID": "xyz"})
    assert given.returncode == 0 and "[--external-id] [xyz]" in given.stdout


def test_clusters_whose_names_are_secrets_get_variables_of_their_own() -> None:
    """A cluster named from `${env:}` has a secret name: its variable is named after the masked
    name, and two such clusters do not share one."""
    names = ["ml-secret-one", "ml-secret-two"]
    redact.register_all(names)
    script = redact.mask(render_plan(plan_of([desired(n) for n in names], [])))
    assert not any(n in script.lower() or n.upper() in script for n in names)
    needed = {"____EXTERNAL_ID": "one", "____EXTERNAL_ID_2": "two"}
    assert all(f': "${{{var}:?' in script for var in needed)
    given = run_script(script, needed)
    assert given.returncode == 0, given.stderr
    assert "[--external-id] [one]" in given.stdout and "[--external-id] [two]" in given.stdout


def test_delete_replace_update_and_context() -> None:
    plan = plan_of(
        [
            replace(desired("ml-r", region="us-west-2"), context=True),
            desired("ml-u", cost_savings=True),
        ],
        [live("ml-r"), live("ml-u"), live("ml-old")],
        prune=True,
        managed=("ml-*",),
        allow_replace=True,
    )
    result = run_script(render_plan(plan), {"ML_R_EXTERNAL_ID": "x"})
    assert result.returncode == 0, result.stderr
    calls = [" ".join(line.split(" ")[:4]) for line in result.stdout.splitlines()]
    assert calls == [
        "grid [delete] [cluster] [ml-old]",
        "grid [delete] [cluster] [ml-r]",
        "grid [clusters] [aws] [ml-r]",
        "grid [edit] [cluster] [ml-u]",
        "grid [user] [set-cluster-context] [ml-r]",
    ]
    assert "[--region] [us-west-2]" in result.stdout
    assert "#   performance_profile: CLUSTER_PERFORMANCE_PROFILE_COST_SAVING" in render_plan(plan)


def test_blocked_changes_are_commented_out() -> None:
    script = render_plan(plan_of([desired("ml-r", region="us-west-2")], [live("ml-r")]))
    assert "# BLOCKED, do not run:" in script
    result = run_script(script, {})
    assert result.returncode == 0 and result.stdout == ""


def test_hostile_text_stays_inert() -> None:
    cluster = replace(desired("ml-a"), templates={"role_arn": '${env:R:-a"$(touch /tmp/pwned)`x`}'})
    script = render_plan(plan_of([cluster], []))
    result = run_script(script, {"ML_A_EXTERNAL_ID": "x"})
    assert result.returncode == 0, result.stderr
    assert '[--role-arn] [a"$(touch /tmp/pwned)`x`]' in result.stdout


def test_no_changes() -> None:
    script = render_plan(plan_of([desired("ml-a")], [live("ml-a")]))
    assert "# No changes: nothing to run." in script and run_script(script, {}).stdout == ""
