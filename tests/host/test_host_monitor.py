"""Watching the production as on IRIS (issue 27): ``/api/monitor/metrics`` scraped and parsed with
``prometheus_client``'s own parser after real messages, liveness and readiness while an item's
on_init is still running."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from iophost.testing import HostProcess
from support.host_settings import write_settings

ECHO = "support.host_components.EchoRequest"
PRODUCTION = "test.Production"
ITEMS = '''
from support.host_components import BatchEchoOperation
production.operation("Echo", EchoOperation)
production.operation("Batched", BatchEchoOperation)
production.operation("Off", QuietEchoOperation).disable()
'''


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    folder = tmp_path_factory.mktemp("monitor-host")
    host = HostProcess(write_settings(folder / "app", ITEMS), folder / "var").start()
    yield host
    assert host.stop() == 0


def scrape(host: HostProcess) -> dict[str, dict[tuple, float]]:
    """Every sample of ``/api/monitor/metrics`` (read without credentials, IRIS's default), by
    sample name and then by its labels as sorted pairs."""
    answer = httpx.get(f"{host.url}/api/monitor/metrics")
    assert answer.status_code == 200, answer.text
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples[name][tuple(sorted(labels.items()))]


def scraped_when(host: HostProcess, name: str, labels: dict[str, str], wanted: float) -> dict | None:
    """A scrape in which sample ``name`` with ``labels`` has the ``wanted`` value, else None."""
    samples = scrape(host)
    return samples if value(samples, name, **labels) == wanted else None


def send(host: HostProcess, target: str, body: dict) -> httpx.Response:
    return host.http.post("/test", json={"target": target, "classname": ECHO, "body": body})


def test_the_metrics_carry_irises_names_and_labels_and_count_every_message(host: HostProcess):
    before = scrape(host)
    assert value(before, "iris_interop_hosts", id="IRISAPP", production=PRODUCTION, status="OK") == 2
    assert value(before, "iris_interop_hosts", id="IRISAPP", production=PRODUCTION, status="Disabled") == 1
    for text in ("a", "b", "fail"):
        send(host, "Echo", {"text": text})
    after = scrape(host)
    where = {"id": "IRISAPP", "host": "Echo", "production": PRODUCTION}
    assert value(after, "iris_interop_messages", **where) == 3
    assert value(after, "iris_interop_queued", **where) == 0
    activity = {**where, "hosttype": "operation", "messagetype": ECHO}
    assert value(after, "iris_interop_sample_count", **activity) == 3
    assert value(after, "iris_interop_sample_count_per_sec", **activity) == pytest.approx(3 / 60)
    assert 0 < value(after, "iris_interop_avg_processing_time", **activity) < 5
    assert value(after, "iris_interop_avg_queueing_time", **activity) >= 0
    own = {"production": PRODUCTION, "host": "Echo", "messagetype": ECHO}
    assert value(after, "iophost_message_processing_seconds_count", **own) == 3
    assert value(after, "iophost_message_processing_seconds_bucket", **own, le="+Inf") == 3
    assert value(after, "iophost_messages_errored", **own) == 1
    assert value(after, "iophost_item_state", production=PRODUCTION, host="Off", state="disabled") == 1


def test_the_queue_gauge_rises_while_an_item_is_busy_and_falls_after(host: HostProcess, tmp_path: Path):
    release = tmp_path / "release"
    echo = {"production": PRODUCTION, "host": "Echo"}
    with ThreadPoolExecutor(3) as pool:
        # One held by the item's only worker, two queued behind it.
        answers = [pool.submit(send, host, "Echo", {"text": str(n), "wait_for": str(release)}) for n in range(3)]
        busy = host.wait_for(lambda: scraped_when(host, "iophost_queued_messages", echo, 2), 30, "two queued")
        assert value(busy, "iophost_in_flight_messages", **echo) == 1
        assert value(busy, "iris_interop_queued", id="IRISAPP", **echo) == 2
        release.touch()
        assert [answer.result(60).status_code for answer in answers] == [200] * 3
    idle = host.wait_for(lambda: scraped_when(host, "iophost_in_flight_messages", echo, 0), 10, "none in flight")
    assert value(idle, "iophost_queued_messages", **echo) == 0


def test_a_batched_items_batch_sizes_are_counted(host: HostProcess):
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda n: send(host, "Batched", {"text": str(n)}), range(3)))
    assert [answer.status_code for answer in answers] == [200] * 3
    samples = scrape(host)
    batched = {"production": PRODUCTION, "host": "Batched"}
    assert value(samples, "iophost_batch_size_count", **batched) == 1
    assert value(samples, "iophost_batch_size_sum", **batched) == 3


def test_a_worker_restart_is_counted_and_the_counts_survive_it(host: HostProcess):
    import os
    import signal

    echo = {"production": PRODUCTION, "host": "Echo"}
    before = scrape(host)
    (pid,) = host.status()["workers"]["Echo"]
    os.kill(pid, signal.SIGKILL)
    host.wait_for(lambda: host.status()["workers"].get("Echo") not in (None, [], [pid]), 60, "the worker's restart")
    after = scrape(host)
    assert value(after, "iophost_worker_restarts", **echo) == value(before, "iophost_worker_restarts", **echo) + 1
    assert value(after, "iris_interop_messages", id="IRISAPP", **echo) == value(
        before, "iris_interop_messages", id="IRISAPP", **echo)


def test_readiness_names_the_item_whose_on_init_runs_until_it_is_done(tmp_path: Path):
    started = tmp_path / "model-loaded"
    items = (f'from support.host_components import SlowStartOperation\n'
             f'production.operation("Slow", SlowStartOperation, settings={{"%settings": "start_when={started}"}})\n'
             f'production.operation("Echo", EchoOperation)\n')
    host = HostProcess(write_settings(tmp_path / "app", items), tmp_path / "var")
    host.env["IOPHOST_MONITOR_ACCESS"] = "password"
    host.start(wait_items=False)
    try:
        monitor = f"{host.url}/api/monitor"
        assert httpx.get(f"{monitor}/ready").status_code == 401
        live = host.http.get(f"{monitor}/health")
        assert live.status_code == 200 and live.json()["status"] == "up"
        # Echo becomes ready on its own; Slow stays not ready as long as its on_init runs.
        waiting = host.wait_for(lambda: (r := host.http.get(f"{monitor}/ready")).status_code == 503
                                and set(r.json()["not_ready"]) == {"Slow"} and r, 30, "only Slow not ready")
        assert waiting.json()["status"] == "not ready"
        assert waiting.json()["not_ready"]["Slow"].startswith("starting: on_init has not finished")
        started.touch()
        ready = host.wait_for(lambda: (r := host.http.get(f"{monitor}/ready")).status_code == 200 and r, 30, "ready")
        assert ready.json() == {"status": "ready", "production": PRODUCTION, "not_ready": {}}
        assert httpx.get(f"{monitor}/metrics").status_code == 401
    finally:
        assert host.stop() == 0
