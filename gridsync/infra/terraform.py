"""Terraform for a cluster's BYOC infrastructure: plan, apply, read outputs, destroy.

gridsync automates the manual flow (`terraform init`, `terraform apply -var-file F`, reading the
sensitive `gridv1_cluster` output, `terraform destroy`) in one work dir per cluster under
`<root>/.gridsync/terraform/<cluster>/` (see tfworkdir). Without a `backend` block in the module,
the state is the local `terraform.tfstate` of that work dir, so it lives on the machine that ran
gridsync (and `.gridsync/` is git-ignored): a module used from CI should configure a backend.

Sensitive values (outputs, and the `-var` values on command lines) are never logged, printed or
put in an error message. Different clusters may run concurrently on threads; calls for the same
cluster are serialized. The process never changes directory.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from gridsync.config.desired import TerraformSettings
from gridsync.infra import tfworkdir
from gridsync.infra.review import Deferral, Review, review_for
from gridsync.infra.tfoutput import (
    output_value,
    register_outputs,
    role_from_outputs,
)
from gridsync.infra.tfprocess import (
    Completed,
    TerraformError,
    command_env,
    command_line,
    confined_env,
    flags,
    resolve_binary,
    run,
)

__all__ = [
    "Terraform",
    "TerraformError",
    "TerraformPlanSummary",
    "output_value",
    "role_from_outputs",
]

log = logging.getLogger(__name__)

PLAN_FILE = "gridsync.tfplan"


class TerraformPlanSummary(NamedTuple):
    """Resource counts of a plan, and how many existing outputs change value or go away.

    An output-only change counts: the cluster's role_arn and external_id come from the outputs,
    so apply must run `terraform apply` (which changes no resource) and then update the cluster.
    Outputs a first apply creates are not counted (every output of a new module is one).
    """

    add: int
    change: int
    destroy: int
    outputs: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy or self.outputs)

    def __str__(self) -> str:
        text = f"Terraform: {self.add} to add, {self.change} to change, {self.destroy} to destroy"
        if self.outputs:
            text += f", {self.outputs} output{'s' if self.outputs > 1 else ''} to change"
        return text

    @classmethod
    def from_plan_json(cls, plan: Mapping[str, Any]) -> TerraformPlanSummary:
        """Counted from `terraform show -json PLAN` resource_changes, as Terraform counts them."""
        add = change = destroy = 0
        changes = plan.get("resource_changes")
        for item in changes if isinstance(changes, list) else []:
            actions = item.get("change", {}).get("actions", []) if isinstance(item, dict) else []
            add += "create" in actions
            change += "update" in actions
            destroy += "delete" in actions
        outputs = plan.get("output_changes")
        changed = [
            name
            for name, item in (outputs.items() if isinstance(outputs, dict) else ())
            if isinstance(item, dict) and {"update", "delete"} & set(item.get("actions", []))
        ]
        return cls(add, change, destroy, len(changed))


class Terraform:
    """Runs Terraform for clusters of the project at `root`.

    `binary` is ProjectSettings.terraform_bin (a name looked up on env's PATH, or an absolute
    path outside the project; GRIDSYNC_TERRAFORM_BIN wins), default `terraform`; it is looked for
    on first use. `env` (default os.environ) becomes Terraform's environment, plus
    TF_IN_AUTOMATION=1 and CHECKPOINT_DISABLE=1, without TF_CLI_ARGS* and gridsync's and the CI's
    credentials, with gridsync's CLI configuration (tfprocess.confined_env). Every command is
    stopped after `timeout` seconds.

    `review` (default: from env, see infra.review) decides which modules may run at all: on a pull
    request, a module that differs from the base commit never runs (TerraformError).
    """

    def __init__(
        self,
        *,
        root: Path,
        binary: str | None = None,
        timeout: float = 3600.0,
        env: Mapping[str, str] | None = None,
        review: Review | None = None,
    ) -> None:
        self._root = root.absolute()
        self._binary_setting = binary
        self._timeout = timeout
        given = os.environ if env is None else env
        self._review = review_for(given, self._root, ()) if review is None else review
        self._env = command_env(given)
        self._binary: str | None = None
        self._lock = threading.Lock()  # guards _binary and _cluster_locks
        self._cluster_locks: dict[str, threading.Lock] = {}

    def plan(self, cluster: str, settings: TerraformSettings) -> TerraformPlanSummary:
        """init, then `plan -detailed-exitcode`; counts from the saved plan, which is removed."""
        is_flagged, _ = flags()
        with self._locked(cluster) as workdir:
            self._prepare(cluster, workdir, settings, record=False)
            try:
                planned = self._run(
                    cluster,
                    workdir,
                    "plan",
                    ok_codes=(0, 2),
                    detailed_exitcode=is_flagged,
                    out=PLAN_FILE,
                    **self._common(),
                    **self._variables(settings),
                )
                if planned.code == 0:
                    return TerraformPlanSummary(0, 0, 0)
                shown = self._run(
                    cluster, workdir, "show", PLAN_FILE, json=is_flagged, no_color=is_flagged
                )
            finally:
                (workdir / PLAN_FILE).unlink(missing_ok=True)
        return TerraformPlanSummary.from_plan_json(_json_object(shown, "terraform show -json"))

    def apply(self, cluster: str, settings: TerraformSettings) -> None:
        """init, then `apply -auto-approve`; the settings are recorded first."""
        is_flagged, _ = flags()
        with self._locked(cluster) as workdir:
            self._prepare(cluster, workdir, settings, record=True)
            self._run(
                cluster,
                workdir,
                "apply",
                auto_approve=is_flagged,
                **self._common(),
                **self._variables(settings),
            )

    def outputs(self, cluster: str, settings: TerraformSettings) -> dict[str, Any]:
        """{name: value} from `output -json`; sensitive values included, for the caller only."""
        is_flagged, _ = flags()
        with self._locked(cluster) as workdir:
            self._prepare(cluster, workdir, settings, record=False)
            result = self._run(cluster, workdir, "output", json=is_flagged, no_color=is_flagged)
        raw = _json_object(result, "terraform output -json")
        values = {name: item.get("value") for name, item in raw.items() if isinstance(item, dict)}
        register_outputs(raw)
        return values

    def destroy(self, cluster: str, settings: TerraformSettings) -> None:
        """init, then `destroy -auto-approve` (never python_terraform's removed `-force`).

        When the module directory is gone, the copy in the work dir is destroyed from.
        """
        is_flagged, is_not_flagged = flags()
        with self._locked(cluster) as workdir:
            self._prepare(cluster, workdir, settings, record=True, stale_ok=True)
            self._run(
                cluster,
                workdir,
                "destroy",
                force=is_not_flagged,
                auto_approve=is_flagged,
                **self._common(),
                **self._variables(settings),
            )

    def deferral(self, settings: TerraformSettings) -> Deferral | None:
        """Why Terraform must not run this module in this run (a pull request changed it)."""
        return self._review.deferral(settings)

    def has_state(self, cluster: str) -> bool:
        """The cluster's work dir holds state (resources or outputs) or an initialized backend."""
        return tfworkdir.has_state(tfworkdir.work_dir(self._root, cluster))

    def recorded_settings(self, cluster: str) -> TerraformSettings | None:
        """The settings of the cluster's last apply or destroy; None when there are none."""
        return tfworkdir.read_settings(tfworkdir.work_dir(self._root, cluster))

    @contextmanager
    def _locked(self, cluster: str) -> Iterator[Path]:
        workdir = tfworkdir.work_dir(self._root, cluster)
        with self._lock:
            lock = self._cluster_locks.setdefault(cluster, threading.Lock())
        with lock:
            yield workdir

    def _prepare(
        self,
        cluster: str,
        workdir: Path,
        settings: TerraformSettings,
        *,
        record: bool,
        stale_ok: bool = False,
    ) -> None:
        """Sync the module into the work dir, record the settings if asked, and run init; refuse
        a module this pull request changed before anything is copied or run."""
        deferral = self.deferral(settings)
        if deferral is not None:
            raise TerraformError(
                f"Terraform does not run for cluster {cluster!r} on this pull request: "
                f"{deferral.reason}",
                hint="it runs after merge; a pull request never runs code it changes",
            )
        source = self._root / settings.module
        if source.is_dir() or not (stale_ok and tfworkdir.has_config(workdir)):
            tfworkdir.sync_module(tfworkdir.module_dir(self._root, settings), workdir)
        else:
            log.warning(
                "Terraform module %r is gone; using the copy in %s", settings.module, workdir
            )
        if record:
            tfworkdir.write_settings(workdir, settings)
        self._run(cluster, workdir, "init", **self._common())

    def _run(
        self,
        cluster: str,
        workdir: Path,
        command: str,
        *args: str,
        ok_codes: tuple[int, ...] = (0,),
        **options: Any,
    ) -> Completed:
        argv = command_line(self._resolved_binary(), workdir, command, *args, **options)
        what = f"terraform {command} for cluster {cluster!r}"
        log.info("%s in %s", what, workdir)  # never argv: -var values may be secrets
        env = confined_env(self._env, self._root, tfworkdir.write_cli_config(self._root))
        return run(argv, cwd=workdir, env=env, timeout=self._timeout, what=what, ok_codes=ok_codes)

    def _resolved_binary(self) -> str:
        with self._lock:
            if self._binary is None:
                self._binary = resolve_binary(self._binary_setting, self._env, self._root)
            return self._binary

    def _common(self) -> dict[str, Any]:
        is_flagged, _ = flags()
        return {"input": False, "no_color": is_flagged}

    def _variables(self, settings: TerraformSettings) -> dict[str, Any]:
        """-var-file (an absolute path), then one -var name=value per variable: vars win."""
        options: dict[str, Any] = {}
        if settings.var_file:
            path = tfworkdir.inside_root(self._root, settings.var_file, "var_file")
            if not path.is_file():
                raise TerraformError(
                    f"Terraform var file {settings.var_file!r} not found under {self._root}",
                    hint="infrastructure.terraform.var_file is relative to the project root",
                )
            options["var_file"] = str(path)
        options["var"] = [f"{k}={_var_text(v)}" for k, v in settings.vars.items()]
        return options


def _var_text(value: Any) -> str:
    """A -var value: booleans as true/false, numbers and strings as they are, the rest as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value)


def _json_object(result: Completed, what: str) -> dict[str, Any]:
    """The command's stdout as a JSON object; the error never quotes it (it may hold secrets)."""
    try:
        value = json.loads(result.stdout)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise TerraformError(f"{what} did not print a JSON object")
    return value
