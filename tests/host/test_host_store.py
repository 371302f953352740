"""The message store on SQLite and on a real PostgreSQL, and the host running on each."""

from __future__ import annotations

import json
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from iophost.host import Host
from iophost.masking import MASK
from iophost.store import MessageStore
from iophost.testing import HostProcess
from support.host_settings import write_settings

ECHO = "support.host_components.EchoRequest"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url = request.getfixturevalue("postgres_url")
    from sqlalchemy import create_engine, text

    name = f"iophost_{tmp_path.name.lower().replace('-', '_')}"[:60]
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.rsplit("/", 1)[0] + f"/{name}"


def test_store_keeps_headers_bodies_and_log_and_aborts_unfinished_on_reopen(store_url: str):
    store = MessageStore(store_url)
    first, second = store.new_message_id(), store.new_message_id()
    store.add_message(id=first, session_id=first, source_config_name="EnsLib.Testing.Service",
                      target_config_name="Echo", type="Request", status="Queued", body_class_name="m.Req",
                      body='{"text":"hi"}')
    store.add_message(id=second, session_id=second, source_config_name="EnsLib.Testing.Service",
                      target_config_name="Echo", type="Request", status="Queued", body_class_name="m.Req", body="{}")
    store.mark_later(first, "Delivered")
    store.finish_later(first, "Completed")
    response = store.new_message_id()
    store.add_message_later(id=response, session_id=first, source_config_name="Echo",
                            target_config_name="EnsLib.Testing.Service", type="Response", status="Completed",
                            body_class_name="m.Resp", body='{"text":"hello hi"}', corresponding_message_id=first)
    log_id = store.log_later("Info", "Echo", "echoing", session_id=first, message_id=first, job="42")
    request, answer = store.session(first)
    assert (request["status"], request["is_error"], request["body"]) == ("Completed", False, '{"text":"hi"}')
    assert request["time_processed"] and answer["corresponding_message_id"] == first
    assert store.find(status="Queued")[1] == 1 and store.find(target="Echo")[0][0]["id"] == second
    assert store.log_entries(since_id=log_id - 1)[0]["text"] == "echoing"
    store.close()

    reopened = MessageStore(store_url)
    assert reopened.abort_unfinished("host died") == 1
    assert reopened.message(second)["status"] == "Aborted" and reopened.message(second)["error_text"] == "host died"
    assert reopened.new_message_id() == response + 1, "ids continue after the stored ones"
    reopened.close()


def test_host_serves_a_message_through_a_worker_on_each_database(store_url: str, tmp_path: Path):
    settings = write_settings(tmp_path / "app", 'production.operation("Echo", EchoOperation)\n')
    store = MessageStore(store_url)
    host = Host(settings, store, data_dir=tmp_path / "var")
    try:
        host.start_production()
        session_id, outcome = host.call("Echo", "support.host_components.EchoRequest",
                                        {"text": "db", "api_key": "k-12345"})
        assert outcome.response_body["text"] == "echo db"
        request, response = store.session(session_id)
        assert json.loads(request["body"]) == {"text": "db", "api_key": MASK}
        assert json.loads(response["body"])["text"] == "echo db"
    finally:
        host.close()
        store.close()
    shutil.rmtree(tmp_path / "app", ignore_errors=True)


def test_a_database_locked_by_another_writer_delays_messages_but_loses_none(tmp_path: Path):
    host = HostProcess(write_settings(tmp_path / "app", 'production.operation("Echo", EchoOperation)\n'),
                       tmp_path / "var").start()
    try:
        queued = host.http.post("/test/async", json={"target": "Echo", "classname": ECHO,
                                                     "body": {"text": "queued", "delay": 1}}).json()
        locker = sqlite3.connect(host.data / "iophost.db", isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's write lock
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(host.http.post, "/test", json={"target": "Echo", "classname": ECHO,
                                                                 "body": {"text": "during"}})
            host.wait_for(lambda: host.output.read_text().count("database busy or unreachable") >= 2, 60.0,
                          "the store to report the busy database, for the writer and for the request")
            assert host.http.get("/status").status_code == 200, "routes answer while a commit waits"
            assert not waiting.done(), "no answer before the request is saved"
            locker.execute("ROLLBACK")
            locker.close()
            answer = waiting.result(60)
        assert answer.status_code == 200 and "echo during" in answer.json()["body"]
        for session in (queued["session_id"], answer.json()["session_id"]):
            request, response = host.http.get(f"/sessions/{session}").json()["messages"]
            assert request["status"] == "Completed" and response["type"] == "Response"
    finally:
        host.stop()


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_the_store_reconnects_when_the_server_drops_its_connections(store_url: str):
    from sqlalchemy import create_engine, text

    store = MessageStore(store_url)
    first = store.new_message_id()
    store.add_message(id=first, session_id=first, source_config_name="EnsLib.Testing.Service",
                      target_config_name="Echo", type="Request", status="Queued", body_class_name="m.Req", body="{}")
    admin = create_engine(store_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # what a server restart does to the host's connections
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    admin.dispose()
    store.finish_later(first, "Completed")
    second = store.new_message_id()
    store.add_message(id=second, session_id=second, source_config_name="EnsLib.Testing.Service",
                      target_config_name="Echo", type="Request", status="Queued", body_class_name="m.Req", body="{}")
    assert store.message(first)["status"] == "Completed" and store.message(second)["status"] == "Queued"
    store.close()
