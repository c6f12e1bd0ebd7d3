"""Finding cluster files: globs, symlinks, directories, unreadable files."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from builders import Project
from config_helpers import BASE, find

from gridsync.config import yamlsrc
from gridsync.config.yamlsrc import MAX_FILE_BYTES


def test_overlapping_globs_read_each_file_once_in_order(project: Project) -> None:
    project.write(
        "gridsync.yaml", 'clusters: ["clusters/*.yaml", "clusters/**/*.yaml", "clusters/b.yaml"]\n'
    )
    project.write("clusters/b.yaml", BASE.replace("ml-a", "ml-b"))
    project.write("clusters/a.yaml", BASE)
    project.write("clusters/x/c.yaml", BASE.replace("ml-a", "ml-c"))
    project.write("clusters/notes.txt", "not yaml")
    state = project.load()
    assert state.files == ("clusters/a.yaml", "clusters/b.yaml", "clusters/x/c.yaml")
    assert [c.name for c in state.clusters] == ["ml-a", "ml-b", "ml-c"]


def test_directory_named_yaml(project: Project) -> None:
    (project.root / "clusters" / "d.yaml").mkdir(parents=True)
    (diagnostic,) = project.errors()
    assert (diagnostic.path, diagnostic.line, diagnostic.col) == ("clusters/d.yaml", 1, 1)
    assert "is a directory" in diagnostic.message


def test_unreadable_file(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    unreadable = project.write("clusters/a.yaml", BASE)
    unreadable.chmod(0)
    if os.geteuid() == 0:
        # Root reads files whatever their mode (CI runs as root): deny this one open, narrowly.
        real_open = os.open

        def denying_open(path: Any, *args: Any, **kwargs: Any) -> int:
            if Path(path) == unreadable:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", denying_open)
    find(project.errors(), 1, 1, "permission denied")


def test_symlink_escaping_the_root(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(BASE)
    (project.root / "clusters").mkdir()
    (project.root / "clusters" / "a.yaml").symlink_to(outside)
    (diagnostic,) = project.errors()
    assert diagnostic.path == "clusters/a.yaml"
    assert "symlink escapes the project root" in diagnostic.message


def test_symlinked_directory_escaping_the_root(project: Project, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.yaml").write_text(BASE)
    (project.root / "clusters").mkdir()
    (project.root / "clusters" / "team").symlink_to(tmp_path / "elsewhere")
    (diagnostic,) = project.errors()
    assert diagnostic.path == "clusters/team"
    assert "symlink escapes the project root" in diagnostic.message


def test_symlink_loops(project: Project) -> None:
    clusters = project.root / "clusters"
    (clusters / "sub").mkdir(parents=True)
    (clusters / "self.yaml").symlink_to("self.yaml")
    (clusters / "sub" / "up").symlink_to("..")
    diagnostics = project.errors()
    assert {(d.path, d.message) for d in diagnostics} == {
        ("clusters/self.yaml", "symlink loop"),
        ("clusters/sub/up", "symlink loop: the link points back to a directory that contains it"),
    }


def test_broken_symlink(project: Project) -> None:
    (project.root / "clusters").mkdir()
    (project.root / "clusters" / "gone.yaml").symlink_to("missing.yaml")
    find(project.errors(), 1, 1, "broken symlink: 'missing.yaml' does not exist")


def test_symlinks_inside_the_root_are_followed(project: Project) -> None:
    project.write("shared/prod.yaml", BASE)
    project.write("shared/team/b.yaml", BASE.replace("ml-a", "ml-b"))
    clusters = project.root / "clusters"
    clusters.mkdir()
    (clusters / "prod.yaml").symlink_to("../shared/prod.yaml")
    (clusters / "team").symlink_to("../shared/team")
    state = project.load()
    assert state.files == ("clusters/prod.yaml", "clusters/team/b.yaml")
    assert state.by_name()["ml-b"].source.path == "clusters/team/b.yaml"


def test_fifo_is_refused_without_blocking(project: Project) -> None:
    (project.root / "clusters").mkdir()
    os.mkfifo(project.root / "clusters" / "pipe.yaml")
    find(project.errors(), 1, 1, "is not a regular file")


def _tree(root: Path, outside: Path) -> None:
    """Run configs in nested folders, with every kind of symlink discover reports or follows."""
    for team in ("a", "b"):
        for name in ("x", "y", "xy"):
            for sub in ("", "s/", "s/t/"):
                folder = root / "runs" / team / name / sub
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "r.yaml").write_text("compute: {}\n")
    (root / "runs" / "a" / "x" / "s" / "loop").symlink_to("..")
    (root / "runs" / "b" / "x" / "gone.yaml").symlink_to("missing.yaml")
    (root / "runs" / "b" / "shared").symlink_to("../a/x")
    outside.mkdir()
    (root / "runs" / "a" / "away").symlink_to(outside)
    (root / "runs" / "b" / "y" / "x").mkdir()  # a directory named like the glob's next segment


# `[x]` is a glob that matches only "x" but takes the general `**` walk; a literal "x" after `**`
# takes the indexed one. Both must find the same files and report the same problems.
PAIRS = [
    ("runs/**/x/**/*.yaml", "runs/**/[x]/**/*.yaml"),
    ("runs/**/x/*.yaml", "runs/**/[x]/*.yaml"),
    ("**/x", "**/[x]"),
    ("runs/*/**/s/t/r.yaml", "runs/*/**/[s]/t/r.yaml"),
    ("runs/**/gone.yaml", "runs/**/gone.yam[l]"),
]


@pytest.mark.parametrize(("indexed", "walked"), PAIRS)
def test_a_shared_listing_finds_what_each_glob_finds_alone(
    tmp_path: Path, indexed: str, walked: str
) -> None:
    from gridsync.config.discover import Listing, discover

    root = tmp_path / "project"
    _tree(root, tmp_path / "outside")
    listing = Listing()
    discover(root, ("runs/**/xy/*.yaml",), listing)  # an earlier glob fills the listing
    shared = discover(root, (indexed,), listing)
    alone = discover(root, (walked,))
    assert shared == alone
    assert shared == discover(root, (indexed,))  # and a listing of its own changes nothing
    assert shared[0] or shared[1]  # each pair finds something or reports something


# Globs that start below a folder an earlier `**` walked (each cluster's `runs:` under the
# project's `runs/**/*.yaml`): their files and problems come from that walk, as if walked alone.
BELOW = [
    "runs/a/x/**/*.yaml",
    "runs/b/**/*.yaml",
    "runs/b/shared/**/*.yaml",
    "runs/a/x/s/**/*.y*ml",
    "runs/a/**/s/*.yaml",
    "runs/b/x/**/*.yaml",
    "runs/a/away/**/*.yaml",
]


@pytest.mark.parametrize("glob", BELOW)
def test_a_glob_below_an_earlier_walk_finds_what_it_finds_alone(tmp_path: Path, glob: str) -> None:
    from gridsync.config.discover import Listing, discover

    root = tmp_path / "project"
    _tree(root, tmp_path / "outside")
    listing = Listing()
    discover(root, ("runs/**/*.yaml", "runs/**/*.yml"), listing)
    discover(root, ("runs/a/**/*.yaml",), listing)  # a walk taken from the first one
    shared = discover(root, (glob,), listing)
    assert shared == discover(root, (glob,))
    assert shared[0] or shared[1]


def _walked(root: Path) -> tuple[list[str], list[str]]:
    """The `runs/**/*.yaml` walk done plainly, as the oracle: every folder's resolved ancestors in
    a set. The files found, and the folders reported as loops (links out of the root and broken
    ones are left out: other problems)."""
    found: list[str] = []
    loops: list[str] = []
    inside = os.path.realpath(root) + "/"

    def walk(folder: Path, rel: str, seen: frozenset[str]) -> None:
        for entry in sorted(folder.iterdir()):
            here = f"{rel}/{entry.name}"
            real = os.path.realpath(entry)
            if entry.is_dir() and real.startswith(inside):
                if entry.is_symlink() and real in seen:
                    loops.append(here)
                else:
                    walk(entry, here, seen | {real})
            elif entry.is_file() and entry.suffix == ".yaml":
                found.append(here)

    walk(
        root / "runs", "runs", frozenset({os.path.realpath(root), os.path.realpath(root / "runs")})
    )
    return sorted(found), sorted(loops)


def test_symlinked_folders_loop_only_back_to_a_folder_they_are_in(tmp_path: Path) -> None:
    """A link is a loop when it leads to one of the folders the walk went through to reach it,
    also before an earlier link (runs/b/shared/s/top leads to runs, reached before shared); one
    that leads into a folder only beside that way is followed (runs/b/shared/s/upa leads to
    runs/a: the path to it is below runs/a, the walk never went through runs/a)."""
    from gridsync.config.discover import discover

    root = tmp_path / "project"
    _tree(root, tmp_path / "outside")
    s = root / "runs" / "a" / "x" / "s"
    (s / "top").symlink_to("../../..")
    (s / "upa").symlink_to("../..")
    (root / "runs" / "b" / "y" / "s" / "t" / "cousin").symlink_to("../../../x")
    found, problems = discover(root, ("runs/**/*.yaml",))
    want_found, want_loops = _walked(root)
    assert [item.rel for item in found] == want_found
    loops = sorted(d.path for d in problems if d.message.startswith("symlink loop"))
    assert loops == want_loops
    assert "runs/b/shared/s/top" in loops and "runs/b/shared/s/upa/x/s/upa" in loops
    assert "runs/b/shared/s/upa/x/r.yaml" in want_found  # followed, not a loop
    assert "runs/b/y/s/t/cousin/r.yaml" in want_found


# Literal paths, each kind: a folder, a file, a symlink to a folder, a loop, a dangling link, a
# link out of the root, nothing.
LITERAL = [
    "runs/a/x/r.yaml",
    "runs/a/x/s/t/r.yaml",
    "runs/b/shared/r.yaml",
    "runs/b/shared/s/*.yaml",
    "runs/a/x/s/loop/r.yaml",
    "runs/a/x/s/loop/s/loop/r.yaml",
    "runs/b/x/gone.yaml",
    "runs/a/away/r.yaml",
    "runs/c/r.yaml",
    "runs/b/x/gone.yaml/r.yaml",
]


def test_literal_paths_in_a_shared_listing_are_looked_up_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each binding asks again for the folders its glob starts with (`runs`, not listed by the
    walks below it): the listing asks the system once, and answers as if each glob ran alone."""
    from gridsync.config import discover as module

    root = tmp_path / "project"
    _tree(root, tmp_path / "outside")
    alone = {glob: module.discover(root, (glob,)) for glob in LITERAL}
    asked: list[str] = []  # what is asked of the system about a path (realpath's steps aside)

    def counting(real: Any) -> Any:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            if sys._getframe(1).f_code.co_name not in ("realpath", "_joinrealpath"):
                asked.append(str(path))
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(module.os, "lstat", counting(os.lstat))
    monkeypatch.setattr(module.os, "stat", counting(os.stat))
    listing = module.Listing()
    for _ in range(3):
        for glob in LITERAL:
            assert module.discover(root, (glob,), listing) == alone[glob], glob
    assert asked.count(str(root / "runs")) == 1


@pytest.mark.parametrize("grown", [10, MAX_FILE_BYTES + 10])
def test_a_file_that_grows_while_read_is_read_to_its_end_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grown: int
) -> None:
    """The size fstat gave is only where reading starts: a file longer by then is read on."""
    path = tmp_path / "c.yaml"
    path.write_bytes(b"k: " + b"v" * grown + b"\n")
    real_fstat = os.fstat

    def stale_fstat(fd: int) -> Any:
        found = real_fstat(fd)
        return os.stat_result((found.st_mode, *found[1:6], 3, *found[7:]))  # st_size: 3

    monkeypatch.setattr(os, "fstat", stale_fstat)
    read = yamlsrc.read_yaml_file(path, "c.yaml")
    if grown < MAX_FILE_BYTES:
        assert read.documents[0].value == {"k": "v" * grown}
    else:
        assert [p.message for _, p in read.problems] == ["file is larger than 4 MiB"]
