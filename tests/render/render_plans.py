"""Plans built by hand for the renderer tests (golden files, schema, secrets, colour)."""

from __future__ import annotations

from gridsync.config.desired import DesiredCluster
from gridsync.plan.changes import (
    Action,
    Change,
    ContextChange,
    FieldChange,
    Note,
    Plan,
    RunEdit,
    Teardown,
    TerraformStep,
)
from gridsync.spec import ClusterSpec, InstanceType, Source

BACKEND = "local control plane (.gridsync/grid.db)"
FINGERPRINT = "5f1c0e8a9b7d6c4e3f2a1b0c9d8e7f6a"

# Values that must never appear in any rendered output.
SECRET_ROLE = "arn:aws:iam::111122223333:role/grid-SECRET-role"
SECRET_EXT_OLD = "ext-SECRET-old-4f9c"
SECRET_EXT_NEW = "ext-SECRET-new-77aa"
SECRET_DESIRED_ONLY = "ext-SECRET-only-in-desired"
SECRETS = (SECRET_ROLE, SECRET_EXT_OLD, SECRET_EXT_NEW, SECRET_DESIRED_ONLY)


def _desired(name: str, path: str) -> DesiredCluster:
    """What apply would write: full of secrets a renderer must not read."""
    spec = ClusterSpec(
        region="us-west-2",
        role_arn=SECRET_ROLE,
        external_id=SECRET_DESIRED_ONLY,
        instance_types=(InstanceType("t3.large"),),
    )
    return DesiredCluster(
        name, spec, Source(path), sensitive=frozenset({"external_id", "role_arn"})
    )


EMPTY = Plan(backend=BACKEND, changes=())

UNCHANGED = Plan(
    backend=BACKEND,
    changes=(
        Change(
            Action.NOOP,
            "ml-a",
            "ml-a",
            source=Source("clusters/a.yaml"),
            live_phase="CLUSTER_STATE_RUNNING",
        ),
        Change(
            Action.NOOP,
            "ml-b",
            "ml-b",
            source=Source("clusters/b.yaml"),
            live_phase="CLUSTER_STATE_PENDING",
        ),
    ),
    unmanaged=("scratch-1",),
    notes=(Note("note", "no gridsync.yaml; using defaults"),),
    live_fingerprint=FINGERPRINT,
)

_CREATE = Change(
    Action.CREATE,
    "ml-dev-usw2",
    fields=(
        FieldChange("region", None, "us-west-2"),
        FieldChange("role_arn", None, SECRET_ROLE, sensitive=True),
        FieldChange("external_id", sensitive=True, known_after_apply=True),
        FieldChange("instance_types[p3.2xlarge]", None, "p3.2xlarge (root_volume_size=200)"),
        FieldChange("instance_types[t3.large]", None, "t3.large"),
        FieldChange("cost_savings", None, True),
    ),
    reason="declared, not in live state",
    source=Source("clusters/dev.yaml", 1, 1),
    terraform=TerraformStep(
        "Terraform: 3 to add, 0 to change, 0 to destroy",
        apply=True,
        workdir=".gridsync/terraform/ml-dev-usw2",
    ),
    desired=_desired("ml-dev-usw2", "clusters/dev.yaml"),
)
_UPDATE = Change(
    Action.UPDATE,
    "ml-prod-use1",
    "ml-prod-use1",
    fields=(
        FieldChange("cost_savings", False, True),
        FieldChange("external_id", SECRET_EXT_OLD, SECRET_EXT_NEW, sensitive=True),
        FieldChange(
            "instance_types[p3.2xlarge]", None, "p3.2xlarge (overprovisioned_ondemand_count=1)"
        ),
        FieldChange("instance_types[t2.medium]", "t2.medium", None),
    ),
    source=Source("clusters/prod.yaml", 1, 1),
    live_phase="CLUSTER_STATE_RUNNING",
    desired=_desired("ml-prod-use1", "clusters/prod.yaml"),
)
_REPLACE = Change(
    Action.REPLACE,
    "ml-research",
    "ml-research",
    fields=(
        FieldChange("region", "us-east-1", "us-west-2", forces_replace=True),
        FieldChange(
            "instance_types[g4dn.xlarge]", "g4dn.xlarge", "g4dn.xlarge (root_volume_size=500)"
        ),
    ),
    reason="region forces replacement",
    source=Source("clusters/research.yaml", 1, 1),
    blocks=(
        "protect: true forbids replacing this cluster; remove protect or pass --allow-replace",
        "this plan deletes 2 clusters (deletes and replaces) but max_deletes is 1",
    ),
    live_phase="CLUSTER_STATE_RUNNING",
)
_DELETE = Change(
    Action.DELETE,
    "ml-old",
    "ml-old",
    reason="undeclared; prune is on and it matches managed glob 'ml-*'",
    live_phase="CLUSTER_STATE_RUNNING",
    terraform=TerraformStep(
        "Terraform: destroy",
        destroy=True,
        workdir=".gridsync/terraform/ml-old",
    ),
)

FULL = Plan(
    backend=BACKEND,
    changes=(
        _CREATE,
        Change(
            Action.NOOP,
            "ml-ingest",
            "ml-ingest",
            source=Source("clusters/ingest.yaml"),
            live_phase="CLUSTER_STATE_QUEUED",
        ),
        _DELETE,
        _UPDATE,
        _REPLACE,
        Change(
            Action.NOOP,
            "ml-stable",
            "ml-stable",
            source=Source("clusters/stable.yaml"),
            live_phase="CLUSTER_STATE_RUNNING",
        ),
    ),
    context=ContextChange(
        "prod-2", "ml-prod-use1", "ml-prod-use1", Source("clusters/prod.yaml", 4, 3)
    ),
    unmanaged=("scratch-1", "team-b"),
    terminating=(Teardown("ml-gone", "ml-gone", by_gridsync=True), Teardown("team-c", "id-c")),
    notes=(
        Note(
            "warning",
            "${env:GRID_EXTERNAL_ID} is not set; using the default",
            Source("clusters/prod.yaml", 5, 18),
        ),
        Note("note", "2 clusters match no managed glob and are left alone"),
    ),
    live_fingerprint=FINGERPRINT,
    run_edits=(
        RunEdit(
            "runs/dev-train.yaml",
            "ml-dev-usw2",
            "ml-old",
            None,
            "--- a/runs/dev-train.yaml\n+++ b/runs/dev-train.yaml\n@@ -1,3 +1,3 @@\n compute:\n"
            "   provider:\n-    cluster: ml-old  # was\n+    cluster: '(known after apply)'  # was\n",
            Source("runs/dev-train.yaml", 3, 14),
        ),
        RunEdit(
            "runs/prod.yaml",
            "ml-prod-use1",
            None,
            "ml-prod-use1",
            "--- a/runs/prod.yaml\n+++ b/runs/prod.yaml\n@@ -1 +1,3 @@\n compute: {}\n",
            Source("runs/prod.yaml", 1, 1),
        ),
    ),
    run_targets=(
        ("ml-dev-usw2", ("runs/dev-train.yaml",)),
        ("ml-prod-use1", ("runs/prod.yaml", "runs/prod-eval.yaml")),
    ),
)

# Text from outside (names from live state, reasons, notes) that tries to break each format.
AWKWARD = Plan(
    backend="api https://grid.example.invalid | `beta`",
    changes=(
        Change(
            Action.CREATE,
            "ml-new",
            fields=(
                FieldChange("region", None, "us-east-1```\n| x | y |"),
                FieldChange("instance_types[t3.large]", None, "t3.large ```` <b>"),
            ),
            reason="declared | not `live` <script>\x1b[31m",
            source=Source("clusters/we|ird `dir`/new.yaml", 2, 1),
        ),
        Change(
            Action.REPLACE,
            "ml-failed",
            "ml-failed",
            reason="live cluster FAILED: quota exceeded\nsecond line\u2028third",
            live_phase="CLUSTER_STATE_FAILED",
        ),
    ),
    context=ContextChange(None, "ml-new", None),
    unmanaged=("team|b", "x`y"),
    notes=(Note("warning", "*not bold* _nor this_ [link](http://x) <i>html</i> # no heading"),),
)

PLANS = {"empty": EMPTY, "unchanged": UNCHANGED, "full": FULL, "awkward": AWKWARD}
