"""The floor under an HTTP path on this machine: a bare ASGI app on uvicorn (the host's server,
with the same event loop and HTTP parser) that reads a request and answers ``POST /floor/N`` with
N bytes, doing nothing else: no routing, no checks, no store, no worker. What it takes to answer
is what any Python web server costs here (waking a sleeping process, the HTTP exchange, the bytes
on the loopback), before anything of the host's own.

    python -m uvicorn http_floor:app --app-dir bench --port 8000
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_ANSWERS: dict[int, bytes] = {}


def answer_of(size: int) -> bytes:
    """A JSON string of ``size`` bytes, built once per size."""
    if size not in _ANSWERS:
        _ANSWERS[size] = b'"' + b"x" * max(size - 2, 0) + b'"'
    return _ANSWERS[size]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = answer_of(int(scope["path"].rpartition("/")[2] or 0))
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def floor_request(port: int, size: int, payload: bytes) -> bytes:
    """``payload`` posted to the floor for an answer of ``size`` bytes, encoded once."""
    return (f"POST /floor/{size} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload


def start_floor() -> tuple[subprocess.Popen, int]:
    """The floor app on uvicorn in a subprocess on a free port, once it answers: ``(process, port)``."""
    from iophost.testing import free_port  # the floor app itself imports nothing of the host

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "http_floor:app", "--app-dir",
                               str(Path(__file__).parent), "--host", "127.0.0.1", "--port", str(port),
                               "--log-level", "warning", "--no-access-log"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the floor server did not start within 60 s")
