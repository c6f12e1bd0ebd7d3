"""A recording HTTP server on 127.0.0.1 that answers from a script: it pins the Grid API client's
wire format (tests/live) and drives the shared HTTP edge (tests/test_httpedge.py).

Per (method, path), a queue of replies; the last reply of a queue repeats; an unscripted request
gets a 404. The HTTP plumbing and the request log are tests/fakehttp.py's.
"""

from __future__ import annotations

from fakehttp import FakeServer, Recorded, Reply

__all__ = ["Recorded", "Recorder", "Reply"]


class Recorder(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self._script: dict[tuple[str, str], list[Reply]] = {}

    def script(self, method: str, path: str, *replies: Reply) -> None:
        with self.lock:
            self._script.setdefault((method, path), []).extend(replies)

    def answer(self, request: Recorded) -> Reply:
        queue = self._script.get((request.method, request.path))
        if not queue:
            return Reply(404, {"code": 5, "message": f"not scripted: {request.path}"})
        return queue.pop(0) if len(queue) > 1 else queue[0]
