"""A local stand-in for the hosted inference API on 127.0.0.1: one canned answer or error per model."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: What the stand-in answers for the model ``gpt2``.
GPT2_ANSWER = [{"generated_text": "Can you please let us know more details"}]
#: The end of the internal service's long error page: an error text must not quote that far.
INTERNAL_TAIL = "db_url=postgresql://internal"


class FakeInferenceAPI(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        FakeInferenceAPI.received.append(
            {"path": self.path, "authorization": self.headers.get("Authorization"), "body": json.loads(body)})
        model = self.path.rsplit("/", 1)[-1]
        if model == "slow":
            time.sleep(2)
        status, payload, kind = {
            # a remote API that echoes the key back under another name
            "echo": (200, json.dumps({"seen": self.headers.get("Authorization")}), "application/json"),
            # a service of the internal network answering with a whole page of its own
            "internal": (500, "<html><pre>" + "config: internal-only line\n" * 400 + INTERNAL_TAIL + "</pre>",
                         "text/html"),
            "gpt2": (200, json.dumps(GPT2_ANSWER), "application/json"),
            "private": (401, json.dumps({"error": "Invalid credentials in Authorization header"}),
                        "application/json"),
            "missing": (404, "Not Found", "text/plain"),
            "loading": (503, json.dumps({"error": "Model gpt2 is currently loading", "estimated_time": 20.0}),
                        "application/json"),
            "html": (200, "<html>maintenance</html>", "text/html"),
        }.get(model, (500, "boom", "text/plain"))
        data = payload.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve_inference_api() -> Iterator[str]:
    """The stand-in on a free 127.0.0.1 port; its base URL (``.../models/``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeInferenceAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/models/"
    server.shutdown()
