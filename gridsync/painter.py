"""Colour, decided once and painted in one place: the only module that writes ANSI sequences.

Whether a stream gets colour, first rule that applies:
1. `--color always` or `--color never` (the last one given, before or after the command);
2. `NO_COLOR` set (to anything): no colour;
3. `FORCE_COLOR` set to anything but "", "0" or "false": colour, even when not a terminal;
4. `TERM=dumb`: no colour;
5. otherwise colour only on a terminal.

Every renderer that colours takes a `Painter`; `Painter(False)` (PLAIN) returns text untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO

CHOICES = ("auto", "always", "never")
_RESET = "\x1b[0m"
_FALSE = ("", "0", "false")


class Style(StrEnum):
    BOLD = "\x1b[1m"
    RED = "\x1b[31m"
    GREEN = "\x1b[32m"
    YELLOW = "\x1b[33m"
    MAGENTA = "\x1b[35m"
    CYAN = "\x1b[36m"


ERASE_LINE = "\r\x1b[K"  # a terminal's status line redrawn in place (progress), not colour


def decide_color(choice: str, stream: TextIO, env: Mapping[str, str]) -> bool:
    """Whether `stream` gets colour (the order is in the module docstring)."""
    if choice in ("always", "never"):
        return choice == "always"
    if "NO_COLOR" in env:
        return False
    if env.get("FORCE_COLOR", "").strip().lower() not in _FALSE:
        return True
    if env.get("TERM") == "dumb":
        return False
    return isatty(stream)


def isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass(frozen=True)
class Painter:
    """Wraps text in ANSI codes when enabled; returns it untouched otherwise."""

    enabled: bool = False

    def __call__(self, text: str, style: Style | None) -> str:
        if not self.enabled or style is None or not text:
            return text
        return f"{style.value}{text}{_RESET}"

    @classmethod
    def for_stream(cls, choice: str, stream: TextIO, env: Mapping[str, str]) -> Painter:
        return cls(decide_color(choice, stream, env))


PLAIN = Painter(False)
