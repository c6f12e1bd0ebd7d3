"""The local Grid control plane: Grid's cluster API on one SQLite file, for demos, tests and CI.

Beside the Grid client (gridsync.live), not inside it: `controlplane` holds the lifecycle and
Grid's rules (and is itself a Backend, in-process), `store` the SQLite storage, `server` the HTTP
server in Grid's REST wire format with its `routes`, `auth` and instance-type `catalog`, `faults`
the fault injection.
"""
