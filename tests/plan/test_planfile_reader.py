"""`apply PLANFILE` and `comment --plan-file` read plan files through one reader, which checks the
format version."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "render"))
from render_plans import FULL

from gridsync.errors import GridsyncError
from gridsync.plan import planfile
from gridsync.plan.contract import FORMAT_VERSION


def _saved(tmp_path: Path, **changes: object) -> Path:
    path = tmp_path / "plan.json"
    planfile.save(FULL, path, "ab" * 32)
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))
    return path


def test_a_saved_plan_reads_back_for_the_comment_and_for_apply(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    plan = planfile.load_plan(path)
    assert plan.plan_id == FULL.plan_id == planfile.load(path).plan_id
    assert [c.name for c in plan.changes] == [c.name for c in FULL.changes]


@pytest.mark.parametrize("reader", [planfile.load, planfile.load_plan])
def test_another_major_format_is_refused_by_both(tmp_path: Path, reader: object) -> None:
    path = _saved(tmp_path, format_version="2.0")
    with pytest.raises(
        GridsyncError, match=f"has format 2.0, this gridsync reads {FORMAT_VERSION}"
    ):
        reader(path)  # type: ignore[operator]


@pytest.mark.parametrize("reader", [planfile.load, planfile.load_plan])
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"format_version": ' + "9" * 5000 + "}", "Exceeds the limit"),  # a plain ValueError
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),  # a RecursionError
        ("\udcff", "utf-8"),  # not UTF-8 (written as surrogateescape: a lone 0xff byte)
    ],
)
def test_json_python_cannot_hold_is_a_clear_error(
    tmp_path: Path, reader: object, text: str, reason: str
) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(GridsyncError, match=f"cannot read plan file {path}: .*{reason}"):
        reader(path)  # type: ignore[operator]


@pytest.mark.parametrize("reader", [planfile.load, planfile.load_plan])
def test_a_file_that_is_not_a_plan_is_refused_by_both(tmp_path: Path, reader: object) -> None:
    path = tmp_path / "x.json"
    path.write_text('["not", "a", "plan"]')
    with pytest.raises(GridsyncError, match="is not a gridsync plan"):
        reader(path)  # type: ignore[operator]


@pytest.mark.parametrize("saved", [None, [], "x", {}])
def test_a_saved_section_that_is_not_one_says_so(tmp_path: Path, saved: object) -> None:
    data = {"format_version": FORMAT_VERSION, "plan_id": "x"}
    path = tmp_path / "x.json"
    path.write_text(json.dumps({**data, "live_fingerprint": "y", "saved": saved}))
    with pytest.raises(GridsyncError) as raised:
        planfile.load(path)
    why = "missing 'desired_fingerprint'" if saved == {} else "its 'saved' is not an object"
    assert raised.value.message == f"{path} is not a saved gridsync plan ({why})"
