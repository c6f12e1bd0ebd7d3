"""Where output goes. stdout carries results (a plan can be piped into a comment); stderr carries
logs, progress and errors. Colour is decided once, here (by gridsync.painter's rules). Both streams go through
`gridsync.output`: secrets masked, no line a workflow command unless written with `command`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TextIO, cast

from gridsync.output import PIECE, safe_stream
from gridsync.painter import Painter, decide_color, isatty


@dataclass
class Console:
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    color: bool = False  # for results on stdout
    err_color: bool = False  # for logs and progress on stderr

    def __post_init__(self) -> None:
        self.out = cast(TextIO, safe_stream(self.out))
        self.err = cast(TextIO, safe_stream(self.err))

    @classmethod
    def create(cls, color_choice: str, env: Mapping[str, str] = os.environ) -> Console:
        return cls(
            color=decide_color(color_choice, sys.stdout, env),
            err_color=decide_color(color_choice, sys.stderr, env),
        )

    @property
    def err_is_tty(self) -> bool:
        return isatty(self.err)

    @property
    def paint(self) -> Painter:
        """The painter of results on stdout."""
        return Painter(self.color)

    @property
    def err_paint(self) -> Painter:
        """The painter of logs, progress and errors on stderr."""
        return Painter(self.err_color)

    def result(self, text: str) -> None:
        self.results((text,))

    def results(self, pieces: Iterable[str]) -> None:
        """A result written in pieces, ending its line: pieces are gathered up to output.PIECE
        characters and each batch masked as it is written (masking each of a plan's thousands
        of sections on its own cost more than masking the whole text)."""
        batch: list[str] = []
        size, last = 0, ""
        for piece in pieces:
            if piece:
                batch.append(piece)
                size, last = size + len(piece), piece
            if size >= PIECE:
                self.out.write("".join(batch))
                batch, size = [], 0
        if batch:
            self.out.write("".join(batch))
        if last and not last.endswith("\n"):
            self.out.write("\n")
        self.out.flush()

    def command(self, text: str) -> None:
        """Workflow commands gridsync made (annotations), on stdout: masked, never neutralised."""
        stream = safe_stream(self.out)
        stream.write_command(text if text.endswith("\n") or not text else text + "\n")
        stream.flush()

    def log(self, text: str) -> None:
        self.err.write(text if text.endswith("\n") else text + "\n")
        self.err.flush()
