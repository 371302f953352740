"""Secrets and hostile input on the real host (issue 14): credentials masked by exact name and by
value, never other fields; message classes only from the production; bad TrainRequest fields and
oversized answers refused with a 400 naming the field; files private; export masked; the error
text of an internal service cut short."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from iophost.testing import HostProcess
from support import reviews, tiny_models
from support.fake_inference_api import INTERNAL_TAIL
from support.host_settings import write_settings

SETTING_KEY = "hf_SettingKey0123456789"
REQUEST_KEY = "hf_RequestKey0123456789"
MASK = "********"
ITEMS = '''
from bo import TuningOperation
production.operation("Echo", EchoOperation)
production.operation("HuggingFace API", HFOperation, settings={{"%settings": "api_key={key}\\ntimeout=10"}})
production.operation("Tiny GPT2", MLOperation, settings={{"%settings":
                     "name=tiny-gpt2\\npath={gpt2}\\ntask=text-generation\\nmax_return_sequences=2"}})
production.operation("Tuning", TuningOperation, settings={{"%settings": "{tuning}"}})
'''


@pytest.fixture(scope="module")
def host(tmp_path_factory, tiny_gpt2: Path):
    folder = tmp_path_factory.mktemp("hostile-host")
    models = folder / "models"
    tiny_models.build_text_classifier(models / reviews.MODEL_NAME, num_labels=5,
                                      extra_corpus=[text for _, text in reviews.review_rows()])
    db_url = reviews.fill_reviews(f"sqlite:///{folder / 'iris.sqlite'}", reviews.review_rows())
    tuning = f"path={models}\\nmodel_name={reviews.MODEL_NAME}\\ndb_url={db_url}\\nmeasure_energy=false"
    settings = write_settings(folder / "app", ITEMS.format(key=SETTING_KEY, gpt2=tiny_gpt2.parent, tuning=tuning))
    running = HostProcess(settings, folder / "var").start()
    running.models = models
    yield running
    running.stop()


def _test(host: HostProcess, target: str, classname: str, body: dict):
    return host.http.post("/test", json={"target": target, "classname": classname, "body": body})


def _stored(host: HostProcess, session_id: int) -> list[dict]:
    return host.http.get(f"/sessions/{session_id}").json()["messages"]


def _log(host: HostProcess) -> str:
    return json.dumps(host.http.get("/log", params={"top": 2000}).json())


def test_only_credential_fields_are_masked_and_a_masked_request_resends(host: HostProcess):
    answer = _test(host, "Tiny GPT2", "msg.MLRequest", {"text_inputs": "hello", "max_new_tokens": 3})
    assert answer.status_code == 200, answer.text
    request = _stored(host, answer.json()["session_id"])[0]
    assert request["body"] == {"text_inputs": "hello", "max_new_tokens": 3}
    sent = _test(host, "Echo", "support.host_components.EchoRequest", {"text": "again", "api_key": REQUEST_KEY})
    stored = _stored(host, sent.json()["session_id"])[0]
    assert stored["body"]["api_key"] == MASK and stored["body"]["text"] == "again"
    resent = host.http.post(f"{host.url}/portal/messages/{stored['id']}/resend", follow_redirects=False)
    session_id = int(re.search(r"/portal/trace/(\d+)", resent.headers["location"]).group(1))
    request, response = host.wait_for(lambda: len(_stored(host, session_id)) == 2 and _stored(host, session_id))
    assert request["status"] == "Completed" and response["body"]["text"] == "echo again"
    assert "api_key" not in request["body"]  # left out: the component falls back on its own setting


def test_a_short_credential_value_does_not_mask_that_word_in_later_log_lines(host: HostProcess):
    answer = _test(host, "HuggingFace API", "msg.HFRequest", {"api_url": "http://127.0.0.1:9/models/x",
                                                              "payload": "x", "api_key": "started"})
    assert answer.status_code == 500
    assert host.http.post("/component/restart", json={"component": "Echo"}).status_code == 200
    assert "Echo started" in _log(host)


def test_keys_echoed_back_and_url_credentials_are_masked_in_bodies_errors_and_log(host: HostProcess, api_base):
    echoed = _test(host, "HuggingFace API", "msg.HFRequest", {"api_url": api_base + "echo", "payload": "x",
                                                              "api_key": REQUEST_KEY})
    assert echoed.status_code == 200
    request, response = _stored(host, echoed.json()["session_id"])
    assert response["body"]["payload"] == {"seen": f"Bearer {MASK}"}
    with_password = api_base.replace("http://", "http://user:pa55word-secret@") + "missing"
    failed = _test(host, "HuggingFace API", "msg.HFRequest", {"api_url": with_password, "payload": "x"})
    assert failed.status_code == 500 and "HTTP 404" in failed.json()["error"]
    request = _stored(host, failed.json()["session_id"])[0]
    assert f"user:{MASK}@" in request["error_text"] and "pa55word" not in json.dumps(request)
    host.http.get("/log", params={"top": 1})  # reads flush the store's pending writes
    stored = b"".join(path.read_bytes() for path in host.data.glob("iophost.db*"))
    for secret in (REQUEST_KEY, SETTING_KEY, "pa55word-secret"):
        assert secret.encode() not in stored and secret not in _log(host)


@pytest.mark.parametrize("classname", ["this.x", "torch.Tensor", "..x", "os.system", "msg", "bo.HFOperation"])
def test_message_classes_come_only_from_the_productions_modules(host: HostProcess, classname: str):
    refused = _test(host, "Echo", classname, {})
    assert refused.status_code == 400 and "error" in refused.json()
    maps = Path(f"/proc/{host.proc.pid}/maps").read_text()
    assert "torch" not in maps  # nothing was imported into the host
    assert "Zen of Python" not in host.output.read_text()


def test_a_message_the_target_has_no_handler_for_is_a_clear_400(host: HostProcess):
    refused = _test(host, "Echo", "msg.OverrideRequest", {})
    assert refused.status_code == 400
    assert "EchoOperation has no handler for msg.OverrideRequest (it handles: support.host_components.EchoRequest)" in (
        refused.json()["error"])


@pytest.mark.parametrize(("fields", "message"), [
    ({"output_dir": "/etc/x"}, "output_dir must be a folder under the model path"),
    ({"output_dir": "../../.."}, "output_dir must be a folder under the model path"),
    ({"limit": "1e3"}, "limit must be a whole number from 1 to 2147483647, got '1e3'"),
    ({"limit": 1e30}, "limit must be a whole number"),
    ({"limit": True}, "limit must be a whole number from 1 to 2147483647, got True"),
    ({"learning_rate": "abc"}, "learning_rate must be a number, got 'abc'"),
    ({"num_train_epochs": -1}, "num_train_epochs must be above 0, got -1"),
    ({"num_train_epochs": 1e9}, "num_train_epochs must be at most 100 (the max_epochs setting)"),
])
def test_bad_train_request_fields_are_a_400_naming_the_field_and_nothing_is_saved(host: HostProcess, fields,
                                                                                   message):
    body = {"columns": "ReviewLabel,ReviewText", "table": "iris.Review", "limit": 20, **fields}
    refused = _test(host, "Tuning", "msg.TrainRequest", body)
    assert refused.status_code == 400 and message in refused.json()["error"]
    assert sorted(p.name for p in host.models.iterdir()) == [reviews.MODEL_NAME]


def test_an_answer_larger_than_the_limits_is_a_400_naming_the_field(host: HostProcess):
    refused = _test(host, "Tiny GPT2", "msg.MLRequest", {"text_inputs": "hi", "num_return_sequences": 1e6})
    assert refused.status_code == 400
    assert "num_return_sequences must be a whole number from 1 to 2 (the max_return_sequences setting)" in (
        refused.json()["error"])


def test_portal_override_of_an_unknown_item_is_a_clear_error_not_a_500(host: HostProcess):
    response = host.http.post(f"{host.url}/portal/training/Nobody/override", follow_redirects=False)
    assert response.status_code == 303 and "error=" in response.headers["location"]
    assert "Nobody" in unquote_plus(response.headers["location"])


def test_data_files_are_private_and_the_export_masks_secret_settings(host: HostProcess):
    files = list(host.data.glob("iophost.db*"))
    assert files and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)
    exported = host.http.get("/export").text
    assert SETTING_KEY not in exported and f"api_key={MASK}" in exported
    cli = host.iop("--export", "test.Production")
    assert SETTING_KEY not in cli.stdout + cli.stderr


def test_an_internal_services_error_page_is_not_copied_into_the_error_text(host: HostProcess, api_base):
    failed = _test(host, "HuggingFace API", "msg.HFRequest", {"api_url": api_base + "internal", "payload": "x"})
    error = failed.json()["error"]
    assert failed.status_code == 500 and "HTTP 500" in error and "characters)" in error
    assert INTERNAL_TAIL not in error and len(error) < 600
