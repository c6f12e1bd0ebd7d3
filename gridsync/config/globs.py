"""Whether two name globs (fnmatch, case-sensitive) can match the same cluster name.

Exact for Grid's names (a-z, 0-9 and '-'): each glob is a small automaton over that alphabet
and the two are walked together; they overlap when both can end at once.
"""

from __future__ import annotations

from collections import deque
from fnmatch import fnmatchcase
from string import ascii_lowercase, digits
from typing import NamedTuple

NAME_ALPHABET = ascii_lowercase + digits + "-"
_STAR = "*"


class _Token(NamedTuple):
    text: str  # "*", or a pattern matching exactly one character

    def accepts(self, char: str) -> bool:
        return self.text == _STAR or fnmatchcase(char, self.text)


def _tokens(glob: str) -> tuple[_Token, ...]:
    out: list[_Token] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "[":
            end = _class_end(glob, i)
            if end is not None:
                out.append(_Token(glob[i : end + 1]))
                i = end + 1
                continue
            out.append(_Token("[[]"))
        elif char == _STAR:
            if not out or out[-1].text != _STAR:
                out.append(_Token(_STAR))
        else:
            out.append(_Token(char))
        i += 1
    return tuple(out)


def _class_end(glob: str, start: int) -> int | None:
    """Where the `[...]` opened at `start` closes, as fnmatch reads it (None: a literal '[')."""
    j = start + 1
    if j < len(glob) and glob[j] == "!":
        j += 1
    if j < len(glob) and glob[j] == "]":
        j += 1
    end = glob.find("]", j)
    return None if end < 0 else end


def _closure(tokens: tuple[_Token, ...], at: int) -> set[int]:
    """Positions reachable without reading a character (a star may match nothing)."""
    found = {at}
    while at < len(tokens) and tokens[at].text == _STAR:
        at += 1
        found.add(at)
    return found


def _step(tokens: tuple[_Token, ...], at: int, char: str) -> set[int]:
    if at >= len(tokens) or not tokens[at].accepts(char):
        return set()
    return _closure(tokens, at if tokens[at].text == _STAR else at + 1)


def overlap(first: str, second: str) -> bool:
    """True when some name of Grid's alphabet matches both globs."""
    a, b = _tokens(first), _tokens(second)
    start = {(i, j) for i in _closure(a, 0) for j in _closure(b, 0)}
    seen, todo = set(start), deque(start)
    while todo:
        i, j = todo.popleft()
        if i == len(a) and j == len(b):
            return True
        for char in NAME_ALPHABET:
            for pair in ((x, y) for x in _step(a, i, char) for y in _step(b, j, char)):
                if pair not in seen:
                    seen.add(pair)
                    todo.append(pair)
    return False
