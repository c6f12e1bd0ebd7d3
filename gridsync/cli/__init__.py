"""The command line: click declarations only. Each command builds its options and calls a function
in gridsync.commands, imported lazily so `gridsync --help` starts fast.

    options.py     what every command shares: the State the group decides, --project, --backend
    commands.py    the group and the main commands
    local_grid.py  `gridsync local-grid ...`: the embedded control plane
    main.py        `main`/`run`: every outcome mapped to an exit code (gridsync.errors.ExitCode)
"""

from gridsync.cli.main import main, run

__all__ = ["main", "run"]
