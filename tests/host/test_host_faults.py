"""Faults: a worker killed mid-request, a host killed and started again."""

from __future__ import annotations

import contextlib
import os
import signal

import pytest

from iophost.testing import HostProcess
from support.host_settings import write_settings

ECHO = 'production.operation("Echo", EchoOperation)\n'
SLOW = {"target": "Echo", "classname": "support.host_components.EchoRequest", "body": {"text": "slow", "delay": 30}}
QUICK = {"target": "Echo", "classname": "support.host_components.EchoRequest", "body": {"text": "quick"}}


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults-host")
    host = HostProcess(write_settings(folder / "app", ECHO), folder / "var").start()
    yield host
    host.stop(signal.SIGKILL)


def _status_of(host: HostProcess, message_id: int) -> str:
    return host.http.get(f"/messages/{message_id}").json()["status"]


def test_worker_killed_mid_request_fails_that_message_and_is_restarted(host: HostProcess):
    sent = host.http.post("/test/async", json=SLOW).json()
    host.wait_for(lambda: _status_of(host, sent["message_id"]) == "Delivered", what="delivery")
    (pid,) = host.status()["workers"]["Echo"]
    os.kill(pid, signal.SIGKILL)
    message = host.wait_for(lambda: (m := host.http.get(f"/messages/{sent['message_id']}").json())["status"] == "Error"
                            and m, what="the message to end in Error")
    assert f"worker process {pid} of Echo died (exit code -9) while processing message" in message["error_text"]
    assert message["is_error"] and message["time_processed"]
    answer = host.http.post("/test", json=QUICK)
    assert answer.status_code == 200 and 'echo quick' in answer.json()["body"]
    assert host.status()["workers"]["Echo"] != [pid]
    log = host.http.get("/log", params={"top": 50}).json()
    assert any("died" in entry["text"] and entry["session_id"] == sent["session_id"] for entry in log)


def test_host_killed_and_restarted_aborts_unfinished_messages_and_logs_the_restart(host: HostProcess):
    sent = host.http.post("/test/async", json=SLOW).json()
    host.wait_for(lambda: _status_of(host, sent["message_id"]) == "Delivered", what="delivery")
    workers = host.status()["workers"]["Echo"]
    host.stop(signal.SIGKILL)
    for pid in workers:  # the worker notices its host is gone once its sleep ends; do not wait for it
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    host.start()
    message = host.http.get(f"/messages/{sent['message_id']}").json()
    assert message["status"] == "Aborted" and message["is_error"]
    assert "host stopped before this message was finished" in message["error_text"]
    texts = [entry["text"] for entry in host.http.get("/log", params={"top": 20}).json()]
    assert any("host restarted after an unclean stop; 1 unfinished message(s) marked Aborted" in t for t in texts)
    assert host.http.post("/test", json=QUICK).status_code == 200


def test_iop_kill_aborts_the_message_in_flight_and_start_serves_again(host: HostProcess):
    sent = host.http.post("/test/async", json=SLOW).json()
    host.wait_for(lambda: _status_of(host, sent["message_id"]) == "Delivered", what="delivery")
    assert host.iop("--kill").returncode == 0
    assert host.status()["status"] == "stopped"
    message = host.http.get(f"/messages/{sent['message_id']}").json()
    assert message["status"] == "Aborted" and "killed while processing" in message["error_text"]
    assert host.iop("--start", "test.Production", "--detach").returncode == 0
    assert host.http.post("/test", json=QUICK).status_code == 200


CHAIN = '''\
from support.host_components import QuietForwardProcess
router = production.process("Router", QuietForwardProcess)
echo = production.operation("Echo", EchoOperation)
production.connect(router.Output, echo)
'''


def test_host_killed_mid_chain_aborts_the_request_and_its_hop(tmp_path):
    # The hop's request is written behind (not committed before delivery): it is still saved
    # before the outcome of the request that sent it, so a crash leaves no chain half-finished.
    host = HostProcess(write_settings(tmp_path / "app", CHAIN), tmp_path / "var").start()
    try:
        sent = host.http.post("/test/async", json={**SLOW, "target": "Router"}).json()
        session = f"/sessions/{sent['session_id']}"
        host.wait_for(lambda: [m["status"] for m in host.http.get(session).json()["messages"]] == ["Delivered"] * 2,
                      what="the request and its hop to be delivered")
        workers = [pid for pids in host.status()["workers"].values() for pid in pids]
        host.stop(signal.SIGKILL)
        for pid in workers:  # a worker may already have ended with its host
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        host.start()
        request, hop = host.http.get(session).json()["messages"]
        assert (request["target_config_name"], hop["source_config_name"], hop["target_config_name"]) == \
            ("Router", "Router", "Echo")
        assert request["status"] == hop["status"] == "Aborted"
        answer = host.http.post("/test", json={**QUICK, "target": "Router"})
        assert answer.status_code == 200 and "echo quick" in answer.json()["body"]
        assert [m["status"] for m in host.http.get(f"/sessions/{answer.json()['session_id']}").json()["messages"]] \
            == ["Completed"] * 4
    finally:
        host.stop(signal.SIGKILL)
