"""How the host hands messages to an item's worker processes (the host core, in this process)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from iophost.errors import StateError
from iophost.host import Host
from iophost.loader import ComponentSpec
from iophost.store import MessageStore
from iophost.testing import wait_for
from iophost.worker import child_process
from iophost.worker.host_pool import ItemWorkers, Job, Outcome
from support.host_settings import write_settings

ECHO = "support.host_components.EchoRequest"


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    settings = write_settings(tmp_path / "app", 'production.operation("Echo", EchoOperation).pool(2)\n'
                                                'production.operation("One", EchoOperation)\n')
    store = MessageStore(f"sqlite:///{tmp_path / 'store.db'}")
    host = Host(settings, store, data_dir=tmp_path / "var")
    host.start_production()
    yield host
    host.close()
    store.close()


def test_sequential_messages_stay_on_the_worker_that_just_answered(host: Host):
    pids = {host.call("Echo", ECHO, {"text": str(n)})[1].response_body["pid"] for n in range(20)}
    assert len(pids) == 1 and pids <= set(host.worker_pids()["Echo"]), "the warm worker takes the next message"


def test_a_worker_lets_its_idle_openmp_threads_sleep_soon_unless_the_environment_says(host: Host, monkeypatch):
    # GNU OpenMP's default spin kept a core busy ~8 ms after each message (docs/serving.md)
    assert host.call("Echo", ECHO, {"text": "env:GOMP_SPINCOUNT"})[1].response_body["text"] == "30000"
    for name, value in (("GOMP_SPINCOUNT", "5"), ("OMP_WAIT_POLICY", "ACTIVE")):  # the user's choice stands
        monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
        monkeypatch.setenv(name, value)
        child_process.spin_briefly()
        assert os.environ.get("GOMP_SPINCOUNT") == ("5" if name == "GOMP_SPINCOUNT" else None)


def test_each_worker_of_a_pool_gets_its_share_of_the_cores_for_openmp_unless_the_environment_says(
        host: Host, monkeypatch):
    # two workers of one thread per core each, on two cores: 3.5x fewer messages/s (docs/serving.md)
    given = os.environ.get("OMP_NUM_THREADS")
    share = given or str(max(1, child_process.available_cores() // 2))
    assert host.call("Echo", ECHO, {"text": "env:OMP_NUM_THREADS"})[1].response_body["text"] == share
    assert host.call("One", ECHO, {"text": "env:OMP_NUM_THREADS"})[1].response_body["text"] == (given or "")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's choice stands
    child_process.share_cores(2)
    assert os.environ["OMP_NUM_THREADS"] == "3"


def test_messages_beyond_the_pool_wait_in_the_queue_and_all_complete_in_order(host: Host):
    sent = [host.send("One", ECHO, {"text": str(n), "delay": 0.1}) for n in range(4)]
    assert host.backlog("One") >= 2, "one message in the worker, the others queued"
    outcomes = [message.outcome.result(20) for message in sent]
    assert [o.response_body["text"] for o in outcomes] == [f"echo {n}" for n in range(4)]
    assert host.backlog("One") == 0


def test_stopping_lets_queued_messages_finish_then_refuses_new_ones(host: Host):
    sent = [host.send("One", ECHO, {"text": str(n), "delay": 0.2}) for n in range(3)]
    host.stop_item("One")
    assert [m.outcome.result(0).status for m in sent] == ["Completed"] * 3
    assert host.item_states()["One"] == "stopped"
    with pytest.raises(StateError, match="One is not running"):
        host.send("One", ECHO, {"text": "late"})


def test_a_worker_that_dies_while_idle_is_restarted_at_once_and_the_next_message_is_served(host: Host):
    (pid,) = host.worker_pids()["One"]
    os.kill(pid, signal.SIGKILL)
    new_pid = wait_for(lambda: [p for p in host.worker_pids()["One"] if p != pid], 20.0, "a new worker process")
    assert host.call("One", ECHO, {"text": "after"})[1].response_body["pid"] == new_pid[0]
    log = [entry["text"] for entry in host.store.log_entries(top=20)]
    assert any(f"worker process {pid} of One exited (exit code -9); restarting it" in text for text in log)


def _gone(pid: int) -> bool:
    """The process has exited (a zombie or reaped): its end of the pipe is closed."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_messages_sent_right_after_an_idle_worker_died_go_to_the_restarted_worker(host: Host):
    (pid,) = host.worker_pids()["One"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: _gone(pid), 10.0, "the worker to exit")
    sent = [host.send("One", ECHO, {"text": str(n)}) for n in range(3)]  # the host may not have noticed yet
    outcomes = [message.outcome.result(30) for message in sent]
    assert [o.status for o in outcomes] == ["Completed"] * 3, [o.error for o in outcomes]
    assert {o.response_body["pid"] for o in outcomes} == set(host.worker_pids()["One"]) != {pid}


class _Log:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def worker_log(self, item: str, type: str, text: str, **_where: object) -> None:
        self.texts.append(text)


def test_a_worker_that_dies_while_its_item_stops_is_not_restarted():
    log = _Log()
    pool = ItemWorkers(ComponentSpec("Echo", "support.host_components", "EchoOperation"), 2, log)
    assert pool.wait_started(60) == "running"
    outcomes: list[Outcome] = []
    pool.submit(Job(1, 1, ECHO, {"text": "slow", "delay": 2}, finish=outcomes.append))
    stopping = threading.Thread(target=pool.stop)
    stopping.start()
    wait_for(lambda: pool.winding_down, 5.0, "the stop to begin")
    idle = next(worker for worker in pool.workers if worker.job is None)
    os.kill(idle.pid, signal.SIGKILL)
    stopping.join(30)
    assert [o.status for o in outcomes] == ["Completed"], "the message in flight finished"
    assert pool.state == "stopped" and not any("restarting it" in text for text in log.texts), log.texts
    assert any(f"worker process {idle.pid} of Echo exited (exit code -9); the item is stopping" in text
               for text in log.texts)


def test_a_message_sent_to_an_item_being_stopped_ends_aborted_and_the_queue_it_found_completes(tmp_path: Path):
    release = tmp_path / "release"
    pool = ItemWorkers(ComponentSpec("Echo", "support.host_components", "EchoOperation"), 1, _Log())
    assert pool.wait_started(60) == "running"
    outcomes: dict[int, Outcome] = {}
    for n in (1, 2):  # one held by the worker, one queued behind it
        pool.submit(Job(n, n, ECHO, {"text": str(n), "wait_for": str(release)},
                        finish=lambda outcome, n=n: outcomes.__setitem__(n, outcome)))
    stopping = threading.Thread(target=pool.stop)
    stopping.start()
    wait_for(lambda: pool.winding_down, 5.0, "the stop to begin")
    pool.submit(Job(3, 3, ECHO, {"text": "late"}, finish=lambda outcome: outcomes.__setitem__(3, outcome)))
    release.touch()
    stopping.join(30)
    assert [outcomes[n].status for n in (1, 2, 3)] == ["Completed", "Completed", "Aborted"]
    assert outcomes[3].error == "Echo was stopped before this message was delivered"


def test_killing_the_production_aborts_what_is_in_flight_and_queued(host: Host):
    sent = [host.send("One", ECHO, {"text": str(n), "delay": 5}) for n in range(2)]
    wait_for(lambda: host.store.message(sent[0].message_id)["status"] == "Delivered", 20.0, "delivery")
    host.kill_production()
    assert [m.outcome.result(10).status for m in sent] == ["Aborted", "Aborted"]
    host.store.flush()
    assert {host.store.message(m.message_id)["status"] for m in sent} == {"Aborted"}
