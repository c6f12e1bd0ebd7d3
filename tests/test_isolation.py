"""The autouse guard really blocks the network and hides HOME and credentials."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def test_outside_connection_is_refused() -> None:
    with pytest.raises(OSError, match="may not"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)


def test_dns_is_refused() -> None:
    with pytest.raises(OSError, match="may not resolve"):
        socket.getaddrinfo("example.com", 443)


def test_loopback_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    with socket.create_connection(server.getsockname(), timeout=1):
        pass
    server.close()


def test_home_and_credentials_are_isolated(isolated: Path) -> None:
    assert Path(os.environ["HOME"]) == isolated
    assert "AWS_ACCESS_KEY_ID" not in os.environ
    assert "GRID_API_KEY" not in os.environ


def test_subprocess_python_is_guarded_too() -> None:
    code = "import socket; socket.create_connection(('192.0.2.1', 443), timeout=1)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "NetworkBlocked: tests may not" in result.stderr
