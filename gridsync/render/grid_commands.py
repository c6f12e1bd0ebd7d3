"""The plan as the `grid` CLI commands a person would run by hand, for running or auditing.

Secrets never appear: a value written as `${env:NAME}` becomes the shell reference `${NAME}`, and a
sensitive value written literally becomes a variable the script asks to be exported. Details the
grid CLI cannot take on its command line (per-type overprovisioning and root volumes, edits) are
written as the `grid edit cluster` steps to make.

Nothing from the files can break out: every value is one quoted word (`'...'`, or `$'...'` when it
holds a control character, so no newline, `$()` or backtick is live), every comment is one line,
and every variable the script needs is checked (`: "${VAR:?set VAR}"`) before the first command.
"""

from __future__ import annotations

import re

from gridsync import redact
from gridsync.escapes import clean, double_quoted, identifier, shell_word
from gridsync.live.wire import GRID_BY_NAME, GRID_FIELDS, GridField
from gridsync.painter import PLAIN, Painter
from gridsync.plan.changes import Action, Change, FieldChange, Plan, RunEdit
from gridsync.render.common import run_edit_target, summary_line
from gridsync.spec import SECRET_FIELDS, Compare, ManagedField, entry_key, field_of

_ENV_REF = re.compile(r"\$\$\{|\$\{env:(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def render_plan(plan: Plan, paint: Painter = PLAIN) -> str:
    variables: dict[str, str] = {}
    body: list[str] = []
    for change in plan.actionable:
        body.extend(["", *_change(change, variables)])
    for edit in plan.run_edits:
        body.extend(["", *_run_edit(edit)])
    if plan.context is not None:
        body.extend(["", f"# cluster context -> {clean(plan.context.after)}"])
        body.append(f"grid user set-cluster-context {shell_word(plan.context.after)}")
    head = [
        "#!/usr/bin/env bash",
        f"# gridsync plan against {clean(plan.backend)}, as grid CLI commands.",
        f"# {summary_line(plan)}",
        "set -euo pipefail",
    ]
    if variables:
        head.append("# Export these first (values from the cluster files; never printed here):")
        head.extend(f"#   {var}  ({why})" for var, why in sorted(variables.items()))
        head.extend(f': "${{{var}:?set {var}}}"' for var in sorted(variables))
    if not plan.has_changes:
        body.append("# No changes: nothing to run.")
    return "\n".join(_one_line_comment(line) for line in head + body) + "\n"


def _one_line_comment(line: str) -> str:
    """A comment cannot end early: any control character left in one is shown escaped."""
    return clean(line) if line.lstrip().startswith("#") else line


def _change(change: Change, variables: dict[str, str]) -> list[str]:
    if change.blocked:
        variables = {}  # a commented-out command needs nothing exported
    name = shell_word(change.name)
    title = f"# {clean(change.name)}: {change.action}" + (
        f" ({clean(change.reason)})" if change.reason else ""
    )
    if change.source is not None:
        title += f", declared at {change.source}"
    if change.action == Action.CREATE:
        lines = _create(change.name, change.fields, variables)
    elif change.resumes_delete:  # Grid's part is done; what is left is Terraform's
        lines = ["# already deleted in Grid; wait until `grid clusters` no longer lists it"]
    elif change.action == Action.DELETE:
        lines = [f"grid delete cluster {name} --wait"]
    elif change.action == Action.REPLACE:
        lines = [
            f"grid delete cluster {name} --wait",
            *_create(change.name, change.recreate, variables),
        ]
    else:
        lines = [f"grid edit cluster {name}", *_edits(change, variables)]
    lines = [*_terraform_before(change), *lines, *_terraform_after(change)]
    if change.blocked:
        return [
            title,
            f"# BLOCKED, do not run: {clean(change.blocked)}",
            *(f"# {row}" for line in lines for row in line.split("\n")),
        ]
    return [title, *lines]


def _terraform_before(change: Change) -> list[str]:
    step = change.terraform
    if step is None or not step.apply:
        return []
    tf = f"terraform -chdir={shell_word(step.workdir)}"
    where = f" ({change.source})" if change.source else ""
    return [
        f"# {clean(step.summary)}: gridsync copies the module{where} to {clean(step.workdir)}",
        f"{tf} init -input=false",
        f"{tf} apply -input=false  # with the var_file and vars of the cluster document",
        "# role_arn and external_id (or the whole gridv1_cluster document, for",
        f"# `grid clusters aws --edit-before-creation`) are in: {tf} output -json",
    ]


def _terraform_after(change: Change) -> list[str]:
    step = change.terraform
    if step is None or not step.destroy:
        return []
    tf = f"terraform -chdir={shell_word(step.workdir)}"
    return [
        "# once the cluster is gone (grid clusters), remove its infrastructure:",
        f"{tf} destroy -input=false -auto-approve",
    ]


def _run_edit(edit: RunEdit) -> list[str]:
    """Run config edits have no grid command: the file is edited (gridsync apply changes only that value)."""
    return [
        f"# {clean(edit.path)}: set compute.provider.cluster to {clean(run_edit_target(edit))}",
        *(f"#   {clean(row)}" for row in edit.diff.splitlines()),
    ]


def _create(cluster: str, fields: tuple[FieldChange, ...], variables: dict[str, str]) -> list[str]:
    """`grid clusters aws` with a flag per field (gridsync.live.wire.GRID_FIELDS, in its order);
    what the command line cannot take is written as `grid edit cluster` steps after it."""
    args = [f"grid clusters aws {shell_word(cluster)}"]
    later: list[str] = []
    for grid in GRID_FIELDS:
        row = field_of(grid.name)
        mine = [
            f
            for f in fields
            if field_of(f.field) is row and (f.after is not None or f.known_after_apply)
        ]
        if row is None or not mine:
            continue
        if row.compare == Compare.ENTRIES:
            args.extend(_entries_flag(grid, mine))
            extras = [f for f in mine if grid.flag is None or str(f.after) != entry_key(f.field)]
            if extras:
                later.append(
                    f"# then `grid edit cluster {shell_word(cluster)}` and set on {grid.editor}:"
                )
                later.extend(f"#   {clean(str(f.after))}" for f in extras)
        elif grid.flag is not None and isinstance(mine[0].after, bool):
            args.extend([grid.flag] if mine[0].after else [])
        elif grid.flag is not None:
            args.append(f"{grid.flag} {_value(cluster, mine[0], variables)}")
        else:
            later.append(f"# then `grid edit cluster {shell_word(cluster)}` and set:")
            later.append(_edit_line(cluster, grid, mine[0], variables))
    args.append("--wait")
    return [" \\\n  ".join(args), *later]


def _entries_flag(grid: GridField, fields: list[FieldChange]) -> list[str]:
    if grid.flag is None:
        return []
    return [f"{grid.flag} " + shell_word(",".join(entry_key(f.field) for f in fields))]


def _edits(change: Change, variables: dict[str, str]) -> list[str]:
    lines = ["# in the editor (snake_case keys), change:"]
    for field in change.fields:
        row = field_of(field.field)
        grid = GRID_BY_NAME.get(row.name) if row is not None else None
        if grid is None:
            lines.append(f"#   {clean(field.field)}: {_value(change.name, field, variables)}")
        elif _is_entries(row):
            verb = (
                "add" if field.before is None else "remove" if field.after is None else "change to"
            )
            shown = field.after if field.after is not None else field.before
            lines.append(f"#   {grid.editor}: {verb} {clean(str(shown))}")
        else:
            lines.append(_edit_line(change.name, grid, field, variables))
    return lines


def _is_entries(row: ManagedField | None) -> bool:
    return row is not None and row.compare == Compare.ENTRIES


def _edit_line(cluster: str, grid: GridField, field: FieldChange, variables: dict[str, str]) -> str:
    if grid.editor_value is not None:
        return f"#   {grid.editor}: {grid.editor_value(field.after)}"
    return f"#   {grid.editor}: {_value(cluster, field, variables)}"


def _value(cluster: str, field: FieldChange, variables: dict[str, str]) -> str:
    """A shell word for the desired value: env references kept, secrets as variables, else quoted."""
    if field.template is not None:
        return _shell_template(field.template, variables, secret=field.field in SECRET_FIELDS)
    if field.sensitive:
        return f'"${{{_variable(cluster, field.field, variables)}}}"'
    return shell_word(str(field.after))


def _variable(cluster: str, field: str, variables: dict[str, str]) -> str:
    """The variable the script reads a literal secret from, named after the cluster as output
    shows it: a cluster name that is itself a secret is masked (`___EXTERNAL_ID`), and clusters
    whose names make the same variable get `_2`, `_3`, ..."""
    base = identifier(f"{redact.mask(cluster)}_{field}").upper()
    what, var, count = f"{field} of {cluster}", base, 1
    while variables.setdefault(var, what) != what:
        count += 1
        var = f"{base}_{count}"
    return var


def _shell_template(template: str, variables: dict[str, str], *, secret: bool) -> str:
    """`arn:...:${env:ACCOUNT}:role/x` -> `"arn:...:${ACCOUNT}:role/x"`, literal text escaped; a
    reference with no default is a variable the script checks first. In a secret (external_id)
    the default is a secret too: left out, so the variable is always needed."""
    out, end = [], 0
    for match in _ENV_REF.finditer(template):
        out.append(double_quoted(template[end : match.start()]))
        end = match.end()
        if match.group(0) == "$${":
            out.append(r"\${")
            continue
        name, default = match.group("name"), None if secret else match.group("default")
        if default is None:
            variables.setdefault(name, f"${{env:{name}}} of the cluster files")
        out.append(
            f"${{{name}" + (f":-{double_quoted(default)}" if default is not None else "") + "}"
        )
    out.append(double_quoted(template[end:]))
    return '"' + "".join(out) + '"'
