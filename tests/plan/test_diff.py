"""Table-driven cases for the pure diff: desired + live + policy -> plan."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest
from factories import GLOBAL, SECRET, desired, live, live_state, state

from gridsync.apply.steps import Step, steps_for, teardown_chains
from gridsync.config.desired import DesiredCluster, TerraformSettings
from gridsync.live.backend import LiveCluster
from gridsync.plan.changes import Action, FieldChange, Plan
from gridsync.plan.diff import (
    InfraFacts,
    Memory,
    Policy,
    compute_plan,
    desired_fingerprint,
    live_fingerprint,
)
from gridsync.render import grid_commands
from gridsync.spec import InstanceType, Phase


@dataclass
class Case:
    id: str
    desired: list[DesiredCluster]
    live: list[LiveCluster]
    actions: dict[str, str]  # cluster name -> action
    policy: Policy = field(default_factory=Policy)
    blocked: set[str] = field(default_factory=set)
    unmanaged: tuple[str, ...] = ()
    memory: Memory = field(default_factory=Memory)
    terminating: tuple[str, ...] = ()


CASES = [
    Case("create when absent", [desired("a")], [GLOBAL], {"a": "create"}),
    Case("no-op when equal", [desired("a")], [GLOBAL, live("a")], {"a": "no-op"}),
    Case("update cost savings", [desired("a", cost_savings=True)], [live("a")], {"a": "update"}),
    Case(
        "update instance types",
        [desired("a", instance_types=(InstanceType("t3.large"), InstanceType("g4dn.xlarge")))],
        [live("a")],
        {"a": "update"},
    ),
    Case(
        "instance type order does not matter",
        [
            desired(
                "a", instance_types=(InstanceType("p3.2xlarge", 1, 200), InstanceType("t3.large"))
            )
        ],
        [live("a")],
        {"a": "no-op"},
    ),
    Case(
        "region change is a replace, refused by default",
        [desired("a", region="us-west-2")],
        [live("a")],
        {"a": "replace"},
        blocked={"a"},
    ),
    Case(
        "region change allowed with --allow-replace",
        [desired("a", region="us-west-2")],
        [live("a")],
        {"a": "replace"},
        policy=Policy(allow_replace=True),
    ),
    Case(
        "protect blocks replace even when allowed",
        [desired("a", region="us-west-2", protect=True)],
        [live("a")],
        {"a": "replace"},
        policy=Policy(allow_replace=True),
        blocked={"a"},
    ),
    Case(
        "protected glob blocks replace",
        [desired("ml-prod", region="us-west-2")],
        [live("ml-prod")],
        {"ml-prod": "replace"},
        policy=Policy(allow_replace=True, protected=("ml-prod*",)),
        blocked={"ml-prod"},
    ),
    Case("undeclared, prune off: unmanaged", [], [GLOBAL, live("ml-x")], {}, unmanaged=("ml-x",)),
    Case(
        "undeclared, prune on, managed: deleted",
        [desired("ml-a")],
        [GLOBAL, live("ml-a"), live("ml-x")],
        {"ml-a": "no-op", "ml-x": "delete"},
        policy=Policy(prune=True, managed=("ml-*",)),
    ),
    Case(
        "prune with no cluster files at all is blocked",
        [],
        [GLOBAL, live("ml-x")],
        {"ml-x": "delete"},
        policy=Policy(prune=True, managed=("ml-*",)),
        blocked={"ml-x"},
    ),
    Case(
        "prune with no cluster files, explicitly allowed",
        [],
        [GLOBAL, live("ml-x")],
        {"ml-x": "delete"},
        policy=Policy(prune=True, managed=("ml-*",), allow_prune_all=True),
    ),
    Case(
        "prune deleting every managed cluster is blocked",
        [desired("team-a")],
        [live("team-a"), live("ml-x"), live("ml-y")],
        {"team-a": "no-op", "ml-x": "delete", "ml-y": "delete"},
        policy=Policy(prune=True, managed=("ml-*",)),
        blocked={"ml-x", "ml-y"},
    ),
    Case(
        "a managed cluster being created keeps the managed set non-empty",
        [desired("ml-new")],
        [live("ml-x")],
        {"ml-new": "create", "ml-x": "delete"},
        policy=Policy(prune=True, managed=("ml-*",)),
    ),
    Case(
        "prune never deletes a cluster another project declares",
        [desired("ml-a")],
        [live("ml-a"), live("ml-b"), live("ml-x")],
        {"ml-a": "no-op", "ml-x": "delete"},
        policy=Policy(prune=True, managed=("ml-*",)),
        memory=Memory(elsewhere=frozenset({"ml-b"})),
        unmanaged=("ml-b",),
    ),
    Case(
        "prune never deletes a cluster the apply record remembers as protected",
        [desired("ml-a")],
        [live("ml-a"), live("ml-gone")],
        {"ml-a": "no-op", "ml-gone": "delete"},
        policy=Policy(prune=True, managed=("ml-*",)),
        memory=Memory(protected=frozenset({"ml-gone"})),
        blocked={"ml-gone"},
    ),
    Case(
        "protect lifted in the same change still blocks a replace",
        [desired("a", region="us-west-2")],
        [live("a")],
        {"a": "replace"},
        policy=Policy(allow_replace=True),
        memory=Memory(protected=frozenset({"a"})),
        blocked={"a"},
    ),
    Case(
        "protect lifted in the same change still blocks a FAILED replace",
        [desired("a")],
        [live("a", Phase.FAILED)],
        {"a": "replace"},
        memory=Memory(protected=frozenset({"a"})),
        blocked={"a"},
    ),
    Case(
        "a cluster an earlier apply deleted is re-created once gone",
        [desired("a")],
        [live("a", desired_state=Phase.DELETED)],
        {"a": "create"},
        memory=Memory(deleting=frozenset({"a"})),
        terminating=("a",),
    ),
    Case(
        "undeclared, prune on, outside managed: unmanaged",
        [],
        [live("team-b")],
        {},
        policy=Policy(prune=True, managed=("ml-*",)),
        unmanaged=("team-b",),
    ),
    Case(
        "prune never deletes a protected glob",
        [],
        [live("ml-prod")],
        {"ml-prod": "delete"},
        policy=Policy(prune=True, managed=("ml-*",), protected=("ml-prod",)),
        blocked={"ml-prod"},
    ),
    Case(
        "prune never touches the global cluster, even with managed '*'",
        [],
        [GLOBAL],
        {},
        policy=Policy(prune=True, managed=("*",)),
    ),
    Case(
        "a terminating undeclared cluster is left to finish, and listed",
        [],
        [live("ml-x", desired_state=Phase.DELETED)],
        {},
        policy=Policy(prune=True, managed=("*",)),
        terminating=("ml-x",),
    ),
    Case(
        "a terminating declared cluster is reported, not re-created",
        [desired("a")],
        [live("a", desired_state=Phase.DELETED)],
        {"a": "no-op"},
        terminating=("a",),
    ),
    Case(
        "a FAILED cluster is replaced without --allow-replace",
        [desired("a")],
        [live("a", Phase.FAILED, reason="quota exceeded")],
        {"a": "replace"},
    ),
    Case(
        "a FAILED protected cluster is not replaced",
        [desired("a", protect=True)],
        [live("a", Phase.FAILED)],
        {"a": "replace"},
        blocked={"a"},
    ),
    Case(
        "max_deletes caps deletes plus replaces",
        [desired("a", region="us-west-2")],
        [live("a"), live("ml-1"), live("ml-2")],
        {"a": "replace", "ml-1": "delete", "ml-2": "delete"},
        policy=Policy(prune=True, managed=("ml-*",), max_deletes=2, allow_replace=True),
        blocked={"a", "ml-1", "ml-2"},
    ),
    Case(
        "max_deletes at the limit is fine",
        [],
        [live("ml-1"), live("ml-2")],
        {"ml-1": "delete", "ml-2": "delete"},
        policy=Policy(prune=True, managed=("ml-*",), max_deletes=2, allow_prune_all=True),
    ),
    Case(
        "max_deletes counts deletes blocked by another rule",
        [desired("a", region="us-west-2")],
        [live("a"), live("ml-1")],
        {"a": "replace", "ml-1": "delete"},
        policy=Policy(prune=True, managed=("ml-*",), max_deletes=1, allow_prune_all=True),
        blocked={"a", "ml-1"},
    ),
    Case(
        "a name taken by the global cluster's id is blocked",
        [desired("prod-2")],
        [GLOBAL],
        {"prod-2": "create"},
        blocked={"prod-2"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_diff(case: Case) -> None:
    desired_state, live = state(*case.desired), live_state(*case.live)
    plan = compute_plan(desired_state, live, case.policy, "test", memory=case.memory)
    assert {c.name: str(c.action) for c in plan.changes} == case.actions
    assert {c.name for c in plan.blocked} == case.blocked
    assert plan.unmanaged == case.unmanaged
    assert tuple(t.name for t in plan.terminating) == case.terminating
    assert [c.name for c in plan.changes] == sorted(c.name for c in plan.changes)


def _plan(
    desired_clusters: list[DesiredCluster], live_clusters: list[LiveCluster], **kw: object
) -> Plan:
    return compute_plan(
        state(*desired_clusters), live_state(*live_clusters, **kw), Policy(), "test"
    )  # type: ignore[arg-type]


def test_create_lists_every_field_and_marks_secrets() -> None:
    (change,) = _plan([desired("a")], []).changes
    fields = {f.field: f for f in change.fields}
    assert list(fields) == [
        "region",
        "role_arn",
        "external_id",
        "instance_types[t3.large]",
        "instance_types[p3.2xlarge]",
        "cost_savings",
    ]
    assert fields["external_id"].sensitive and not fields["region"].sensitive
    assert (
        fields["instance_types[p3.2xlarge]"].after
        == "p3.2xlarge (overprovisioned_ondemand_count=1, root_volume_size=200)"
    )
    assert all(f.before is None for f in change.fields)


def test_update_is_field_by_field() -> None:
    want = desired(
        "a",
        cost_savings=True,
        instance_types=(
            InstanceType("t3.large"),
            InstanceType("p3.2xlarge", 2, 200),
            InstanceType("g4dn.xlarge"),
        ),
    )
    (change,) = _plan([want], [live("a")]).changes
    assert change.fields == (
        FieldChange(
            "instance_types[p3.2xlarge]",
            "p3.2xlarge (overprovisioned_ondemand_count=1, root_volume_size=200)",
            "p3.2xlarge (overprovisioned_ondemand_count=2, root_volume_size=200)",
        ),
        FieldChange("instance_types[g4dn.xlarge]", None, "g4dn.xlarge"),
        FieldChange("cost_savings", False, True),
    )


def test_changed_secret_is_a_sensitive_update() -> None:
    (change,) = _plan([desired("a", external_id="new-secret")], [live("a")]).changes
    assert change.action == Action.UPDATE
    assert change.fields == (FieldChange("external_id", SECRET, "new-secret", sensitive=True),)


def test_env_sourced_field_is_sensitive() -> None:
    (change,) = _plan(
        [desired("a", role_arn="arn:aws:iam::1:role/x", sensitive=frozenset({"role_arn"}))],
        [live("a")],
    ).changes
    assert change.fields[0].field == "role_arn" and change.fields[0].sensitive


def test_unresolved_env_is_not_compared_and_noted() -> None:
    want = desired("a", external_id="${env:EXT}", unresolved={"external_id": "EXT"})
    plan = _plan([want], [live("a")])
    assert plan.changes[0].action == Action.NOOP
    assert any("${env:EXT} is not set" in n.message for n in plan.notes)


def test_terminating_declared_cluster_gets_a_warning() -> None:
    plan = _plan([desired("a")], [live("a", desired_state=Phase.DELETED)])
    assert [n.severity for n in plan.notes] == ["warning"]
    assert "being deleted" in plan.notes[0].message


def test_provisioning_cluster_is_waited_for() -> None:
    plan = _plan([desired("a")], [live("a", Phase.PENDING)])
    assert plan.changes[0].action == Action.NOOP and plan.changes[0].waits
    assert not _plan([desired("a")], [live("a")]).changes[0].waits


def test_context_for_a_new_cluster_is_known_after_apply() -> None:
    plan = _plan([desired("a", context=True)], [GLOBAL], context="prod-2")
    assert plan.context is not None
    assert (plan.context.before, plan.context.after, plan.context.after_id) == ("prod-2", "a", None)
    assert plan.has_changes


def test_context_already_set_is_no_change() -> None:
    plan = _plan([desired("a", context=True)], [live("a")], context="a")
    assert plan.context is None and not plan.has_changes


def test_context_moves_to_an_existing_cluster() -> None:
    plan = _plan([desired("a", context=True)], [live("a", cluster_id="a-id")], context="prod-2")
    assert plan.context is not None and plan.context.after_id == "a-id"


def test_plan_is_deterministic_and_fingerprint_ignores_progress() -> None:
    one = _plan([desired("b"), desired("a")], [live("c"), live("a", Phase.PENDING)])
    two = _plan([desired("a"), desired("b")], [live("a", Phase.RUNNING), live("c")])
    assert one.plan_id == two.plan_id
    assert one.live_fingerprint == two.live_fingerprint
    moved = live_state(live("a", Phase.RUNNING, cost_savings=True), live("c"))
    assert live_fingerprint(moved) != one.live_fingerprint


def test_fingerprint_does_not_contain_secrets() -> None:
    assert SECRET not in live_fingerprint(live_state(live("a")))


def test_snapshot_fields_unknown_in_live_are_not_compared() -> None:
    snapshot = live("a", external_id="", role_arn="")._replace(
        unknown=frozenset({"external_id", "role_arn"})
    )
    assert _plan([desired("a")], [snapshot]).changes[0].action == Action.NOOP
    no_spec = live("a")._replace(
        spec=None,
        unknown=frozenset({"region", "role_arn", "external_id", "instance_types", "cost_savings"}),
    )
    assert _plan([desired("a", region="eu-west-1")], [no_spec]).changes[0].action == Action.NOOP


def test_field_changes_carry_env_templates() -> None:
    want = replace(desired("a"), templates={"external_id": "${env:EXT}"})
    fields = {f.field: f for f in _plan([want], []).changes[0].fields}
    assert fields["external_id"].template == "${env:EXT}" and fields["region"].template is None


# --- Terraform state that would stay on a CI runner ----------------------------------------------


def _byoc(name: str) -> DesiredCluster:
    return replace(desired(name), terraform=TerraformSettings(module=f"infra/{name}"))


@pytest.mark.parametrize(
    ("live_clusters", "plans", "blocked"),
    [
        ((), {}, True),  # a create runs terraform apply
        ((live("ml-a"),), {"ml-a": ("Terraform: 2 to add, 0 to change, 0 to destroy", True)}, True),
        (
            (live("ml-a"),),
            {"ml-a": ("Terraform: 0 to add, 0 to change, 0 to destroy", False)},
            False,
        ),
    ],
)
def test_terraform_state_left_on_a_ci_runner_blocks_what_would_apply_it(
    live_clusters: tuple[LiveCluster, ...], plans: dict[str, tuple[str, bool]], blocked: bool
) -> None:
    facts = InfraFacts(plans=plans, runner_state=frozenset({"ml-a"}))
    plan = compute_plan(
        state(_byoc("ml-a"), _byoc("ml-b")),
        live_state(GLOBAL, *live_clusters),
        Policy(),
        "t",
        facts,
    )
    by_name = {c.name: c for c in plan.changes}
    assert ("declares no backend" in by_name["ml-a"].blocked) is blocked
    assert "terraform_local_state: true" in by_name["ml-a"].blocked or not blocked
    assert by_name["ml-b"].blocked == ""  # not in runner_state: its module has a backend


def test_lifting_a_remembered_protect_is_noted_for_the_reviewer() -> None:
    memory = Memory(protected=frozenset({"a", "b"}))
    plan = compute_plan(
        state(desired("a"), desired("b", protect=True)),
        live_state(live("a"), live("b")),
        Policy(),
        "t",
        memory=memory,
    )
    assert [n.message.split(":")[0] for n in plan.notes] == ["protect is lifted from 'a'"]
    assert not plan.blocked and not plan.has_changes  # lifting it changes nothing in Grid


@pytest.mark.parametrize("going", [False, True], ids=["gone", "still terminating"])
def test_a_delete_cut_short_before_terraform_destroy_is_finished(going: bool) -> None:
    """Grid deleted the cluster (or is deleting it); its Terraform state is left: the plan
    destroys it, waiting for the cluster first when it is still going, and counts no new delete."""
    live_clusters = (live("ml-a", desired_state=Phase.DELETED),) if going else ()
    facts = InfraFacts(leftover=frozenset({"ml-a", "ml-b"}))
    memory = Memory(deleting=frozenset({"ml-a"}), regions={"ml-a": "us-west-2"})
    policy = Policy(max_deletes=0)
    plan = compute_plan(state(), live_state(*live_clusters), policy, "test", facts, memory)
    (change,) = plan.changes  # ml-b: state gridsync did not delete a cluster of is left alone
    assert change.name == "ml-a" and change.action == Action.DELETE and change.resumes_delete
    assert not change.blocked  # max_deletes: 0 counted it in the plan that began it
    assert change.terraform is not None and change.terraform.destroy
    assert change.terraform.region == ("us-east-1" if going else "us-west-2")  # live's first
    assert change.cluster_id == ("ml-a" if going else None)
    wait = [Step.WAIT_GONE] if going else []
    assert steps_for(change, wait=False) == [*wait, Step.TF_DESTROY, Step.LEFTOVERS]
    assert teardown_chains(plan) == []  # the change waits for it; no second chain does


def test_a_delete_cut_short_has_no_grid_delete_among_its_grid_commands() -> None:
    facts = InfraFacts(leftover=frozenset({"ml-a"}))
    plan = compute_plan(
        state(), live_state(), Policy(), "test", facts, Memory(deleting=frozenset({"ml-a"}))
    )
    commands = grid_commands.render_plan(plan)
    assert "grid delete" not in commands and "destroy -input=false -auto-approve" in commands


def test_no_published_digest_depends_on_a_secret_value() -> None:
    """The plan id is posted on the pull request and the fingerprints are in the plan file: were a
    secret's value hashed in, its author (who knows every other input) could test guesses of it
    offline. Two plans that differ only in a secret (the external id, a value from `${env:}`)
    have one id and fingerprint; a difference anyone can see still makes another."""

    def digests(external_id: str, region: str, env_role: str) -> tuple[str, str, str]:
        cluster = replace(
            desired("ml-a", external_id=external_id, region=region, role_arn=env_role),
            sensitive=frozenset({"role_arn"}),
        )
        desired_state = state(cluster)
        live_now = live_state(live("ml-b", external_id=external_id))
        plan = compute_plan(desired_state, live_now, Policy(), "test")
        return plan.plan_id, desired_fingerprint(desired_state), live_fingerprint(live_now)

    role = "arn:aws:iam::123456789012:role/"
    first = digests("acme-prod-2023", "us-east-1", role + "a")
    assert digests("acme-prod-2024", "us-east-1", role + "b") == first
    other = digests("acme-prod-2023", "us-west-2", role + "a")
    assert other[0] != first[0] and other[1] != first[1] and other[2] == first[2]
