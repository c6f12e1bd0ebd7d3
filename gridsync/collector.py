"""The cycle collector's settings, in one place.

Reading a project allocates hundreds of thousands of small objects (values, positions, specs)
that are acyclic and live until the process ends; the collector frees none of them, but every
collection of the youngest generation walks all those made since the last one. So its threshold
is raised at the entry point (`THRESHOLD`), and while the desired state is read the collector is
paused, and what is alive then is moved out of its sight (`gc.freeze`): later collections, and
the one at interpreter exit, no longer walk it. Reading a 1,000-cluster project had two
collections of ~50,000 objects each (20 ms each, timed by gc.callbacks), and exit a third; the
objects are cache-cold by then, so they cost more time than their instruction count says.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Collect the youngest generation every 50,000 net allocations instead of 700: importing the
# command tree of `plan` alone ran it 43 times with the default. mypy raises it the same way.
THRESHOLD = (50_000, 20, 20)


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside; afterwards, what is alive is frozen (never collected: it
    is freed by reference counting, as everything gridsync keeps is acyclic) and collection
    resumes if it was on. A cycle left by the block is frozen too: reading leaves a few hundred
    objects at most (gc.callbacks' counts), once per process."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
