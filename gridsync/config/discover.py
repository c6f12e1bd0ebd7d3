"""Finding cluster files: pathlib-style globs relative to the project root, symlinks checked.

Python 3.11's ``Path.glob`` does not descend into symlinked directories and yields broken or looping
symlinks without a word; gridsync skips nothing silently. Here ``**`` follows directory symlinks
that stay inside the root, and every symlink that loops, dangles or leaves the root is an error.

Many globs over one tree (every cluster's `runs:` binding) share a Listing: each directory is
listed once, and a `**` walks everything below its directory once: the directories it reaches,
in order, with the problems met. A glob whose `**` starts at a directory an earlier walk reached
(a cluster's `runs/TEAM/NAME/**/*.yaml` below the project's `runs/**/*.yaml`) takes the slice of
that walk below it; what a last segment (`*.yaml`) matches in a walk is found once and sliced
alike; a `**` followed by a literal name (`runs/**/team-a/*.yaml`) visits only the directories
that hold that name (indexed on first use); a literal name is looked up in a listing already
taken. The results and problems are those of walking each glob on its own.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from fnmatch import fnmatchcase, translate
from pathlib import Path
from typing import NamedTuple

from gridsync.errors import Diagnostic

MAGIC = frozenset("*?[")  # glob wildcard characters
# Whether a glob segment holds one of them (one regex search: a set per test costs more).
has_wildcard = re.compile("[" + re.escape("".join(sorted(MAGIC))) + "]").search
# What a listing says of an entry (os.scandir's file type, no stat call but for symlinks).
_LINK, _DIR, _FILE = 1, 2, 4  # a symlink; a directory (symlinks followed); a regular file


class Found(NamedTuple):
    rel: str  # relative to the root, "/" separators
    path: str  # root + "/" + rel, symlinks not resolved


# The resolved paths of a directory and its ancestors, without a set per directory (a fleet's
# tree is tens of thousands of them): where each run of plain (not symlinked) folders starts and
# ends, (start, end, start, end, ..., start); the last run ends at the directory itself. Its
# ancestors are exactly the paths from a start down to its end; a plain folder shares its
# parent's trail.
Trail = tuple[str, ...]


class _Dir(NamedTuple):
    """A directory a `**` reaches: where it is, its resolved path, and its ancestors' (`trail`)."""

    path: str
    rel: tuple[str, ...]
    trail: Trail
    real: str


@dataclass
class _Below:
    """Everything a `**` at one directory reaches: the directories (that one first, each before
    those below it, in name order), the same by the entry names they hold, and the problems met on
    the way (walking them again would meet the same)."""

    dirs: list[_Dir]
    holding: dict[str, list[_Dir]] | None  # None until a glob needs it (_holding)
    problems: dict[str, Diagnostic]
    outer: tuple[_Below, int] | None = None  # taken from that walk, at that index of its dirs
    named: dict[str, _Named] = field(default_factory=dict)  # by name pattern: what it matches


class _Named(NamedTuple):
    """What one name pattern (a glob's last segment) matches in a `**` walk's directories: the
    files in the order of the directories, where each directory's files start, and problems."""

    found: list[Found]
    starts: list[int]  # len(dirs) + 1 offsets into found
    problems: dict[str, Diagnostic]


@dataclass
class Listing:
    """Directory listings (or why a directory cannot be listed) and `**` indexes, for discover
    calls over one tree that does not change meanwhile. Paths are plain strings: a fleet's tree
    is tens of thousands of them, and pathlib objects cost several times the time and memory."""

    # directory -> its entries' _LINK/_DIR/_FILE bits by name, in name order, or why not listed
    entries: dict[str, dict[str, int] | str] = field(default_factory=dict)
    below: dict[tuple[str, Trail, str], _Below] = field(default_factory=dict)
    # A directory an earlier `**` reached: that walk and the directory's place in its dirs.
    placed: dict[str, tuple[_Below, int]] = field(default_factory=dict)
    real_roots: dict[str, str] = field(default_factory=dict)
    # A literal path asked for in a directory not listed: its kind (as _kind), None if absent.
    looked_up: dict[str, int | None] = field(default_factory=dict)


@dataclass
class _Walk:
    root: str
    real_root: str
    found: dict[str, Found]
    problems: dict[str, Diagnostic]
    listing: Listing = field(default_factory=Listing)


def discover(
    root: Path, patterns: tuple[str, ...], listing: Listing | None = None
) -> tuple[list[Found], list[Diagnostic]]:
    """Files matching any pattern, sorted by relative path, each once; and problems met, likewise.

    Pass the same `listing` to calls over the same tree to list each directory only once."""
    listing = listing or Listing()
    top = str(root)
    real_root = listing.real_roots.get(top)
    if real_root is None:
        resolved = os.path.realpath(top)
        # the same string when they are equal: plain folders below then share their paths
        real_root = listing.real_roots[top] = top if resolved == top else resolved
    walk = _Walk(top, real_root, {}, {}, listing)
    for pattern in patterns:
        segments = [s for s in pattern.split("/") if s not in ("", ".")]
        _match(walk, top, (), segments, (walk.real_root,), walk.real_root)
    found = [walk.found[rel] for rel in sorted(walk.found)]
    return found, [walk.problems[rel] for rel in sorted(walk.problems)]


def _match(
    walk: _Walk,
    directory: str,
    rel: tuple[str, ...],
    segments: list[str],
    trail: Trail,
    real: str,
) -> None:
    """Match `segments` below `directory`; `real` is its resolved path, `trail` as _Dir's."""
    if not segments:
        return
    head, rest = segments[0], segments[1:]
    if head == "**":
        below = _below(walk, _Dir(directory, rel, trail, real))
        if below.problems:
            walk.problems.update(
                (k, v) for k, v in below.problems.items() if k not in walk.problems
            )
        if len(rest) == 1 and has_wildcard(rest[0]):  # `**/*.yaml`: the same for every glob
            named = _names(walk, below, rest[0])
            for hit in named.found:
                walk.found.setdefault(hit.rel, hit)
            if named.problems:
                walk.problems.update(
                    (k, v) for k, v in named.problems.items() if k not in walk.problems
                )
            return
        places = (
            below.dirs
            if not rest or has_wildcard(rest[0])
            else _holding(walk.listing, below, rest[0])
        )
        for place in places:
            _match(walk, place.path, place.rel, rest, place.trail, place.real)
        return
    if has_wildcard(head):
        entries = [
            _Entry(directory, name, kind)
            for name, kind in _entries(walk, directory, rel).items()
            if fnmatchcase(name, head)
        ]
    else:  # a literal name: no pattern, and no listing unless an earlier glob listed it
        kind = _scanned(walk.listing, directory, head)
        if kind is None:  # every binding asks for its first folder (`runs`): asked once
            kind = _looked_up(walk.listing, _join(directory, head))
        entries = [] if kind is None else [_Entry(directory, head, kind)]
    for item in entries:
        if not rest:
            _found(walk, item, (*rel, item.name))
        elif _enter(walk, item, (*rel, item.name), trail, real):
            if item.is_symlink():
                child = os.path.realpath(item.path)
                _match(walk, item.path, (*rel, item.name), rest, (*trail, real, child), child)
            else:
                _match(walk, item.path, (*rel, item.name), rest, trail, _join(real, item.name))


def _join(directory: str, name: str) -> str:
    return f"{directory}{name}" if directory.endswith("/") else f"{directory}/{name}"


def _below(walk: _Walk, start: _Dir) -> _Below:
    """The directories a `**` at `start` reaches, as `_match` would enter them, indexed by name."""
    key = (start.path, start.trail, start.real)
    known = walk.listing.below.get(key)
    if known is not None:
        return known
    inside = walk.listing.placed.get(start.path)
    if inside is not None and inside[0].dirs[inside[1]] == start:
        walk.listing.below[key] = _within(walk.listing, *inside)
        return walk.listing.below[key]
    own = _Walk(walk.root, walk.real_root, {}, {}, walk.listing)
    dirs: list[_Dir] = []
    stack = [start]
    while stack:
        place = stack.pop()
        dirs.append(place)
        children = []
        for name, kind in _entries(own, place.path, place.rel).items():
            if not kind & _DIR:
                continue  # what _enter says first, without building the rest
            rel = (*place.rel, name)
            path = _join(place.path, name)
            if not kind & _LINK:
                real = path if place.real == place.path else _join(place.real, name)
                children.append(_Dir(path, rel, place.trail, real))
            elif _enter(own, _Entry(place.path, name, kind), rel, place.trail, place.real):
                child = os.path.realpath(path)
                children.append(_Dir(path, rel, (*place.trail, place.real, child), child))
        stack.extend(reversed(children))
    walk.listing.below[key] = _Below(dirs, None, own.problems)
    for index, place in enumerate(dirs):
        walk.listing.placed.setdefault(place.path, (walk.listing.below[key], index))
    return walk.listing.below[key]


def _within(listing: Listing, outer: _Below, index: int) -> _Below:
    """What a `**` at `outer.dirs[index]` reaches, taken from the walk that reached it: the same
    directories (those below it follow it in `outer.dirs`) and the problems met below it."""
    start = outer.dirs[index]
    depth = len(start.rel)
    dirs = [start]
    # By index: islice(outer.dirs, index + 1, None) would step through the first `index` first.
    for position in range(index + 1, len(outer.dirs)):
        place = outer.dirs[position]
        if place.rel[:depth] != start.rel:
            break
        dirs.append(place)
    return _Below(dirs, None, _under(outer.problems, start.rel), (outer, index))


def _holding(listing: Listing, below: _Below, name: str) -> list[_Dir]:
    """The directories of `below` that hold an entry `name` (indexed on first use)."""
    if below.holding is None:
        below.holding = {}
        for place in below.dirs:
            listed = listing.entries.get(place.path)
            for entry in listed if isinstance(listed, dict) else ():
                below.holding.setdefault(entry, []).append(place)
    return below.holding.get(name, [])


def _under(problems: dict[str, Diagnostic], rel: tuple[str, ...]) -> dict[str, Diagnostic]:
    if not problems:
        return {}
    key = "/".join(rel)
    return {k: v for k, v in problems.items() if not key or k == key or k.startswith(key + "/")}


def _names(walk: _Walk, below: _Below, pattern: str) -> _Named:
    """What `pattern` matches in every directory of `below`, as `_match` finds it: once per walk
    (a walk taken from another one slices that one's answer)."""
    known = below.named.get(pattern)
    if known is not None:
        return known
    if below.outer is not None:
        outer, index = below.outer
        whole = _names(walk, outer, pattern)
        starts = whole.starts[index : index + len(below.dirs) + 1]
        found = whole.found[starts[0] : starts[-1]]
        named = _Named(
            found, [at - starts[0] for at in starts], _under(whole.problems, below.dirs[0].rel)
        )
    else:
        own = _Walk(walk.root, walk.real_root, {}, {}, walk.listing)
        starts = [0]
        matches = re.compile(translate(pattern)).match  # fnmatchcase's test, compiled once
        for place in below.dirs:
            prefix = "/".join((*place.rel, ""))
            for name, kind in _entries(own, place.path, place.rel).items():
                if not matches(name):
                    continue
                if kind & _FILE:  # a regular file, as _found takes it without a system call
                    own.found.setdefault(
                        prefix + name, Found(prefix + name, _join(place.path, name))
                    )
                else:
                    _found(own, _Entry(place.path, name, kind), (*place.rel, name))
            starts.append(len(own.found))
        named = _Named(list(own.found.values()), starts, own.problems)
    below.named[pattern] = named
    return named


class _Entry(NamedTuple):
    """A directory entry; its file type from the listing when there is one (no stat call)."""

    parent: str
    name: str
    kind: int | None  # _LINK/_DIR/_FILE bits from the listing; None: not listed, ask the system

    @property
    def path(self) -> str:
        return _join(self.parent, self.name)

    def is_symlink(self) -> bool:
        return bool(self.kind & _LINK) if self.kind is not None else os.path.islink(self.path)

    def is_dir(self) -> bool:
        return bool(self.kind & _DIR) if self.kind is not None else os.path.isdir(self.path)

    def is_plain_file(self) -> bool:
        """A regular file, known without a stat call (False means: find out)."""
        return self.kind is not None and bool(self.kind & _FILE)


def _scanned(listing: Listing, directory: str, name: str) -> int | None:
    """The kind of entry `name` of `directory` if that directory was listed already (no system
    call)."""
    listed = listing.entries.get(directory)
    return listed.get(name) if isinstance(listed, dict) else None


def _looked_up(listing: Listing, path: str) -> int | None:
    """What `path` is, in _kind's bits, or None when nothing is there (asked once per listing)."""
    if path in listing.looked_up:
        return listing.looked_up[path]
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        kind = None
    else:
        link = _LINK if stat.S_ISLNK(mode) else 0
        if link:
            try:
                mode = os.stat(path).st_mode
            except OSError:  # dangling or a loop: not a directory (_found says why)
                mode = 0
        kind = link | (
            _DIR if stat.S_ISDIR(mode) else _FILE if stat.S_ISREG(mode) and not link else 0
        )
    listing.looked_up[path] = kind
    return kind


def _kind(entry: os.DirEntry[str]) -> int:
    """What `entry` is, as far as the listing tells without a stat call (symlinks are followed
    once, to know whether they lead to a directory)."""
    link = _LINK if entry.is_symlink() else 0
    try:
        if entry.is_dir():
            return link | _DIR
        return link | (_FILE if not link and entry.is_file() else 0)
    except OSError:  # a symlink loop, like Path.is_dir: not a directory; _found says why
        return link


def _entries(walk: _Walk, directory: str, rel: tuple[str, ...]) -> dict[str, int]:
    listed = walk.listing.entries.get(directory)
    if listed is None:
        try:
            with os.scandir(directory) as scan:
                listed = dict(sorted((entry.name, _kind(entry)) for entry in scan))
        except OSError as exc:
            listed = f"cannot list the directory: {exc.strerror or exc}"
        walk.listing.entries[directory] = listed
    if isinstance(listed, str):
        _problem(walk, rel, listed)
        return {}
    return listed


def _enter(walk: _Walk, item: _Entry, rel: tuple[str, ...], trail: Trail, real: str) -> bool:
    """Whether to descend into `item` of the directory resolved at `real` (ancestors: `trail`):
    a directory, not a loop, not outside the root."""
    if not item.is_dir():
        return False
    if not item.is_symlink():
        return True
    target = _resolve(walk, item.path, rel)
    if target is None:
        return False
    if _on_trail(target, trail, real):
        _problem(walk, rel, "symlink loop: the link points back to a directory that contains it")
        return False
    return True


def _on_trail(target: str, trail: Trail, real: str) -> bool:
    """Whether `target` is the directory resolved at `real` or one of its ancestors (`trail`)."""
    ends = (*trail[1::2], real)
    return any(
        _at_or_below(end, target) and _at_or_below(target, start)
        for start, end in zip(trail[::2], ends, strict=True)
    )


def _at_or_below(path: str, base: str) -> bool:
    return path == base or path.startswith(base if base.endswith("/") else base + "/")


def _found(walk: _Walk, item: _Entry, rel: tuple[str, ...]) -> None:
    key = "/".join(rel)
    path = item.path
    if item.is_plain_file():
        walk.found.setdefault(key, Found(key, path))
        return
    if item.is_symlink() and _resolve(walk, path, rel) is None:
        return
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        _problem(walk, rel, f"cannot read the file: {exc.strerror or exc}")
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        _problem(walk, rel, "is not a regular file")
        return
    walk.found.setdefault(key, Found(key, path))


def _resolve(walk: _Walk, path: str, rel: tuple[str, ...]) -> str | None:
    """The symlink's target inside the root, or None after recording why not."""
    try:
        target = os.path.realpath(path, strict=True)
    except FileNotFoundError:
        _problem(walk, rel, f"broken symlink: {os.readlink(path)!r} does not exist")
        return None
    except OSError as exc:
        loop = exc.errno == errno.ELOOP
        _problem(
            walk, rel, "symlink loop" if loop else f"cannot follow the symlink: {exc.strerror}"
        )
        return None
    inside = walk.real_root.rstrip("/") + "/"
    if target != walk.real_root and not target.startswith(inside):
        _problem(walk, rel, f"symlink escapes the project root (it points to {target})")
        return None
    return target


def _problem(walk: _Walk, rel: tuple[str, ...], message: str) -> None:
    key = "/".join(rel) or "."
    walk.problems.setdefault(key, Diagnostic(key, 1, 1, message))


# --- globs as discovery reads them, for a path that is not on disk yet (`gridsync import`) ---


def path_matches(rel: str, pattern: str) -> bool:
    """Whether a relative path matches a cluster-file glob, as discovery reads globs (pathlib
    style: `**` is any number of folders, other wildcards stay within one name)."""
    return _segments_match(rel.split("/"), [s for s in pattern.split("/") if s not in ("", ".")])


def _segments_match(parts: list[str], segments: list[str]) -> bool:
    if not segments:
        return not parts
    head, rest = segments[0], segments[1:]
    if head == "**":
        return any(_segments_match(parts[i:], rest) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _segments_match(parts[1:], rest)


def literal_glob(rel: str) -> str:
    """A glob matching exactly the path `rel` (wildcard characters in it bracketed)."""
    return "".join(f"[{c}]" if c in MAGIC else c for c in rel)
