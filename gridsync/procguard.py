"""Defence in depth: gridsync's own process is not dumpable (Linux `prctl(PR_SET_DUMPABLE, 0)`).

A process of the same user can otherwise read `/proc/<gridsync pid>/environ` (the Grid API key,
the CI token) or ptrace it. Not dumpable, its /proc files belong to root and ptrace is refused.
This is NOT the boundary: the shell or runner that started gridsync holds the same variables and
stays readable, and children that exec are dumpable again. The boundary is that pull-request code
never runs next to secrets (gridsync.infra.review). Elsewhere than Linux this does nothing.
"""

from __future__ import annotations

import ctypes
import sys

PR_SET_DUMPABLE = 4  # <linux/prctl.h>


def make_undumpable() -> bool:
    """Whether the process is now not dumpable (False off Linux or when prctl fails)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False
