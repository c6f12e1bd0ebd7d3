"""The command line: click declarations only. Each command builds its options and calls a function
in gridsync.commands, imported lazily so `gridsync --help` starts fast.

    options.py     what every command shares: the State the group decides, --project, --backend
    group.py       the group and the main commands
    local_grid.py  `gridsync local-grid ...`: the embedded control plane
    main.py        `main`/`run`: every outcome mapped to an exit code (gridsync.errors.ExitCode)

This module is the entry point (`gridsync = gridsync.cli:main`) and imports nothing heavy:
`gridsync --version` alone is answered here, before click and the command tree are imported
(they are most of a start-up); every other command line goes to gridsync.cli.main.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

PROG = "gridsync"
# Set by the shell completion script (README "Shell completion"); click answers it.
COMPLETE_VAR = "_GRIDSYNC_COMPLETE"
VERSION_MESSAGE = "%(prog)s, version %(version)s"  # click's version_option format, for both paths
_VERSION_ALONE = (["--version"], ["-V"])


def version_text() -> str:
    from gridsync import __version__

    return VERSION_MESSAGE % {"prog": PROG, "version": __version__}


def main(argv: list[str] | None = None) -> NoReturn:
    args = sys.argv[1:] if argv is None else argv
    if args in _VERSION_ALONE and not os.environ.get(COMPLETE_VAR):
        # A constant line (no secret can be in it, nor a workflow command): no output layer needed.
        sys.stdout.write(version_text() + "\n")
        sys.stdout.flush()
        sys.exit(0)
    from gridsync.collector import THRESHOLD  # here: `--version` above imports nothing more

    gc.set_threshold(*THRESHOLD)  # before the imports: they allocate as much as a small plan
    from gridsync.cli.main import main as run_main

    run_main(argv)
