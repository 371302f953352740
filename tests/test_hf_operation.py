"""HFOperation against a local stand-in for the hosted inference API on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import bo
from components import call, started
from mlcore.inference_api import InferenceAPIError, resolve_url
from msg import HFResponse


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
            "gpt2": (200, json.dumps([{"generated_text": "Can you please let us know more details"}]),
                     "application/json"),
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


@pytest.fixture(scope="module")
def api_base():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeInferenceAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/models/"
    server.shutdown()


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    FakeInferenceAPI.received.clear()
    monkeypatch.delenv("HF_TOKEN", raising=False)


def test_seed_request_posts_payload_with_bearer_key(api_base):
    op = started(bo.HFOperation)
    response = call(op, "msg.HFRequest", {"api_url": api_base + "gpt2",
                                          "payload": "Can you please let us know more details about your ",
                                          "api_key": "hf_request_key"})
    assert isinstance(response, HFResponse)
    assert response.payload == [{"generated_text": "Can you please let us know more details"}]
    sent = FakeInferenceAPI.received[-1]
    assert sent["path"] == "/models/gpt2"
    assert sent["authorization"] == "Bearer hf_request_key"
    assert sent["body"] == {"inputs": "Can you please let us know more details about your "}


def test_dict_payload_is_sent_as_is_and_model_id_uses_the_api_base(api_base):
    op = started(bo.HFOperation, f"api_base={api_base}")
    call(op, "msg.HFRequest", {"api_url": "gpt2", "payload": {"inputs": "Hi", "parameters": {"max_new_tokens": 5}},
                               "api_key": "k"})
    assert FakeInferenceAPI.received[-1]["body"] == {"inputs": "Hi", "parameters": {"max_new_tokens": 5}}
    assert FakeInferenceAPI.received[-1]["path"] == "/models/gpt2"


def test_key_from_settings_then_from_hf_token(api_base, monkeypatch):
    op = started(bo.HFOperation, "api_key=hf_settings_key")
    call(op, "msg.HFRequest", {"api_url": api_base + "gpt2", "payload": "x"})
    assert FakeInferenceAPI.received[-1]["authorization"] == "Bearer hf_settings_key"

    monkeypatch.setenv("HF_TOKEN", "hf_env_key")
    op = started(bo.HFOperation)
    call(op, "msg.HFRequest", {"api_url": api_base + "gpt2", "payload": "x", "api_key": "----------------------"})
    assert FakeInferenceAPI.received[-1]["authorization"] == "Bearer hf_env_key"


@pytest.mark.parametrize("model, pattern", [
    ("private", r"HTTP 401 .*API key is missing or invalid.*Invalid credentials"),
    ("missing", r"HTTP 404 .*no such model"),
    ("loading", r"HTTP 503 .*loading.*estimated_time=20.0s"),
    ("html", r"HTTP 200 .*not JSON.*maintenance"),
    ("other", r"HTTP 500"),
])
def test_http_errors_are_named(api_base, model, pattern):
    op = started(bo.HFOperation)
    with pytest.raises(InferenceAPIError, match=pattern):
        call(op, "msg.HFRequest", {"api_url": api_base + model, "payload": "x", "api_key": "k"})


def test_timeout_and_unreachable_are_named(api_base):
    op = started(bo.HFOperation, "timeout=0.3")
    with pytest.raises(InferenceAPIError, match=r"within 0.3 s \(timeout\)"):
        call(op, "msg.HFRequest", {"api_url": api_base + "slow", "payload": "x"})
    with pytest.raises(InferenceAPIError, match="could not reach"):
        call(op, "msg.HFRequest", {"api_url": "http://127.0.0.1:9/models/gpt2", "payload": "x"})
    # still serving afterwards
    assert call(op, "msg.HFRequest", {"api_url": api_base + "gpt2", "payload": "x"}).payload


def test_empty_url_is_refused(api_base):
    op = started(bo.HFOperation)
    with pytest.raises(ValueError, match="api_url is empty"):
        call(op, "msg.HFRequest", {"payload": "x"})


def test_url_forms():
    assert resolve_url("https://api-inference.huggingface.co/models/gpt2") == \
        "https://api-inference.huggingface.co/models/gpt2"
    assert resolve_url("gpt2") == "https://router.huggingface.co/hf-inference/models/gpt2"
    assert resolve_url("facebook/detr-resnet-50") == \
        "https://router.huggingface.co/hf-inference/models/facebook/detr-resnet-50"
