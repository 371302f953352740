"""``bench/http_floor.py``: the bare uvicorn app ``bench/serving.py`` measures the HTTP floor with."""

from __future__ import annotations

import sys

from support.checkout import ROOT

sys.path.insert(0, str(ROOT / "bench"))  # the benchmarks are scripts, not a package

from host_overhead import KeepAliveClient  # noqa: E402
from http_floor import floor_request, start_floor  # noqa: E402


def test_the_floor_answers_as_many_bytes_as_asked_on_one_connection():
    server, port = start_floor()
    try:
        client = KeepAliveClient(port, b"")
        for size in (128, 972_176, 2):
            answer = client.call(floor_request(port, size, b'{"target": "Embed", "body": {"inputs": "a review"}}'))
            assert answer == b'"' + b"x" * (size - 2) + b'"'  # a JSON string of that many bytes
    finally:
        server.terminate()
        server.wait(30)
