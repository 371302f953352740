"""HFOperation against a local stand-in for the hosted inference API on 127.0.0.1."""

from __future__ import annotations

import pytest

import bo
from mlcore.inference_api import InferenceAPIError, resolve_url
from msg import HFResponse
from support.components import call, started
from support.fake_inference_api import GPT2_ANSWER, FakeInferenceAPI


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
    assert response.payload == GPT2_ANSWER
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


def test_on_iris_the_key_comes_from_the_credentials_entry_the_setting_names(api_base, monkeypatch):
    import sys
    import types

    entries = {"huggingface": types.SimpleNamespace(Password="hf_stored_key")}
    store = types.SimpleNamespace(_OpenId=entries.get)
    monkeypatch.setitem(sys.modules, "iris", types.SimpleNamespace(cls={"Ens.Config.Credentials": store}.get))
    op = bo.HFOperation.__new__(bo.HFOperation)
    op.iris_handle, op.credentials, op.api_key, op.api_base, op.timeout = object(), "huggingface", "", "", ""
    op.on_init()
    op.on_hf_request(bo.HFRequest(api_url=api_base + "gpt2", payload="x"))
    assert FakeInferenceAPI.received[-1]["authorization"] == "Bearer hf_stored_key"
    op.credentials = "absent"
    with pytest.raises(ValueError, match="credentials='absent': no entry with a password of that ID"):
        op.on_init()


def test_on_the_local_host_a_credentials_setting_fails_the_start_saying_what_to_use():
    with pytest.raises(ValueError, match="credentials='huggingface': IRIS's credentials store exists only on IRIS; "
                                         "on the local host give the key as HF_TOKEN"):
        started(bo.HFOperation, "credentials=huggingface")


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
