"""The Grid settings file: where it is, reading the context, writing it atomically."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from gridsync.errors import GridsyncError
from gridsync.live.gridsettings import read_context, settings_path, write_context


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_settings_path(tmp_path: Path) -> None:
    home = str(tmp_path)
    assert settings_path({"HOME": home}) == tmp_path / ".grid" / "settings.json"
    assert settings_path({"HOME": home, "GRID_SETTINGS_PATH": "/x/s.json"}) == Path("/x/s.json")
    assert settings_path({"HOME": home, "GRID_SETTINGS_PATH": "~/g.json"}) == tmp_path / "g.json"


def test_read_context(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert read_context(path) is None
    path.write_text('{"other": 1}')
    assert read_context(path) is None
    path.write_text('{"context": "prod-use1", "other": 1}')
    assert read_context(path) == "prod-use1"


def test_write_creates_the_file_and_its_directory_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / ".grid" / "settings.json"
    write_context(path, "prod-use1")
    assert json.loads(path.read_text()) == {"context": "prod-use1"}
    assert mode(path) == 0o600
    assert read_context(path) == "prod-use1"


def test_write_keeps_other_keys_and_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"context": "old", "defaultProject": "p", "nested": {"a": [1]}}))
    path.chmod(0o644)
    inode = path.stat().st_ino
    write_context(path, "prod-use1")
    data = json.loads(path.read_text())
    assert data == {"context": "prod-use1", "defaultProject": "p", "nested": {"a": [1]}}
    assert mode(path) == 0o644
    assert path.stat().st_ino != inode  # replaced by a new file, not rewritten in place
    assert os.listdir(tmp_path) == ["settings.json"]  # no temporary file left behind


def test_a_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"context": "old"}')

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(GridsyncError, match="No space left on device") as caught:
        write_context(path, "prod-use1")
    assert str(path) in str(caught.value)
    assert path.read_text() == '{"context": "old"}'
    assert os.listdir(tmp_path) == ["settings.json"]


@pytest.mark.parametrize("content", ['["context"]', "{not json", '"text"'])
def test_a_file_that_is_not_a_json_object_is_refused_and_kept(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    with pytest.raises(GridsyncError, match="does not hold a JSON object") as caught:
        write_context(path, "prod-use1")
    assert str(path) in str(caught.value)
    assert path.read_text() == content
    with pytest.raises(GridsyncError):
        read_context(path)


def test_a_symlinked_settings_file_stays_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "settings.json"
    target.parent.mkdir()
    target.write_text('{"keep": true}')
    link = tmp_path / "settings.json"
    link.symlink_to(target)
    write_context(link, "prod-use1")
    assert link.is_symlink()
    assert json.loads(target.read_text()) == {"keep": True, "context": "prod-use1"}
