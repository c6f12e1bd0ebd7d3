"""Ctrl-C and SIGTERM in every phase of every command: one handler for the life of the process.

Outside apply's executor a signal raises `Interrupted` in the main thread, wherever it is
(loading, planning, Terraform, waiting for the lock, the confirmation prompt). The stack unwinds
through every `finally` (the lock is released, running Terraform commands are interrupted), then
`main` prints one line and exits 130 for SIGINT or 143 for SIGTERM (128 + the signal's number, as
a shell reports a process killed by it).

While the executor runs (`graceful`), the first signal only asks it to stop launching changes
(calls in flight settle, the summary is printed); a second one (Ctrl-C again, or SIGTERM after
Ctrl-C, as CI runners send on cancel) asks it to stop at once: it stops waiting for the calls in
flight, reports them as possibly still in flight, and the process exits without joining their
threads (`main` ends with os._exit when threads are left behind).

The handler only stores attributes and sends signals to child process groups: no lock, no I/O,
so it may run at any bytecode of the main thread, even inside itself.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

from gridsync.errors import ExitCode

HANDLED = (signal.SIGINT, signal.SIGTERM)
T = TypeVar("T")
# Called (from the handler) when a signal is to stop everything now: Terraform registers the
# interruption of its running commands here. Each must be safe in a signal handler.
on_stop_now: list[Callable[[], None]] = []


class Interrupted(BaseException):
    """A signal stopped the command. Not an Exception: no `except Exception` may swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> ExitCode:
        return exit_code_for(self.signum)

    @property
    def what(self) -> str:
        return signal_name(self.signum)


def exit_code_for(signum: int) -> ExitCode:
    return ExitCode.TERMINATED if signum == signal.SIGTERM else ExitCode.INTERRUPTED


def signal_name(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


class StopRequest:
    """How a running apply is asked to stop: `soft` (launch nothing more; calls in flight settle)
    or `hard` (stop waiting for them now). Plain attributes, so a signal handler may set them."""

    def __init__(self) -> None:
        self.soft = False
        self.hard = False
        self.signum = 0  # the signal that asked last, 0 when none did

    def set(self, signum: int = 0) -> None:
        self.soft = True
        self.signum = signum or self.signum

    def abort(self, signum: int = 0) -> None:
        self.set(signum)
        self.hard = True

    def is_set(self) -> bool:
        return self.soft

    def clear(self) -> None:
        self.soft = self.hard = False
        self.signum = 0


class _Handler:
    def __init__(self) -> None:
        self.received: list[int] = []
        self.graceful: StopRequest | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        stop = self.graceful
        if stop is not None and not stop.hard:
            if stop.soft:
                _stop_now()
                stop.abort(signum)
            else:
                stop.set(signum)
            return
        _stop_now()
        raise Interrupted(signum)


def _stop_now() -> None:
    for hook in list(on_stop_now):
        hook()


_handler = _Handler()


def install() -> None:
    """Handle SIGINT and SIGTERM from now on (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is threading.main_thread():
        for signum in HANDLED:
            signal.signal(signum, _handler)


# How long the main thread sleeps at most while it waits for worker threads (`wait_all`, the
# apply executor): then it runs a signal's handler and looks at its StopRequest.
WAKE_SECONDS = 0.1


def wait_all(futures: Iterable[Future[T]]) -> list[T]:
    """The results of `futures`, in order, waited for in slices of WAKE_SECONDS.

    The kernel may hand a signal to any thread. Taken by a worker, it only flags the main thread,
    and a main thread asleep on a lock until the worker is done (`Future.result()`) runs the
    handler when it wakes: SIGTERM during a 30 s Terraform plan waited those 30 s (seen once in
    CI). Waking every slice, the main thread runs it within WAKE_SECONDS. (Blocking the signals
    in the workers would be inherited by the commands they start, which must get them.)"""
    from concurrent.futures import wait  # here: only callers that made futures import it

    pending = list(futures)
    while not_done := [f for f in pending if not f.done()]:
        wait(not_done, timeout=WAKE_SECONDS)
    return [future.result() for future in pending]


def interrupted() -> bool:
    """Whether any signal was received by this process."""
    return bool(_handler.received)


@contextmanager
def graceful(stop: StopRequest) -> Iterator[None]:
    """Within: the first signal sets `stop.soft`, the second `stop.hard`, instead of raising.

    Installs the handler for the time being when `install` was not called (a caller other than
    `main`); off the main thread, signals cannot be handled and nothing changes."""
    on_main = threading.current_thread() is threading.main_thread()
    handlers = {signum: signal.getsignal(signum) for signum in HANDLED} if on_main else {}
    if on_main:
        install()
    previous, _handler.graceful = _handler.graceful, stop
    try:
        yield
    finally:
        _handler.graceful = previous
        for signum, action in handlers.items():
            signal.signal(signum, action)
