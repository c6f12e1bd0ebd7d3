"""A minimal Language Server Protocol client over stdio, enough to drive yaml-language-server as an
editor does: initialize, answer the server's configuration requests, open documents, ask for
completions and collect the diagnostics it publishes.

The server is the npm package pinned in this folder (package.json, package-lock.json), installed
by `npm ci --prefix tests/lsp` in .ci/run and the README's test command. Node runs with
`netguard.js` preloaded: a connection anywhere but loopback throws, as the Python guard does.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SERVER = HERE / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
NETGUARD = HERE / "netguard.js"
# What VS Code's YAML extension sends, less the network: no schema store, and schemas only from
# the modeline (or `yaml.schemas`).
SETTINGS: dict[str, Any] = {
    "yaml": {
        "validate": True,
        "completion": True,
        "hover": True,
        "schemaStore": {"enable": False},
        "schemas": {},
    }
}


class LspClient:
    def __init__(self, root: Path, timeout: float = 30) -> None:
        node = shutil.which("node")
        if node is None or not SERVER.exists():
            raise RuntimeError(
                "node or yaml-language-server is missing: install Node.js and run "
                "`npm ci --prefix tests/lsp` (part of the README's test command and .ci/run)"
            )
        self.timeout = timeout
        self._next_id = 0
        self._responses: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._diagnostics: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        dead = "http://127.0.0.1:9"
        env = {
            **os.environ,
            "NODE_OPTIONS": f"--require {NETGUARD}",
            **{k: dead for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")},
        }
        self.process = subprocess.Popen(
            [node, str(SERVER), "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=root,
        )
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.request("initialize", _initialize_params(root))
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=5)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    pipe.close()

    def request(self, method: str, params: Any) -> Any:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            self._responses[ident] = queue.Queue()
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        reply = self._responses[ident].get(timeout=self.timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        document = {"uri": uri, "languageId": "yaml", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": document})
        return uri

    def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        """The next diagnostics the server publishes for `uri` (it publishes after each open)."""
        while True:
            published = self._diagnostics.get(timeout=self.timeout)
            if published["uri"] == uri:
                found: list[dict[str, Any]] = published["diagnostics"]
                return found

    def completion_labels(self, uri: str, line: int, character: int) -> set[str]:
        where = {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        result = self.request("textDocument/completion", where)
        items = result["items"] if isinstance(result, dict) else result or []
        return {item["label"] for item in items}

    def hover_text(self, uri: str, line: int, character: int) -> str:
        where = {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        result = self.request("textDocument/hover", where)
        contents = result["contents"] if result else ""
        return contents["value"] if isinstance(contents, dict) else str(contents)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def _read_loop(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while (line := stdout.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not line:
                return
            self._dispatch(json.loads(stdout.read(length)))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message and "method" in message:  # a request of the server's
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": _answer(message)})
        elif "id" in message:
            self._responses[message["id"]].put(message)
        elif message.get("method") == "textDocument/publishDiagnostics":
            self._diagnostics.put(message["params"])


def _answer(request: dict[str, Any]) -> Any:
    if request["method"] == "workspace/configuration":
        return [SETTINGS.get(item.get("section", "")) for item in request["params"]["items"]]
    return None


def _initialize_params(root: Path) -> dict[str, Any]:
    return {
        "processId": os.getpid(),
        "rootUri": root.as_uri(),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": {
            "workspace": {"configuration": True, "didChangeConfiguration": {}},
            "textDocument": {
                "completion": {"completionItem": {"snippetSupport": False}},
                "publishDiagnostics": {},
                "hover": {"contentFormat": ["markdown"]},
            },
        },
    }
