"""One pure function over many items, shared with a forked child on a second core.

Reading a project's run configs is most of what validate and plan do, and each file is read on
its own. Entering `with share(func, items) as shared:` forks once (with two or more CPUs, one
thread and enough items) and the child at once starts taking chunks of the items from a queue (a
pipe filled with chunk numbers before the fork: a 4-byte read from it is atomic) while the parent
does other work (reading the cluster files). Then `shared.results()` has the parent take what is
left, so the two finish together whatever the split of the work, and gathers the child's chunks.
The results are those of `[func(item) for item in items]`, in order, whatever happens to the
child: it is never trusted to finish. If it dies, sends something unreadable, or has not answered
well after the queue ran dry (`_deadline`), the parent kills it and computes the chunks it took
itself. The parent always reaps it (`close`, on an exception or Ctrl-C too), so no process is
left behind.

When the items are found by a walk of the disk (the run configs a project's globs match), that
walk can be the child's too: `share_found(func, find)` forks first, the child calls `find()`,
which returns (what the caller needs of the walk, the items), sends the pair to the parent
through a memory file (a pipe would stall it until the parent reads), fills the queue and starts
taking chunks; the parent meanwhile does its own work and gets the pair from `found()`. If the
child fails before it sent them, or has not within `_deadline`, the parent kills it and calls
`find()` itself.

`func` must not change anything the caller relies on (the child's changes are lost) and its
results must pickle. The child ends with os._exit: no atexit handler, no flush of the parent's
buffered output, no exit-time collection. Forking is done only on Linux (elsewhere a forked child
of a process with native libraries loaded may hang) and only with no other thread in the process,
not even a native one: a child of a threaded process may inherit a lock some thread held.
"""

from __future__ import annotations

import os
import select
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from types import TracebackType
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

# Below this, forking and sending the results back cost about what they save: validate of 400
# six-line run configs takes 80 ms instead of 85 ms of wall time, for 7 ms more CPU.
MIN_ITEMS = 400
# How much longer than _deadline the parent waits for what the child finds: a walk of a large
# tree takes as long in either process, and waiting is cheaper than walking it again.
FIND_GRACE = 30.0
CHUNK = 16  # items per chunk: small enough for the two to finish together
_MAX_CHUNKS = 1024  # 4 KiB of chunk numbers: what any Linux pipe holds (one page)
_NUMBER = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")  # the size of what `find` returned, once it is in the memory file
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _as_is(result: R) -> R:
    return result


def share(func: Callable[[T], R], items: Sequence[T]) -> Shared[T, R]:
    """`func` over `items`: entering the context forks the child (if worth it), `results()`
    gives them all, leaving it kills and reaps the child if it still runs."""
    return Shared(func, lambda: (None, items))


def share_found(
    func: Callable[[T], R], find: Callable[[], tuple[S, Sequence[T]]], *, early: bool
) -> Shared[T, R]:
    """`func` over the items `find()` returns beside what else the caller needs (`found()`).
    `early`: fork before `find` runs, for the child to run it (worth it where the parent has
    other work meanwhile); else `find` runs at once, here, and the items are shared as by
    `share`."""
    return Shared(func, find, early=early)


def _may_fork() -> bool:
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    if threading.active_count() != 1 or len(os.sched_getaffinity(0)) < 2:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1  # native threads count too
    except OSError:
        return False


class Shared(Generic[T, R]):
    """`func` over `items`, chunk by chunk, by this process and (once started) a forked child."""

    def __init__(
        self,
        func: Callable[[T], R],
        find: Callable[[], tuple[Any, Sequence[T]]],
        *,
        early: bool = False,
    ) -> None:
        self.func = func
        self.find = find
        self.early = early
        self.queue: int | None = None  # the read end of the chunk queue, once started
        self.child: _Child | None = None
        self.memory: int | None = None  # the memory file the child writes find()'s pair to
        self.forked_at = 0.0
        self._found: tuple[Any, Sequence[T]] | None = None
        self._size(())

    def _size(self, items: Sequence[T]) -> None:
        self.items = items
        self.size = max(CHUNK, -(-len(items) // _MAX_CHUNKS))
        self.chunks = -(-len(items) // self.size)

    def __enter__(self) -> Shared[T, R]:
        try:
            if self.early and _may_fork():
                self._start_finding()
            else:
                self.found()  # find() here, at once
                if len(self.items) >= MIN_ITEMS and _may_fork():
                    self._start()
        except BaseException:  # Ctrl-C just after the fork: no child is left behind
            self.close()
            raise
        return self

    def found(self) -> Any:
        """What `find` returned beside the items (None for `share`): from the child when it
        ran it, else found here."""
        if self._found is None:
            pair = None
            if self.child is not None and self.memory is not None:
                wait = _deadline(time.monotonic() - self.forked_at) + FIND_GRACE
                pair = self.child.found(self.memory, wait)
            if pair is None:  # no child, or it failed: nothing it did is used
                self.close()
                pair = self.find()
            self._found = pair
            self._size(pair[1])
        return self._found[0]

    def _start_finding(self) -> None:
        """Fork now; the child finds the items, then fills the queue (see _child_finds)."""
        try:
            memory = os.memfd_create("gridsync-found", os.MFD_CLOEXEC)
        except OSError:  # no memory files here: find() runs in this process, as without a fork
            return
        self.memory = memory
        reader, writer = os.pipe()
        self.queue = reader
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            self.forked_at = time.monotonic()
            self.child = _Child.start(lambda pipe: self._child_finds(pipe, writer, memory), mask)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            os.close(writer)  # the child's copy is the queue's only writer now
        if self.child is None:
            self._close_queue()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _start(self) -> None:
        reader, writer = os.pipe()
        try:
            os.write(writer, b"".join(_NUMBER.pack(i) for i in range(self.chunks)))
        finally:
            os.close(writer)  # with no writer left, an empty queue reads as its end
        self.queue = reader
        # Ctrl-C and SIGTERM wait until the child is known here (and, in the child, until its
        # handlers are the default ones): neither process runs the other's cleanup.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            self.child = _Child.start(self._child_work, mask)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if self.child is None:
            self._close_queue()

    def results(self, then: Callable[[R], R] = _as_is) -> list[R]:
        """Every result in order, each passed through `then` as soon as it is here (what `then`
        drops is never held for every item at once): the parent takes the chunks left, then
        gathers the child's."""
        self.found()
        done: dict[int, list[R]] = {}
        started = time.monotonic()
        for index in self._taken():
            done[index] = self._chunk(index, then)
        self._close_queue()
        if self.child is not None:
            theirs = self.child.results(_deadline(time.monotonic() - started), then)
            for index, values in theirs.items() if theirs is not None else ():
                done.setdefault(index, values)
            self.close()
        for index in range(self.chunks):  # never taken (no child), or taken by a failed one
            if index not in done:
                done[index] = self._chunk(index, then)
        return [result for index in range(self.chunks) for result in done[index]]

    def close(self) -> None:
        """Kill the child if it still runs, reap it, close the queue: on every way out."""
        self._close_queue()
        if self.child is not None:
            self.child.stop()
            self.child = None
        if self.memory is not None:
            os.close(self.memory)
            self.memory = None

    def _close_queue(self) -> None:
        if self.queue is not None:
            os.close(self.queue)
            self.queue = None

    def _taken(self) -> Iterator[int]:
        """Chunk numbers taken from the queue (in the parent or the child) until it is empty."""
        while self.queue is not None:
            data = os.read(self.queue, _NUMBER.size)
            if not data:
                return
            yield _NUMBER.unpack(data)[0]

    def _chunk(self, index: int, then: Callable[[R], R]) -> list[R]:
        func = self.func
        return [
            then(func(item)) for item in self.items[index * self.size : (index + 1) * self.size]
        ]

    def _child_work(self, pipe: IO[bytes]) -> None:
        """In the child: take chunks until the queue is empty, then send each one's results."""
        import pickle  # here and in _Child.results: a project too small to fork does without

        done = [(index, self._chunk(index, _as_is)) for index in self._taken()]
        for pair in done:
            pickle.dump(pair, pipe, pickle.HIGHEST_PROTOCOL)

    def _child_finds(self, pipe: IO[bytes], queue: int, memory: int) -> None:
        """In the child: find, put the pair in the memory file, fill the queue (when the items
        are worth sharing), say how long the pair is, then work as _child_work."""
        import pickle

        pair = self.find()
        data = memoryview(pickle.dumps(pair, pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(memory, data) :]
        self._size(pair[1])
        if len(self.items) >= MIN_ITEMS:  # at most _MAX_CHUNKS numbers: one atomic write
            os.write(queue, b"".join(_NUMBER.pack(i) for i in range(self.chunks)))
        os.close(queue)
        pipe.write(_LENGTH.pack(os.lseek(memory, 0, os.SEEK_CUR)))
        pipe.flush()
        self._child_work(pipe)


def _deadline(own_work: float) -> float:
    """How long to wait for the child's first byte once the queue is empty: it has at most one
    chunk to finish, and the parent's chunks took `own_work` in all."""
    return 4 * own_work + 2.0


class _Child:
    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self.reader = reader
        self.reaped = False

    @classmethod
    def start(cls, work: Callable[[IO[bytes]], None], mask: Collection[int]) -> _Child | None:
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            return None
        if pid == 0:  # pragma: no cover - the child: measured by the tests, not by coverage
            _run_child(work, reader, writer, mask)
        os.close(writer)
        return cls(pid, reader)

    def found(self, memory: int, wait: float) -> tuple[Any, Any] | None:
        """The pair `find` returned in the child, or None when it failed or has not said how
        long it is within `wait` seconds (8 bytes, written at once: a read gets all or none)."""
        import pickle

        if not select.select([self.reader], [], [], wait)[0]:
            return None
        header = os.read(self.reader, _LENGTH.size)
        if len(header) != _LENGTH.size:
            return None
        (length,) = _LENGTH.unpack(header)
        parts, offset = [], 0
        while offset < length:
            part = os.pread(memory, min(length - offset, 1 << 24), offset)
            if not part:
                return None
            parts.append(part)
            offset += len(part)
        try:  # our own child's pickle, in a memory file only it and we hold
            pair: tuple[Any, Any] = pickle.loads(b"".join(parts))  # noqa: S301
        except Exception:
            return None
        return pair

    def results(self, wait: float, then: Callable[[R], R]) -> dict[int, list[R]] | None:
        """The results the child sent by chunk (each through `then`), or None when it failed or
        has sent nothing within `wait` seconds. It writes only once it is done, and then without
        pause: the wait is for its first byte. Chunks are read one by one as they come."""
        import pickle

        if not select.select([self.reader], [], [], wait)[0]:
            return None
        chunks: dict[int, list[R]] = {}
        with open(self.reader, "rb", closefd=False) as pipe:
            try:  # our own child's pickles, through a pipe only it could write to
                while pipe.peek(1):
                    index, values = pickle.load(pipe)  # noqa: S301
                    chunks[index] = [then(value) for value in values]
            except Exception:
                return None
        return chunks if self._exited_cleanly() else None

    def _exited_cleanly(self) -> bool:
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        return os.waitstatus_to_exitcode(status) == 0

    def stop(self) -> None:
        os.close(self.reader)
        if not self.reaped:
            os.kill(self.pid, signal.SIGKILL)  # a child that has exited is a zombie until reaped
            os.waitpid(self.pid, 0)
            self.reaped = True


def _run_child(
    work: Callable[[IO[bytes]], None], reader: int, writer: int, mask: Collection[int]
) -> None:
    """The child's whole life: work, send, exit. It never returns into the parent's code."""
    code = 1
    try:
        for signum in _SIGNALS:  # Ctrl-C of the terminal (or one pending) ends it at once
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(reader)
        with open(writer, "wb") as pipe:
            work(pipe)
        code = 0
    finally:
        os._exit(code)
