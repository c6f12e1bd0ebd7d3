"""Where a place in a file is, as editors show it: the one rule for every line and column.

Lines: a line ends at `\\n`, `\\r\\n` or a lone `\\r`, as VS Code, vim and libyaml count them (grep -n
counts only `\\n`, so for CR-only files it says "line 1" for everything; editors are what people
open the file in). U+2028, U+2029 and U+0085 do not end a line: editors draw them inside a line.
Columns: 1-based, in characters (code points), never bytes; the BOM is not a column.

libyaml counts lines this way too, except that it also breaks lines at U+2028, U+2029 and U+0085
(YAML 1.1). Those characters are refused (`odd_breaks`) and the text handed to libyaml has them
replaced by spaces, so its marks are the editor's. Finding them costs one `in` test per character
kind on files that have none (nearly all).
"""

from __future__ import annotations

# YAML 1.1 line breaks that YAML 1.2, editors and JSON do not treat as line breaks.
ODD_BREAKS = {"\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR", "\x85": "NEXT LINE"}
_TO_SPACES = str.maketrans(dict.fromkeys(ODD_BREAKS, " "))


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character `offset` of `text` (a BOM at the start not counted)."""
    before = text[:offset]
    line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    start = max(before.rfind("\n"), before.rfind("\r")) + 1
    column = offset - start + 1
    if start == 0 and text.startswith("\ufeff") and offset > 0:
        column -= 1
    return line, column


def char_offset(text: str, byte_offset: int) -> int:
    """The character offset of UTF-8 byte `byte_offset` of `text` (libyaml reports bytes)."""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def odd_breaks(text: str, limit: int = 10) -> tuple[list[tuple[int, int, str]], int]:
    """(line, column, character) of the first `limit` U+2028, U+2029 and U+0085 in `text`, and
    how many there are in all (a hostile file may hold millions: each position costs a scan)."""
    offsets: list[tuple[int, str]] = []
    for char in ODD_BREAKS:
        start = text.find(char)
        while start >= 0 and len(offsets) < 3 * limit:
            offsets.append((start, char))
            start = text.find(char, start + 1)
    first = sorted(offsets)[:limit]
    total = sum(text.count(char) for char in ODD_BREAKS)
    return [(*position(text, offset), char) for offset, char in first], total


def odd_break_message(char: str) -> str:
    code = f"U+{ord(char):04X}"
    return (
        f"character {code} ({ODD_BREAKS[char]}) is not allowed: YAML 1.1 readers (libyaml, "
        "PyYAML, the grid CLI) take it for a line break, and YAML 1.2 readers and editors do not, "
        f"so the file would mean different things to each; delete it, or write \\u{ord(char):04x} "
        "inside a double-quoted string"
    )


def without_odd_breaks(text: str) -> str:
    """`text` with each odd break replaced by a space: same length, lines and columns."""
    return text.translate(_TO_SPACES)


def has_odd_breaks(text: str) -> bool:
    return "\u2028" in text or "\u2029" in text or "\x85" in text
