"""Stopping the real host: a signal to its whole process group (Ctrl-C, systemd, ``timeout``)
stops it as cleanly as a signal to the host alone."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from iophost.store import MessageStore
from iophost.testing import HostProcess
from support.checkout import ROOT
from support.host_settings import write_settings

ECHO = "support.host_components.EchoRequest"
#: Loose: a clean stop of this production takes a few seconds; the bug it guards took 30 to 60.
STOP_BOUND = 25.0


def _echo_host(folder: Path, teardown: Path) -> HostProcess:
    settings = write_settings(folder / "app", f'production.operation("Echo", EchoOperation, settings={{'
                                              f'"%settings": "teardown_file={teardown}"}}).pool(2)\n')
    return HostProcess(settings, folder / "var")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_the_hosts_process_group_finishes_queued_messages_and_tears_down(tmp_path: Path, signum: int):
    teardown = tmp_path / "teardown.txt"
    host = _echo_host(tmp_path, teardown).start(new_session=True)
    workers = host.status()["workers"]["Echo"]
    release = tmp_path / "release"
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(host.http.post, "/test", json={"target": "Echo", "classname": ECHO,
                                                             "body": {"text": "sync", "wait_for": str(release)}})
        host.wait_for(lambda: host.http.get("/messages", params={"status": "Delivered"}).json()["total"] == 1,
                      what="the synchronous request to be in flight")
        sent = [host.http.post("/test/async", json={"target": "Echo", "classname": ECHO,
                                                    "body": {"text": str(n), "delay": 0.5}}).json() for n in range(6)]
        started = time.monotonic()
        os.killpg(host.proc.pid, signum)
        release.touch()
        answer = waiting.result(STOP_BOUND)
        code = host.proc.wait(STOP_BOUND + 30)
        elapsed = time.monotonic() - started
    assert answer.status_code == 200 and "echo sync" in answer.json()["body"], "the request in flight was answered"
    output = host.output.read_text()
    assert code == 0 and elapsed < STOP_BOUND, (code, elapsed, output)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert sorted(teardown.read_text().split()) == sorted(map(str, workers)), \
        "each worker ran on_tear_down once, and none was restarted"
    store = MessageStore(f"sqlite:///{host.data / 'iophost.db'}")
    try:
        assert [store.message(m["message_id"])["status"] for m in sent] == ["Completed"] * 6
        texts = [entry["text"] for entry in store.log_entries(top=200)]
    finally:
        store.close()
    assert not any("restarting" in text or "exited" in text for text in texts), texts
    assert not (host.data / "iophost.pid").exists(), "a clean stop releases the data folder"


def test_an_idle_host_stops_on_a_group_sigterm_within_a_few_seconds(tmp_path: Path):
    teardown = tmp_path / "teardown.txt"
    host = _echo_host(tmp_path, teardown).start(new_session=True)
    started = time.monotonic()
    os.killpg(host.proc.pid, signal.SIGTERM)
    code = host.proc.wait(STOP_BOUND + 30)
    assert code == 0 and time.monotonic() - started < 10.0, host.output.read_text()
    assert len(teardown.read_text().split()) == 2


def test_a_second_ctrl_c_during_the_stop_does_not_break_it_off(tmp_path: Path):
    teardown, release = tmp_path / "teardown.txt", tmp_path / "release"
    host = _echo_host(tmp_path, teardown).start(new_session=True)
    held = host.http.post("/test/async", json={"target": "Echo", "classname": ECHO,
                                               "body": {"text": "held", "wait_for": str(release)}}).json()
    os.killpg(host.proc.pid, signal.SIGINT)
    host.wait_for(lambda: "iophost: stopping" in host.output.read_text(), what="the stop to begin")
    os.killpg(host.proc.pid, signal.SIGINT)
    host.wait_for(lambda: "already stopping" in host.output.read_text(), what="the second Ctrl-C to be noted")
    release.touch()
    code = host.proc.wait(STOP_BOUND + 30)
    output = host.output.read_text()
    assert code == 0 and "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert len(teardown.read_text().split()) == 2
    store = MessageStore(f"sqlite:///{host.data / 'iophost.db'}")
    try:
        assert store.message(held["message_id"])["status"] == "Completed"
    finally:
        store.close()


def test_a_sigterm_while_the_host_starts_stops_it_cleanly_once_started(tmp_path: Path):
    """systemd or a script may stop the host while settings.py is still being imported: it used to
    die there (exit 143, its lock left behind); now it finishes starting, serves nothing, and stops."""
    loading, release = tmp_path / "loading", tmp_path / "release"
    settings = write_settings(tmp_path / "app", "production.operation('Echo', EchoOperation)\n")
    settings.write_text(f"import pathlib, time\npathlib.Path({str(loading)!r}).touch()\n"
                        f"while not pathlib.Path({str(release)!r}).exists():\n    time.sleep(0.02)\n"
                        + settings.read_text())
    host = HostProcess(settings, tmp_path / "var")
    host.output = tmp_path / "host.out"
    with open(host.output, "wb") as out:
        host.proc = subprocess.Popen(host.command(), env=host.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        host.wait_for(loading.exists, what="settings.py to be imported")
        host.proc.send_signal(signal.SIGTERM)
        release.touch()
        code = host.proc.wait(STOP_BOUND)
    finally:
        if host.proc.poll() is None:
            host.proc.kill()
    output = host.output.read_text()
    assert code == 0 and "iophost: stopped" in output and "Traceback" not in output, (code, output)
    assert not (host.data / "iophost.pid").exists(), "the data folder is released"
