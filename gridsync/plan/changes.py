"""The plan: an inert, sortable value. It can be rendered, saved, compared and applied.

`reason` explains a change to people; it never drives apply. `desired` carries the values apply
needs (secrets included) and is never rendered or saved: renderers use `fields`, which are masked
where `sensitive`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from gridsync.config.desired import DesiredCluster
from gridsync.spec import Phase, Source
from gridsync.spec import Value as Value  # re-exported: a FieldChange side


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"


# The order changes are listed and counted in.
ACTION_ORDER = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE, Action.NOOP)


class FieldChange(NamedTuple):
    """One managed field that differs. Instance types change one by one:
    field `instance_types[NAME]`, before/after the type's description or None when absent."""

    field: str
    before: Value = None
    after: Value = None
    sensitive: bool = False
    forces_replace: bool = False
    # The desired value as written when it uses `${env:...}` (for grid-commands); never a secret.
    template: str | None = None
    known_after_apply: bool = False  # the value comes from Terraform outputs at apply


class TerraformStep(NamedTuple):
    """What apply does with a cluster's Terraform module around the Grid change."""

    summary: str  # e.g. "Terraform: 12 to add, 0 to change, 0 to destroy"
    apply: bool = False  # terraform apply before the cluster is created or updated
    destroy: bool = False  # terraform destroy after the cluster is gone
    # Where gridsync runs Terraform for this cluster, relative to the project root.
    workdir: str = ""
    # The cluster's region, where resources left behind are looked for after a destroy.
    region: str = ""


class Change(NamedTuple):
    action: Action
    name: str
    cluster_id: str | None = None  # None for a cluster not yet created
    fields: tuple[FieldChange, ...] = ()
    reason: str = ""
    source: Source | None = None  # where the cluster is declared (None for undeclared ones)
    # Every safety rule that stops this change (and with it the whole apply), all at once.
    blocks: tuple[str, ...] = ()
    live_phase: str | None = None  # the live cluster's phase, when there is one
    # For a replace: every field of the cluster as created again (masked like `fields`).
    recreate: tuple[FieldChange, ...] = ()
    terraform: TerraformStep | None = None
    desired: DesiredCluster | None = None  # what apply writes; never rendered
    # A create whose name is still held by a cluster an earlier apply deleted (a replace cut
    # short): apply waits until that one is gone, then creates. On a delete: the earlier apply
    # already deleted it in Grid (`resumes_delete`).
    after_teardown: bool = False
    # A replace Grid forces that was allowed, and by what: "--allow-replace", or the review
    # label and who added it. Shown, never part of plan_id (the approval's source may differ
    # between the pull request and the apply on merge; whether it is allowed may not).
    approved: str = ""

    @property
    def blocked(self) -> str:
        """Why this change is blocked, every reason in one text ("" when it is not)."""
        return "; ".join(self.blocks)

    def block(self, why: str) -> Change:
        """This change, also stopped by `why` (each rule adds its reason; none hides another)."""
        return self if why in self.blocks else self._replace(blocks=(*self.blocks, why))

    @property
    def resumes_delete(self) -> bool:
        """A delete an earlier apply began and did not finish: Grid has deleted the cluster (or is
        deleting it, `cluster_id` set); waiting for it to go and Terraform destroy are left."""
        return self.action == Action.DELETE and self.after_teardown

    @property
    def waits(self) -> bool:
        """Apply must wait for this cluster: it changes, or it is still provisioning."""
        return self.action != Action.NOOP or self.live_phase in (Phase.QUEUED, Phase.PENDING)


class ContextChange(NamedTuple):
    """The user's cluster context moves to `after` (a cluster name). `before` is an id or None."""

    before: str | None
    after: str
    after_id: str | None  # None: known after apply (the cluster is created by this plan)
    source: Source | None = None


class RunEdit(NamedTuple):
    """Set `compute.provider.cluster` in one run config file to the id of the cluster it is bound to."""

    path: str  # relative to the project root
    cluster: str  # the declared cluster the file is bound to (by its `runs:` globs)
    before: str | None  # the value now; None when the file has no compute.provider.cluster
    after_id: str | None  # the id to write; None: known after apply (the cluster is created)
    diff: str  # unified diff of the file, the id shown as `(known after apply)` when not known yet
    source: Source | None = None


class Note(NamedTuple):
    severity: str  # "warning" | "note"
    message: str
    source: Source | None = None


class Teardown(NamedTuple):
    """A live cluster being torn down (terminating): shown in every plan, never re-created over."""

    name: str
    cluster_id: str
    # An earlier apply asked for this deletion (its apply record says so): apply waits until the
    # cluster is gone and then forgets it, so an interrupted delete completes on the next run.
    by_gridsync: bool = False


@dataclass(frozen=True)
class Plan:
    backend: str  # what live state was read from
    changes: tuple[Change, ...]  # one per cluster considered, sorted by name
    context: ContextChange | None = None
    unmanaged: tuple[str, ...] = ()  # live clusters outside the managed set, left alone
    notes: tuple[Note, ...] = ()
    live_fingerprint: str = ""  # digest of the live state this plan was computed from
    run_edits: tuple[RunEdit, ...] = ()  # sorted by path
    # Cluster name -> the run config files that target it once the plan is applied.
    run_targets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    terminating: tuple[Teardown, ...] = ()  # sorted by name
    # The plan_id a saved plan was written with: read back from JSON, where values are masked, it
    # cannot be computed again. "" for a plan computed here (the usual case).
    recorded_id: str = dataclasses.field(default="", compare=False, repr=False)

    @functools.cached_property
    def plan_id(self) -> str:
        """The recorded id, else _digest's: computed when first asked, once (a plan is replaced
        with notes added on its way out, and each copy digested every change again)."""
        return self.recorded_id or self._digest()

    @property
    def awaited(self) -> tuple[Teardown, ...]:
        """Teardowns apply waits for: the deletions gridsync itself asked for."""
        return tuple(t for t in self.terminating if t.by_gridsync)

    def count(self) -> Counter[Action]:
        return Counter(c.action for c in self.changes)

    @property
    def actionable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action != Action.NOOP)

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable) or self.context is not None or bool(self.run_edits)

    @property
    def blocked(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.blocked)

    def _digest(self) -> str:
        """The plan_id: a digest of the action set, what a review of the plan can see. A sensitive
        field counts by its name and that it changes, never by its values: the id is published
        (the comment, the step outputs), and a digest of a secret lets anyone who knows the rest
        of the plan (a pull request's author does) test guesses of it offline. A reviewer never
        saw the value either, so the pin loses nothing a review approved; a secret rotated
        between plan and apply is not a different plan.

        A blocked change counts too, so a plan whose replace was not approved never shares an id
        with the same plan approved (a pin can never mix them); unblocked plans keep their ids.
        """
        digest = hashlib.sha256()
        for change in self.actionable:
            digest.update(json.dumps([change.action, change.name, change.cluster_id]).encode())
            if change.blocked:
                digest.update(json.dumps(["blocked"]).encode())
            if change.terraform is not None:
                tf = change.terraform
                digest.update(json.dumps(["terraform", tf.summary, tf.apply, tf.destroy]).encode())
            for f in change.fields:
                shown = ["(sensitive)"] if f.sensitive else [f.before, f.after]
                digest.update(json.dumps([f.field, *shown]).encode())
        if self.context is not None:
            digest.update(json.dumps(["context", self.context.before, self.context.after]).encode())
        for edit in self.run_edits:
            digest.update(json.dumps(["run", edit.path, edit.cluster, edit.before]).encode())
        return digest.hexdigest()[:16]
