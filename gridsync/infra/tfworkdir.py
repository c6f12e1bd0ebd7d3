"""Per-cluster Terraform work dirs: `<root>/.gridsync/terraform/<cluster>/`.

Each work dir holds a synced copy of the cluster's module, Terraform's `.terraform/`, lock file and
local `terraform.tfstate`, and `gridsync-settings.json` (the TerraformSettings last used, so a
cluster whose document was removed can still be destroyed). Clusters never share a directory.

A module that configures its own backend (`backend "..."` in its `terraform {}` block) keeps its
state there instead of in the work dir; gridsync does nothing special about it: `has_state` then
answers True once the backend is initialized, since the remote state is not read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from gridsync.atomicfile import write_atomic
from gridsync.config.desired import TerraformSettings
from gridsync.confine import is_inside, tree_problem
from gridsync.infra.tfprocess import TerraformError
from gridsync.spec import is_valid_name
from gridsync.statedir import ensure_dir, refuse_symlinks

WORK_ROOT = Path(".gridsync") / "terraform"
SETTINGS_FILE = "gridsync-settings.json"
# Top-level files Terraform reads by itself; removed from the work dir once the module drops them.
_CONFIG_SUFFIXES = (".tf", ".tf.json", ".auto.tfvars", ".auto.tfvars.json", "terraform.tfvars")
# Never copied from a module: Terraform's own data and state, and what would make Terraform load
# code from the repository: a plugin directory (terraform.d/ is an implied provider mirror) and CLI
# configuration files. Work dirs of older gridsync versions may hold them: they are removed.
_LOADS_CODE = ("terraform.d", ".terraformrc", "terraform.rc")
_NOT_COPIED = (".terraform", "*.tfstate", "*.tfstate.*", ".gridsync", ".git", *_LOADS_CODE)
_IGNORED = shutil.ignore_patterns(*_NOT_COPIED)
CLI_CONFIG = "gridsync.tfrc"  # in WORK_ROOT; not a valid cluster name, so never a work dir
# Providers come from their registries only: with a provider_installation block, Terraform uses
# no implied local mirror (terraform.d/plugins, ~/.terraform.d/plugins, XDG data dirs).
_CLI_CONFIG_TEXT = """\
# Written by gridsync: providers are installed from their registries only, never from a local
# plugin directory that a repository could ship. Set TF_CLI_CONFIG_FILE (outside the project)
# to use your own configuration instead.
provider_installation {
  direct {}
}
"""


def work_dir(root: Path, cluster: str) -> Path:
    if not is_valid_name(cluster):  # the name becomes a path: never let it leave WORK_ROOT
        raise TerraformError(f"invalid cluster name {cluster!r} for a Terraform work dir")
    return root / WORK_ROOT / cluster


def inside_root(root: Path, written: str, key: str) -> Path:
    """root / written, refused when it (or a symlink on the way) leads outside the root or loops."""
    path = root / written
    if not is_inside(root, path):
        raise TerraformError(
            f"infrastructure.terraform.{key} {written!r} leads outside the project root "
            "(or through a symlink loop)",
            hint=f"keep the {key} inside the repository (a symlink out of it is refused too)",
        )
    return path


def module_dir(root: Path, settings: TerraformSettings) -> Path:
    """The module's directory, refused when it or a symlink inside it leads out of the project,
    dangles or loops (nothing is copied then)."""
    path = inside_root(root, settings.module, "module")
    if not path.is_dir():
        raise TerraformError(
            f"Terraform module directory {settings.module!r} not found under {root}",
            hint="infrastructure.terraform.module is relative to the project root",
        )
    problem = tree_problem(root, path, _not_copied)
    if problem:
        raise TerraformError(
            f"Terraform module {settings.module!r}: {problem}",
            hint="a module is copied into .gridsync/terraform/ with its symlinks followed: "
            "replace the link with the files it should hold, inside the repository",
        )
    return path


def _not_copied(name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in _NOT_COPIED)


def sync_module(source: Path, workdir: Path) -> None:
    """Copy the module's files into workdir (never .terraform/, state, plugin dirs or CLI
    config) and drop stale config. `source` comes from module_dir (its symlinks checked)."""
    ensure_dir(workdir)
    shutil.copytree(source, workdir, dirs_exist_ok=True, ignore=_IGNORED)
    ensure_dir(workdir, private=True)  # after copytree, which copies the module dir's mode
    for name in _LOADS_CODE:
        _remove(workdir / name)
    wanted = {path.name for path in source.iterdir() if _is_config(path)}
    for path in workdir.iterdir():
        if _is_config(path) and path.name not in wanted:
            path.unlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def write_cli_config(root: Path) -> Path:
    """gridsync's Terraform CLI configuration (TF_CLI_CONFIG_FILE), written when it differs."""
    path = ensure_dir(root / WORK_ROOT, private=True) / CLI_CONFIG
    refuse_symlinks(path)
    if not path.is_file() or path.read_text(encoding="utf-8") != _CLI_CONFIG_TEXT:
        write_atomic(path, _CLI_CONFIG_TEXT.encode("utf-8"))
    return path


def has_config(workdir: Path) -> bool:
    """The work dir holds a module copy (a destroy can run from it when the module is gone)."""
    return workdir.is_dir() and any(_is_config(path) for path in workdir.iterdir())


# `backend "s3" {` or `cloud {` at the start of a line: the module keeps its state elsewhere.
_BACKEND = re.compile(r'^\s*(?:backend\s+"[^"]*"|cloud)\s*\{', re.MULTILINE)


def declares_backend(module: Path) -> bool:
    """Whether the module's top-level files configure a backend (or Terraform Cloud) for its state.

    A textual check of `*.tf` (a `backend "..." {` or `cloud {` line) and `*.tf.json` (a
    `terraform` object with `backend` or `cloud`); it never runs Terraform.
    """
    for path in sorted(module.glob("*.tf")):
        if _BACKEND.search(_text(path)):
            return True
    for path in sorted(module.glob("*.tf.json")):
        try:
            data = json.loads(_text(path))
        except ValueError:
            continue
        blocks = data.get("terraform") if isinstance(data, dict) else None
        for block in blocks if isinstance(blocks, list) else [blocks]:
            if isinstance(block, dict) and ("backend" in block or "cloud" in block):
                return True
    return False


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def has_state(workdir: Path) -> bool:
    """Local state with resources or outputs, or an initialized backend holding the state."""
    if (workdir / ".terraform" / "terraform.tfstate").is_file():
        return True
    try:
        state = json.loads((workdir / "terraform.tfstate").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # something is there that gridsync cannot read: do not assume it is empty
    return isinstance(state, dict) and bool(state.get("resources") or state.get("outputs"))


def write_settings(workdir: Path, settings: TerraformSettings) -> None:
    """Record the settings (never output values) atomically, readable by the owner only."""
    record = {
        "module": settings.module,
        "var_file": settings.var_file,
        "vars": dict(settings.vars),
        "output": settings.output,
        "outputs": dict(settings.outputs),
    }
    ensure_dir(workdir, private=True)
    text = json.dumps(record, indent=2, sort_keys=True)
    write_atomic(workdir / SETTINGS_FILE, text.encode("utf-8"))


def read_settings(workdir: Path) -> TerraformSettings | None:
    """The recorded settings; None when there are none or the file is not what gridsync wrote."""
    try:
        record = json.loads((workdir / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("module"), str):
        return None
    return TerraformSettings(
        module=record["module"],
        var_file=_str_or_none(record.get("var_file")),
        vars=_dict(record.get("vars")),
        output=_str_or_none(record.get("output")) or "gridv1_cluster",
        outputs={k: v for k, v in _dict(record.get("outputs")).items() if isinstance(v, str)},
    )


def _is_config(path: Path) -> bool:
    return path.is_file() and path.name.endswith(_CONFIG_SUFFIXES)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}
