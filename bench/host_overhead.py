"""What the embedded host adds to a message, on a trivial echo item.

Three ways to run the same echo component, each with IoP's own (de)serialisation of the JSON
body, so only the host's cost differs:

* direct:   the component called in this process (``load_message`` → ``deliver`` → ``dump_message``);
* internal: ``Host.call``: persist the request, hand it to the worker process, dispatch there,
            persist the outcome and the response (SQLite file, WAL);
* HTTP:     ``POST /api/iop/test`` on ``iophost start`` in a subprocess, from keep-alive clients
            that cost little themselves (:class:`KeepAliveClient`).

Prints messages/s (concurrent senders) and p50/p99 latency, and what the host adds over direct;
and what one process hop adds (internal path): ``Host.call`` to a business process that hands the
request on to the echo with ``send_request_sync``, against ``Host.call`` to the echo itself (the
hop: the call up the process's pipe, stored as a request of the session, the echo's worker, the
response stored and sent back down). The two calls alternate, so that both meet the same load.

    .venv/bin/python bench/host_overhead.py [--messages 3000]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.checkout import use_checkout  # noqa: E402

use_checkout()

import httpx  # noqa: E402

from iophost.cli import tune_for_serving  # noqa: E402
from iophost.host import Host  # noqa: E402
from iophost.store import MessageStore  # noqa: E402
from iophost.testing import free_port  # noqa: E402
from iophost.worker.component import create_component, deliver, dump_message, load_message, start_component  # noqa: E402

CLASSNAME = "support.host_components.EchoRequest"
BODY = {"text": "hello"}
SETTINGS = """from iop import Production
from support.host_components import QuietEchoOperation, QuietForwardProcess
production = Production("bench.Production")
echo = production.operation("Echo", QuietEchoOperation).pool(2)
router = production.process("Router", QuietForwardProcess)
production.connect(router.Output, echo)
PRODUCTIONS = [production]
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latencies(call, count: int) -> list[float]:
    for _ in range(min(200, count)):  # warm up
        call()
    measured = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        measured.append((time.perf_counter() - started) * 1000)
    return measured


def alternated(first, second, count: int) -> tuple[list[float], list[float]]:
    """Latencies (ms) of ``first`` and ``second`` called in turn: a shared machine's load, which
    drifts over seconds, weighs on both alike."""
    for _ in range(min(200, count)):  # warm up
        first()
        second()
    measured: tuple[list[float], list[float]] = ([], [])
    for _ in range(count):
        for call, into in ((first, measured[0]), (second, measured[1])):
            started = time.perf_counter()
            call()
            into.append((time.perf_counter() - started) * 1000)
    return measured


def throughput(call, count: int, senders: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        for _ in pool.map(lambda _i: call(), range(count)):
            pass
    return count / (time.perf_counter() - started)


def direct_call():
    from support.host_components import QuietEchoOperation

    component = create_component(QuietEchoOperation, {})
    start_component(component)
    return lambda: dump_message(deliver(component, load_message(CLASSNAME, BODY)))


def internal(folder: Path, count: int) -> tuple[list[float], float, tuple[list[float], list[float]]]:
    (folder / "internal").mkdir()
    store = MessageStore(f"sqlite:///{folder / 'internal' / 'iophost.db'}")
    host = Host(folder / "settings.py", store, data_dir=folder / "internal")
    host.start_production()
    tune_for_serving()  # as iophost start does
    try:
        def call():
            return host.call("Echo", CLASSNAME, BODY)

        measured = latencies(call, count)

        def send_many() -> float:
            # Throughput: requests in flight all the time (the queue feeds both workers).
            started = time.perf_counter()
            sent = [host.send("Echo", CLASSNAME, BODY) for _ in range(count)]
            for message in sent:
                message.outcome.result(60)
            return count / (time.perf_counter() - started)

        rate = send_many()
        hop = alternated(call, lambda: host.call("Router", CLASSNAME, BODY), count)
        return measured, rate, hop
    finally:
        host.close()
        store.close()


AUTHORIZATION = "Basic " + base64.b64encode(b"admin:bench").decode()


def test_request(port: int, payload: bytes) -> bytes:
    """``POST /api/iop/test`` with ``payload``, encoded once for :class:`KeepAliveClient`."""
    return (f"POST /api/iop/test HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {AUTHORIZATION}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload


def start_host(settings: Path, data: Path, items: list[str]) -> tuple[subprocess.Popen, int]:
    """``iophost start`` in a subprocess on a free port, once ``items`` run: ``(process, port)``."""
    port = free_port()
    env = {**os.environ, "IOPHOST_PASSWORD": "bench"}
    server = subprocess.Popen([sys.executable, "-m", "iophost.cli", "start", "--settings", str(settings),
                               "--data", str(data), "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/iop", auth=("admin", "bench"), timeout=30)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if all(status.get("/status").json()["items"].get(item) == "running" for item in items):
                return server, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"iophost did not start {items} within 300 s")


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection sending pre-encoded requests (:func:`test_request`).

    ``http.client`` spends 0.3-0.5 ms of this machine's two cores on each call, time that would
    be counted as the host's; this client only writes the bytes and reads the framed answer.
    """

    def __init__(self, port: int, request: bytes) -> None:
        self._port, self._request = port, request
        self._buffer = bytearray(4 << 20)
        self._connect()

    def _connect(self) -> None:
        self._socket = socket.create_connection(("127.0.0.1", self._port), timeout=120)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def call(self, request: bytes | None = None) -> bytes:
        """Send ``request`` (else the one given at creation); return the answer's body
        (AssertionError unless it is a 200)."""
        try:
            return self._exchange(request or self._request)
        except ConnectionError:  # the server closed the connection after 5 s idle: as any client, connect again
            self._socket.close()
            self._connect()
            return self._exchange(request or self._request)

    def _exchange(self, request: bytes) -> bytes:
        # The answer is read into one reused buffer and copied out once: a 1 MB answer costs the
        # client a read or two, not the dozen copies of 1 MB that joining chunks would cost.
        self._socket.sendall(request)
        received = 0
        while (end := self._buffer.find(b"\r\n\r\n", 0, received)) < 0:
            received += self._receive(received)
        head = bytes(self._buffer[:end])
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        assert head.startswith(b"HTTP/1.1 200") and length, head
        total = end + 4 + int(length.group(1))
        if total > len(self._buffer):
            self._buffer.extend(bytes(total - len(self._buffer)))
        while received < total:
            received += self._receive(received)
        return bytes(memoryview(self._buffer)[end + 4:total])

    def _receive(self, offset: int) -> int:
        size = self._socket.recv_into(memoryview(self._buffer)[offset:])
        if not size:
            raise ConnectionError("the host closed the connection")
        return size


def over_http(folder: Path, count: int) -> tuple[list[float], float]:
    server, port = start_host(folder / "settings.py", folder / "http", ["Echo"])
    request = test_request(port, json.dumps({"target": "Echo", "classname": CLASSNAME, "body": BODY}).encode())
    try:
        local = threading.local()

        def call() -> bytes:
            if not hasattr(local, "client"):
                local.client = KeepAliveClient(port, request)
            return local.client.call()

        answer = json.loads(call())
        assert json.loads(answer["body"])["text"] == BODY["text"], answer  # the component did answer
        measured = latencies(call, count)
        rate = throughput(call, count, 8)
        return measured, rate
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args()
    tune_for_serving()
    folder = Path(tempfile.mkdtemp(prefix="iophost-bench-"))
    try:
        (folder / "settings.py").write_text(SETTINGS)
        direct = latencies(direct_call(), args.messages)
        inside, inside_rate, (echo, hop) = internal(folder, args.messages)
        web, web_rate = over_http(folder, args.messages)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    d50, d99 = percentile(direct, 0.5), percentile(direct, 0.99)
    report = {
        "cpus": os.cpu_count(), "messages": args.messages,
        "direct_ms": {"p50": round(d50, 3), "p99": round(d99, 3), "mean": round(statistics.mean(direct), 3)},
        "internal": {"msg_per_s": round(inside_rate), "p50_ms": round(percentile(inside, 0.5), 3),
                     "p99_ms": round(percentile(inside, 0.99), 3),
                     "added_p50_ms": round(percentile(inside, 0.5) - d50, 3),
                     "added_p99_ms": round(percentile(inside, 0.99) - d99, 3)},
        "process_hop": {"p50_ms": round(percentile(hop, 0.5), 3), "p99_ms": round(percentile(hop, 0.99), 3),
                        "added_p50_ms": round(percentile(hop, 0.5) - percentile(echo, 0.5), 3),
                        "added_p99_ms": round(percentile(hop, 0.99) - percentile(echo, 0.99), 3)},
        "http": {"msg_per_s": round(web_rate), "p50_ms": round(percentile(web, 0.5), 3),
                 "p99_ms": round(percentile(web, 0.99), 3),
                 "added_p50_ms": round(percentile(web, 0.5) - d50, 3),
                 "added_p99_ms": round(percentile(web, 0.99) - d99, 3)},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
