"""Run config edits at apply: a file that cannot be written fails its edit, never the apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridsync.apply import runfiles
from gridsync.errors import GridsyncError
from gridsync.plan.changes import RunEdit

RUN = "compute:\n  provider:\n    cluster: elsewhere\n"


def _refuse(*_args: object, **_kwargs: object) -> None:
    raise PermissionError(1, "Operation not permitted")


def test_a_run_config_that_cannot_be_written_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only (immutable) runs/ folder once stopped apply with exit 3 after its clusters
    were created: no summary, and the run configs after it never written."""
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "train.yaml").write_text(RUN)
    monkeypatch.setattr(runfiles, "write_atomic", _refuse)
    edit = RunEdit("runs/train.yaml", "ok-base", "elsewhere", None, "")
    with pytest.raises(GridsyncError) as raised:
        runfiles.write_run_edit(tmp_path, edit, "ok-base")
    assert raised.value.message.startswith(
        "cannot write runs/train.yaml: Operation not permitted; it is unchanged."
    )
    assert (tmp_path / "runs" / "train.yaml").read_text() == RUN
