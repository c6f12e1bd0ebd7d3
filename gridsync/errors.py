"""Every error gridsync raises on purpose, and the exit codes they map to.

The tree::

    GridsyncError                 exit 1 unless a subclass says otherwise
    ├── UsageError                a bad option or combination of options
    ├── ConfigError               desired state cannot be used; carries every Diagnostic found
    ├── BackendError              live state could not be read or changed
    │   ├── ClusterNotFound       no cluster with that id (HTTP 404)
    │   ├── ClusterExists         a cluster with that name exists already (HTTP 409)
    │   └── InvalidArgument       the control plane refused the request (HTTP 400)
    ├── ClusterDocumentError      a Terraform module's cluster document is not Grid's request (live/gridv1)
    ├── EditError                 a run config's cluster value cannot be edited safely (yamledit)
    ├── UnsafePath                a path leads outside the project, or .gridsync/ holds a symlink (confine)
    ├── TerraformError            a terraform command failed or timed out (infra/tfprocess)
    ├── AwsError                  an AWS call failed (infra/aws)
    ├── PlanBlocked               the plan breaks a safety rule (protect, max_deletes, replace)  exit 7
    ├── StalePlan                 a saved plan no longer matches live state                       exit 4
    ├── LockTimeout               another apply holds the lock                                   exit 5
    └── ApplyIncomplete           apply finished with failed or unattempted changes              exit 6

Third-party errors (yaml, httpx, sqlite3, subprocess, botocore) are caught where they enter and
re-raised as one of these with ``from exc``, saying what failed and what to do next.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import NamedTuple


class ExitCode(IntEnum):
    """Process exit codes; documented in the README. Nothing else picks an exit code."""

    OK = 0
    ERROR = 1
    CHANGES = 2  # only with --detailed-exitcode
    BUG = 3
    STALE_PLAN = 4
    LOCK_TIMEOUT = 5
    PARTIAL = 6
    BLOCKED = 7
    INTERRUPTED = 130  # SIGINT (Ctrl-C): 128 + 2
    TERMINATED = 143  # SIGTERM: 128 + 15


class Diagnostic(NamedTuple):
    """One problem found in one file, at one place."""

    path: str
    line: int
    col: int
    message: str
    yaml_path: str = ""
    severity: str = "error"  # "error" | "warning" | "note"

    def format(self) -> str:
        """One line: a file name, key or value with a newline in it is shown escaped (`\\x0a`)."""
        from gridsync.escapes import clean

        where = f"{clean(self.yaml_path)}: " if self.yaml_path else ""
        return f"{clean(self.path)}:{self.line}:{self.col}: {self.severity}: {where}{clean(self.message)}"


class GridsyncError(Exception):
    """Base of every error gridsync raises on purpose."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(GridsyncError):
    """A bad option or combination of options."""


class ConfigError(GridsyncError):
    """Desired state cannot be used; carries every diagnostic, not just the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic], message: str = "") -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        super().__init__(message or f"{len(errors)} error(s) in the desired state")
        self.diagnostics = tuple(diagnostics)


class BackendError(GridsyncError):
    """Live state could not be read or changed."""


class ClusterNotFound(BackendError):
    """No cluster with that id."""


class ClusterExists(BackendError):
    """A cluster with that name exists already."""


class InvalidArgument(BackendError):
    """The control plane refused the request as invalid."""


class UnsafePath(GridsyncError):
    """A path a file names leads outside the project, or gridsync's state folder holds a symlink."""


class PlanBlocked(GridsyncError):
    """The plan breaks a safety rule; nothing was changed."""

    exit_code = ExitCode.BLOCKED


class StalePlan(GridsyncError):
    """A saved plan no longer matches live state or the desired files."""

    exit_code = ExitCode.STALE_PLAN


class LockTimeout(GridsyncError):
    """Another run holds the lock."""

    exit_code = ExitCode.LOCK_TIMEOUT


class ApplyIncomplete(GridsyncError):
    """Apply finished, but some changes failed or were not attempted."""

    exit_code = ExitCode.PARTIAL
