"""Serving on the real host (issue 13): a large answer travels as the text its worker wrote
(REST, store and portal alike), and MLOperation's batching hands queued requests to one pipeline
call while each keeps its own answer, error and trace."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from iophost.testing import HostProcess
from support import tiny_models
from support.host_settings import write_settings

LONG_TEXT = " ".join(["the food was good and the staff were friendly"] * 30)  # past 128 tokens
REVIEWS = ["great food", "cold soup and rude staff", "lovely evening", "the wine was fine"]
ITEMS = '''
production.operation("Embed", MLOperation, settings={{"%settings": "name=tiny-bert\\npath={models}\\n"
                     "task=feature-extraction"}})
production.operation("Classify", MLOperation, settings={{"%settings": "name=tiny-classifier\\npath={models}\\n"
                     "task=text-classification"}})
production.operation("Batched", MLOperation, settings={{"%settings": "name=tiny-classifier\\npath={models}\\n"
                     "task=text-classification\\nbatch_size=4\\nbatch_wait_ms=600000"}})
'''


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serving-host")
    models = folder / "models"
    tiny_models.build_fill_mask(models / "tiny-bert")
    tiny_models.build_text_classifier(models / "tiny-classifier")
    settings = write_settings(folder / "app", ITEMS.format(models=models))
    host = HostProcess(settings, folder / "var").start()
    yield host
    assert host.stop() == 0


def _test(host: HostProcess, target: str, body: dict) -> dict:
    answer = host.http.post("/test", json={"target": target, "classname": "msg.MLRequest", "body": body})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _session(host: HostProcess, session_id: int) -> list[dict]:
    return host.http.get(f"/sessions/{session_id}").json()["messages"]


def test_a_large_answer_arrives_byte_identical_through_rest_the_store_and_the_portal(host: HostProcess):
    answer = _test(host, "Embed", {"inputs": [LONG_TEXT] * 5, "truncation": True})
    text = answer["body"]
    assert len(text) > 200_000 and json.loads(text)["task"] == "feature-extraction"
    response_id = _session(host, answer["session_id"])[1]["id"]
    with sqlite3.connect(f"file:{host.data / 'iophost.db'}?mode=ro", uri=True) as db:
        stored = db.execute("SELECT body FROM iophost_message_header WHERE id = ?", (response_id,)).fetchone()[0]
    assert stored == text
    assert f'"body":{text}' in host.http.get(f"/messages/{response_id}").text
    assert f'"body":{text}' in host.http.get(f"{host.url}/portal/api/messages/{response_id}").text


def test_an_embedding_asked_as_tensors_answers_the_same_lists(host: HostProcess):
    plain = json.loads(_test(host, "Embed", {"inputs": "great food"})["body"])["output"]
    tensors = json.loads(_test(host, "Embed", {"inputs": "great food", "return_tensors": True})["body"])["output"]
    assert tensors == plain and isinstance(plain[0][0][0], float)


def _send_async(host: HostProcess, target: str, body: dict) -> int:
    sent = host.http.post("/test/async", json={"target": target, "classname": "msg.MLRequest", "body": body})
    assert sent.status_code == 202, sent.text
    return sent.json()["session_id"]


def _finished(host: HostProcess, sessions: list[int]) -> list[list[dict]]:
    """Each session's messages once every request has its response or its error."""
    def traces() -> list[list[dict]] | None:
        found = [_session(host, session_id) for session_id in sessions]
        return found if all(len(trace) == 2 or trace[0]["status"] == "Error" for trace in found) else None

    return host.wait_for(traces, 120.0)


def test_batched_requests_each_get_their_own_answer_and_trace(host: HostProcess):
    # batch_size=4 with a wait of 10 min: the batch goes out when the 4th request arrives, not on a clock.
    sessions = [_send_async(host, "Batched", {"inputs": review}) for review in REVIEWS]
    traces = _finished(host, sessions)
    for review, trace in zip(REVIEWS, traces, strict=True):
        request, response = trace
        assert request["body"] == {"inputs": review} and request["status"] == "Completed"
        alone = json.loads(_test(host, "Classify", {"inputs": review})["body"])["output"]
        assert response["body"]["output"][0]["label"] == alone[0]["label"]
        assert response["body"]["output"][0]["score"] == pytest.approx(alone[0]["score"], abs=1e-4)
    log = host.http.get("/log", params={"top": 500}).json()
    assert any(entry["text"] == "4 requests in one batch" and entry["session_id"] == sessions[0] for entry in log)


def test_one_bad_input_in_a_batch_fails_alone(host: HostProcess):
    bodies = [{"inputs": REVIEWS[0]}, {"inputs": LONG_TEXT}, {"inputs": REVIEWS[1]}, {"inputs": REVIEWS[2]}]
    traces = _finished(host, [_send_async(host, "Batched", body) for body in bodies])
    assert [trace[0]["status"] for trace in traces] == ["Completed", "Error", "Completed", "Completed"]
    assert "RuntimeError" in traces[1][0]["error_text"] and len(traces[1]) == 1  # as when sent alone
    assert all(trace[1]["body"]["output"][0]["label"].startswith("LABEL_") for trace in (traces[0], *traces[2:]))


def test_a_batch_size_that_is_not_a_number_is_refused_naming_the_setting(tmp_path: Path):
    models = tmp_path / "models"
    tiny_models.build_text_classifier(models / "tiny-classifier")
    settings = write_settings(tmp_path / "app", 'production.operation("Batched", MLOperation, settings={"%settings": '
                              f'"name=tiny-classifier\\npath={models}\\ntask=text-classification\\nbatch_size=many"}})\n')
    host = HostProcess(settings, tmp_path / "var").start()
    try:
        assert "setting batch_size='many': expected a whole number of at least 1" in host.status()["errors"]["Batched"]
    finally:
        host.stop()
