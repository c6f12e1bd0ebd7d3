"""Progress of an apply on stderr: a live status line on a terminal, a line per change of state
in CI logs (greppable, no control characters)."""

from __future__ import annotations

import threading
import time
from typing import TextIO

from gridsync.apply.outcome import Progress
from gridsync.painter import ERASE_LINE


class LineProgress(Progress):
    """One line per event: `[   2.1s] ml-dev-usw2: running`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.lock = threading.Lock()

    def event(self, name: str, message: str) -> None:
        with self.lock:
            self.stream.write(f"[{time.monotonic() - self.start:7.1f}s] {name}: {message}\n")
            self.stream.flush()


class TtyProgress(LineProgress):
    """Events as lines, plus one status line rewritten in place while clusters are waited for;
    its elapsed time moves every second between poll rounds (which may be 30 s apart)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.status = ""
        self.parts = ""  # the phases the last poll round saw, e.g. "2 pending, 1 queued"
        self.count = 0
        self.shown = -1  # the whole second the status line shows

    def event(self, name: str, message: str) -> None:
        with self.lock:
            self._clear()
        super().event(name, message)
        with self.lock:
            self._draw()

    def waiting(self, phases: dict[str, str], elapsed: float) -> None:
        counts: dict[str, int] = {}
        for phase in phases.values():
            counts[phase] = counts.get(phase, 0) + 1
        with self.lock:
            self.parts = ", ".join(f"{n} {phase}" for phase, n in sorted(counts.items()))
            self.count = len(phases)
            self._redraw(elapsed)

    def tick(self, elapsed: float) -> None:
        with self.lock:
            if self.count and int(elapsed) != self.shown:
                self._redraw(elapsed)

    def _redraw(self, elapsed: float) -> None:
        self._clear()
        self.shown = int(elapsed)
        self.status = (
            f"waiting for {self.count} cluster(s) after {self.shown}s: {self.parts}"
            if self.count
            else ""
        )
        self._draw()

    def _clear(self) -> None:
        if self.status:
            self.stream.write(ERASE_LINE)

    def _draw(self) -> None:
        if self.status:
            self.stream.write(self.status)
        self.stream.flush()

    def close(self) -> None:
        with self.lock:
            self._clear()
            self.status = ""
            self.stream.flush()
