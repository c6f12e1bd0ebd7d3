"""Fixtures every test gets: no network, no HOME, no real credentials."""

from __future__ import annotations

import gc
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridsync import redact

NETGUARD = Path(__file__).parent / "netguard"
sys.path.insert(0, str(NETGUARD))
import sitecustomize as netguard  # noqa: E402  (this folder's guard, not the interpreter's)

# Variables that could point a test at a real account, real files or a real control plane.
_SCRUBBED_PREFIXES = ("AWS_", "GRID_", "GRIDSYNC_", "GITHUB_", "TF_", "BOTO")
_SCRUBBED = {"NO_COLOR", "FORCE_COLOR", "CI"}


@pytest.fixture(autouse=True)
def isolated(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Run every test with an empty HOME, no cloud or Grid credentials and loopback-only sockets.

    Subprocesses inherit the same environment, and PYTHONPATH carries the network guard into any
    Python they start (`gridsync` itself in end-to-end tests).
    """
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_PREFIXES) or name in _SCRUBBED:
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("GRID_CREDENTIAL_PATH", str(home / ".grid" / "credentials.json"))
    monkeypatch.setenv("GRID_SETTINGS_PATH", str(home / ".grid" / "settings.json"))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(NETGUARD), os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.setattr(socket.socket, "connect", netguard._guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", netguard._guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", netguard._guarded_getaddrinfo)
    redact.reset()  # a test is a run: no secret of another test masks its output
    yield home
    gc.unfreeze()  # what a test's reads froze (gridsync.collector) is collectable again


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The base URL of one moto AWS server on loopback for the whole session (state is shared:
    reset it if needed). It holds no credentials: tests set AWS_ACCESS_KEY_ID/SECRET to "testing"."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
