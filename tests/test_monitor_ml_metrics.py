"""The ML items' metrics on ``/api/monitor/metrics`` (issue 27), on the real host core in this
process: the model each item serves, with the model cache's download record when there is one,
and the trainings' runs, seconds and kWh from the stored TrainResponses."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from iophost.host import Host
from iophost.testing import wait_for
from mlcore.model_cache.record import RECORD_NAME, DownloadRecord, write_record
from support.portal_host import make_app


def samples(client: TestClient) -> list:
    answer = client.get("/api/monitor/metrics")
    assert answer.status_code == 200
    return [s for family in text_string_to_metric_families(answer.text) for s in family.samples]


def test_the_model_each_item_serves_and_its_trainings_are_metrics(portal_host: Host, model_root: Path) -> None:
    write_record(model_root / "tiny-gpt2", DownloadRecord(repo_id="tests/tiny-gpt2", revision="main", commit="c0ffee"))
    try:
        client = TestClient(make_app(portal_host))
        portal_host.start_production()
        portal_host.call("Tuning", "msg.TrainRequest", {}, timeout=60)
        found = samples(client)
    finally:  # the tiny models are shared by the session's tests
        (model_root / "tiny-gpt2" / RECORD_NAME).unlink()
    models = {s.labels["host"]: s.labels for s in found if s.name == "iophost_model_info"}
    assert models["Tiny gpt2"] == {"production": "test.Production", "host": "Tiny gpt2", "model": "tiny-gpt2",
                                   "repository": "tests/tiny-gpt2", "revision": "main", "commit": "c0ffee",
                                   "modified": models["Tiny gpt2"]["modified"], "source": "download"}
    runs = {s.labels["status"]: s.value for s in found if s.name == "iophost_training_runs"}
    assert runs["Completed"] == 1 and runs["Error"] == 0
    energy = next(s.value for s in found if s.name == "iophost_training_energy_kwh")
    seconds = next(s.value for s in found if s.name == "iophost_training_seconds")
    assert energy == 0.00042 and seconds == pytest.approx(6 * 0.2)  # the fixture's steps=6, pause=0.2


def test_the_monitor_view_counts_what_the_metrics_count(portal_host: Host) -> None:
    client = TestClient(make_app(portal_host))
    portal_host.start_production()
    for text in ("a", "b"):
        portal_host.call("Echo", "msg.MLRequest", {"inputs": text})
    view = wait_for(lambda: client.get("/portal/api/monitor", auth=("portal-admin", "s3cret-portal")).json())
    echo = next(item for item in view["items"] if item["name"] == "Echo")
    assert (echo["state"], echo["completed"], echo["errors"], echo["queued"], echo["in_flight"]) == (
        "running", 2, 0, 0, 0)
    assert sum(done for done, _ in echo["series"]) == 2 and len(echo["series"]) == 60
    assert 0 < echo["p50"] <= echo["p99"]
    histogram = next(s.value for s in samples(client) if s.name == "iophost_message_processing_seconds_count"
                     and s.labels["host"] == "Echo")
    assert histogram == 2
