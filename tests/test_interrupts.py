"""gridsync.interrupts.wait_all: a signal a worker thread takes still reaches the main thread."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

import pytest

from gridsync import interrupts


def test_wait_all_runs_the_handler_while_a_worker_that_took_the_signal_still_works() -> None:
    """The worker takes the signal, then waits for the handler (in the main thread) to release
    it: a main thread asleep until the worker is done would wait out the 10 s."""
    release = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        release.set()

    def work() -> bool:
        time.sleep(0.3)  # the main thread is inside wait_all by now
        signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)  # this thread takes it
        return release.wait(10)

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            started = time.monotonic()
            assert interrupts.wait_all([pool.submit(work)]) == [True]
            elapsed = time.monotonic() - started
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert elapsed < 2, elapsed


def test_wait_all_gives_results_in_order_and_raises_a_failure() -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(time.sleep, d) for d in (0.2, 0.0, 0.1)]
        assert interrupts.wait_all(futures) == [None, None, None]
        failing = [pool.submit(int, "1"), pool.submit(int, "x")]
        with pytest.raises(ValueError):
            interrupts.wait_all(failing)
