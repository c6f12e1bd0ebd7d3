"""One pure function over many items on two cores: the second half in a forked child.

Reading a project's run configs is most of what validate and plan do, and each file is read on
its own. With two or more CPUs, one thread and enough items, `map_in_two` forks once: the child
computes the second half and sends it back through a pipe while the parent computes the first
half. The results are those of `[func(item) for item in items]`, in order, whatever happens to
the child: it is never trusted to finish. If it dies, sends something unreadable, or is still
busy well after the parent's half is done (`_deadline`), the parent kills it and computes the
second half itself. The parent always reaps it, on an exception or Ctrl-C too, so no process is
left behind.

`func` must not change anything the caller relies on (the child's changes are lost) and its
results must pickle. The child ends with os._exit: no atexit handler, no flush of the parent's
buffered output, no exit-time collection. Forking is done only on Linux (elsewhere a forked child
of a process with native libraries loaded may hang) and only with no other thread in the process,
not even a native one: a child of a threaded process may inherit a lock some thread held.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 400  # below this, forking and sending the results back cost more than they save


def map_in_two(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """[func(item) for item in items], the second half computed in a forked child if worth it."""
    if len(items) < MIN_ITEMS or not _may_fork():
        return [func(item) for item in items]
    half = (len(items) + 1) // 2
    child = _Child.start(func, items[half:])
    if child is None:
        return [func(item) for item in items]
    try:
        started = time.monotonic()
        first = [func(item) for item in items[:half]]
        second: list[R] | None = child.results(_deadline(time.monotonic() - started))
    finally:
        child.stop()
    if second is None:
        second = [func(item) for item in items[half:]]
    return first + second


def _deadline(own_half: float) -> float:
    """How long to wait for the child once the parent's half is done: its half is as big."""
    return 4 * own_half + 2.0


def _may_fork() -> bool:
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    if threading.active_count() != 1 or len(os.sched_getaffinity(0)) < 2:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1  # native threads count too
    except OSError:
        return False


class _Child:
    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self.reader = reader
        self.reaped = False

    @classmethod
    def start(cls, func: Callable[[T], R], items: Sequence[T]) -> _Child | None:
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            return None
        if pid == 0:  # pragma: no cover - the child: measured by the tests, not by coverage
            _run_child(func, items, reader, writer)
        os.close(writer)
        return cls(pid, reader)

    def results(self, wait: float) -> list[R] | None:
        """What the child sent, or None when it failed or has sent nothing within `wait` seconds.

        The child writes only once its half is done, and then without pause: the wait is for its
        first byte. The results are read as they come (no copy of the whole message is held)."""
        if not select.select([self.reader], [], [], wait)[0]:
            return None
        with open(self.reader, "rb", closefd=False) as pipe:
            try:  # our own child's pickle, through a pipe only it could write to
                results: list[R] = pickle.load(pipe)  # noqa: S301
            except Exception:
                return None
            ended = pipe.read(1) == b""
        return results if self._exited_cleanly() and ended else None

    def _exited_cleanly(self) -> bool:
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        return os.waitstatus_to_exitcode(status) == 0

    def stop(self) -> None:
        """Kill the child if it still runs, reap it, close the pipe: on every way out."""
        os.close(self.reader)
        if self.reaped:
            return
        os.kill(self.pid, signal.SIGKILL)  # a child that has exited is a zombie until reaped
        os.waitpid(self.pid, 0)
        self.reaped = True


def _run_child(func: Callable[[T], R], items: Sequence[T], reader: int, writer: int) -> None:
    """The child's whole life: compute, send, exit. It never returns into the parent's code."""
    code = 1
    try:
        os.close(reader)
        for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C of the terminal ends it at once
            signal.signal(signum, signal.SIG_DFL)
        results = [func(item) for item in items]
        with open(writer, "wb") as pipe:
            pickle.dump(results, pipe, pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)
