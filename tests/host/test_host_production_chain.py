"""A production in IoP's classic dict form (CLASSES + PRODUCTIONS) on the real host: services,
processes and operations calling each other, one session per chain, and every way a call can
fail ending in a clear error while the host keeps running."""

from __future__ import annotations

import json
import textwrap

import pytest

from iophost.testing import PASSWORD, HostProcess, wait_for
from support.browser import log_in, needs_chromium, screenshot

ROUTE = "support.host_components.RouteRequest"

CLASSIC_SETTINGS = '''
from support.host_components import (AdapterService, EchoOperation, FrontService, RelayOperation, RouteRequest,
                             RouterProcess, TickAdapter, TickService)

CLASSES = {
    "Python.EchoOperation": EchoOperation,
    "Python.RouterProcess": RouterProcess,
    "Python.TickService": TickService,
    "Python.FrontService": FrontService,
    "Python.RelayOperation": RelayOperation,
    "Python.AdapterService": AdapterService,
    "Python.TickAdapter": TickAdapter,
}
SCHEMAS = [RouteRequest]


def item(name, classname, enabled=True, **settings):
    adapter = {"CallInterval": settings.pop("CallInterval")} if "CallInterval" in settings else {}
    return {"@Name": name, "@ClassName": classname, "@PoolSize": "1", "@Enabled": str(enabled).lower(),
            "Setting": [{"@Target": "Host", "@Name": k, "#text": v} for k, v in settings.items()]
            + [{"@Target": "Adapter", "@Name": k, "#text": v} for k, v in adapter.items()]}


# A Setting without @Target is a Host setting, as IoP's Production model reads it.
FRONT = item("Front", "Python.FrontService")
FRONT["Setting"] = [{"@Name": "Output", "#text": "Router"},
                    {"@Target": "Host", "@Name": "hello_target", "#text": "Echo"}]
PRODUCTIONS = [{"test.Chain": {"@Name": "test.Chain", "@TestingEnabled": "true", "Item": [
    item("Echo", "Python.EchoOperation"),
    item("Relay", "Python.RelayOperation", Output="Echo"),
    item("Router", "Python.RouterProcess", Output="Echo"),
    item("Ticker", "Python.TickService", enabled=False, Output="Router", CallInterval="0.2"),
    item("AdapterTicker", "Python.AdapterService", enabled=False, Output="Router", CallInterval="0.2"),
    FRONT,
    item("SelfCaller", "Python.RouterProcess", Output="SelfCaller"),
    item("PingA", "Python.RouterProcess", Output="PingB"),
    item("PingB", "Python.RouterProcess", Output="PingA"),
    item("CrossA", "Python.RouterProcess", Output="CrossB"),
    item("CrossB", "Python.RouterProcess", Output="CrossA"),
    item("ToDisabled", "Python.RouterProcess", Output="Disabled"),
    item("Disabled", "Python.EchoOperation", enabled=False),
    item("Mystery", "Python.NoSuchClass"),
]}}, {"test.Other": {"Item": []}}]
'''


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chain-host")
    (folder / "app").mkdir()
    settings = folder / "app" / "settings.py"
    settings.write_text(textwrap.dedent(CLASSIC_SETTINGS))
    host = HostProcess(settings, folder / "var").start()
    yield host
    assert host.stop() == 0


def send(host: HostProcess, target: str, body: dict, *, expect: int = 200) -> dict:
    response = host.http.post("/test", json={"target": target, "classname": ROUTE, "body": body})
    assert response.status_code == expect, response.text
    return response.json()


def hops(host: HostProcess, session_id: int) -> list[tuple[str, str, str, str]]:
    rows = host.http.get(f"/sessions/{session_id}").json()["messages"]
    return [(row["type"], row["source_config_name"], row["target_config_name"], row["status"]) for row in rows]


def assert_alive(host: HostProcess) -> None:
    assert host.status()["status"] == "running"
    assert send(host, "Router", {"text": "still", "mode": "sync"})["body"] == '{"text":"routed echo still","pid":0}'


def test_classic_settings_run_and_an_unknown_class_is_an_error_naming_classes(host: HostProcess):
    status = host.status()
    assert status["production"] == "test.Chain"
    assert status["items"]["Router"] == status["items"]["Echo"] == "running"
    assert status["items"]["Mystery"] == "error" and status["items"]["Ticker"] == "disabled"
    assert "'Python.NoSuchClass' is not registered in CLASSES" in status["errors"]["Mystery"]
    assert sorted(host.http.get("/list").json()) == ["test.Chain", "test.Other"]
    log = [entry["text"] for entry in host.http.get("/log", params={"top": 200}).json()]
    assert any("SCHEMAS is used by iop --migrate on IRIS only" in text for text in log)
    migrate = host.iop("--migrate", str(host.settings), "--dry-run", env={"IOP_URL": ""})  # the same file, for IRIS
    assert migrate.returncode == 0 and "test.Chain" in migrate.stdout, migrate.stdout + migrate.stderr


def test_a_sync_chain_keeps_every_hop_in_one_session(host: HostProcess):
    answer = send(host, "Router", {"text": "hi", "mode": "sync"})
    assert answer["body"] == '{"text":"routed echo hi","pid":0}'
    assert hops(host, answer["session_id"]) == [
        ("Request", "EnsLib.Testing.Service", "Router", "Completed"),
        ("Request", "Router", "Echo", "Completed"),
        ("Response", "Echo", "Router", "Completed"),
        ("Response", "Router", "EnsLib.Testing.Service", "Completed")]
    rows = host.http.get(f"/sessions/{answer['session_id']}").json()["messages"]
    assert rows[2]["corresponding_message_id"] == rows[1]["id"] and rows[1]["body"] == {
        "text": "hi", "delay": 0.0, "api_key": ""}
    log = [line for line in host.iop("--log", "50").stdout.splitlines() if f" {answer['session_id']} " in line]
    assert any("routing 'hi' (sync)" in line for line in log) and any("echoing 'hi'" in line for line in log)


def test_async_calls_get_on_response_then_on_complete_and_multi_sync_collects_both(host: HostProcess):
    answer = send(host, "Router", {"text": "x", "mode": "async"})
    assert answer["body"] == '{"text":"complete: a=echo x-a b=echo x-b","pid":0}'
    assert [h[:3] for h in hops(host, answer["session_id"])].count(("Request", "Router", "Echo")) == 2
    multi = send(host, "Router", {"text": "m", "mode": "multi"})
    assert multi["body"] == '{"text":"echo m1 | echo m2","pid":0}'
    assert len(hops(host, multi["session_id"])) == 6


@pytest.mark.parametrize(("mode", "text"), [
    ("asyncio", "echo a1 & echo a2"),
    ("reply", "replied r"),
    ("timer", "complete: slow=no answer"),
])
def test_asyncio_calls_reply_and_set_timer_answer_the_caller(host: HostProcess, mode: str, text: str):
    answer = send(host, "Router", {"text": mode[0], "mode": mode})
    assert json.loads(answer["body"])["text"] == text


def test_an_operation_calls_another_item_in_the_same_session(host: HostProcess):
    answer = send(host, "Relay", {"text": "op"})
    assert json.loads(answer["body"])["text"] == "relayed echo op"
    assert [h[1:] for h in hops(host, answer["session_id"])][1:3] == [("Relay", "Echo", "Completed"),
                                                                      ("Echo", "Relay", "Completed")]


def test_a_test_to_a_service_calls_on_process_input_and_the_service_sends_on(host: HostProcess):
    log = [entry["text"] for entry in host.http.get("/log", params={"top": 500}).json()]
    assert "on_init got 'echo from on_init'" in log, "a call from on_init is served too"
    answer = send(host, "Front", {"text": "front", "mode": "sync"})
    assert answer["body"] == '{"text":"routed echo front","pid":0}'
    assert [h[1:3] for h in hops(host, answer["session_id"])][:3] == [
        ("EnsLib.Testing.Service", "Front"), ("Front", "Router"), ("Router", "Echo")]


@pytest.mark.parametrize("service", ["Ticker", "AdapterTicker"])
def test_a_polled_service_fires_every_call_interval_each_poll_its_own_session(host: HostProcess, service: str):
    assert host.http.post("/component/start", json={"component": service}).status_code == 200
    sent = wait_for(lambda: (rows := host.http.get("/messages", params={"source": service}).json()["messages"])
                    and len(rows) >= 3 and rows, 30.0, f"three polls of {service}")
    assert host.http.post("/component/stop", json={"component": service}).status_code == 200
    assert len({row["session_id"] for row in sent}) == len(sent), "each poll starts a session"
    session = hops(host, sent[-1]["session_id"])
    assert session[0][:3] == ("Request", service, "Router") and ("Request", "Router", "Echo", "Completed") in session


@pytest.mark.parametrize(("target", "mode", "error"), [
    ("SelfCaller", "forward", "call cycle: SelfCaller -> SelfCaller would wait for ever"),
    ("PingA", "forward", "call cycle: PingB -> PingA -> PingB would wait for ever"),
    ("ToDisabled", "sync", "Disabled is not running"),
    ("Router", "timeout", "no response from Echo within 1 s"),
    ("Router", "generator", "send_generator_request is not supported on the local host"),
])
def test_a_call_that_cannot_be_answered_ends_with_a_clear_error_and_the_host_runs_on(
        host: HostProcess, target: str, mode: str, error: str):
    failed = send(host, target, {"text": "loop", "mode": mode}, expect=500)
    assert error in failed["error"]
    session = hops(host, failed["session_id"])
    assert session[0] == ("Request", "EnsLib.Testing.Service", target, "Error")
    assert_alive(host)


@needs_chromium
def test_the_visual_trace_shows_a_column_per_item_arrows_with_times_log_lines_and_errors_in_red(
        host: HostProcess, browser) -> None:
    chain = send(host, "Front", {"text": "trace me", "mode": "sync"})["session_id"]
    cycle = send(host, "PingA", {"text": "loop", "mode": "forward"}, expect=500)["session_id"]
    context = browser.new_context(viewport={"width": 1600, "height": 900})  # the four columns side by side
    context.set_default_timeout(30_000)
    page = context.new_page()
    log_in(page, host.url, PASSWORD)
    page.goto(f"{host.url}/portal/trace/{chain}")
    page.wait_for_selector("svg.trace")
    columns = page.locator("svg.trace .participant-name").all_text_contents()
    assert columns == ["EnsLib.Testing.Service", "Front", "Router", "Echo"]
    arrows = page.locator("svg.trace .message")
    assert arrows.count() == 6 and page.locator("svg.trace .message.error").count() == 0
    assert page.locator("svg.trace .message.response text.time").first.text_content().endswith(" ms")
    logs = page.locator("svg.trace .log").all_text_contents()
    assert any("routing 'trace me' (sync)" in text for text in logs) and any("echoing 'trace me'" in text
                                                                             for text in logs)
    page.wait_for_selector("#message-body")
    screenshot(page, "portal-real-host", "chain-visual-trace")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the diagram takes the width
    page.reload()
    page.wait_for_selector("#message-body")
    diagram, detail = page.locator("#trace-diagram").bounding_box(), page.locator("#message-detail").bounding_box()
    assert diagram["width"] > 300 and detail["y"] > diagram["y"] + diagram["height"] - 1
    screenshot(page, "portal-real-host", "chain-visual-trace-phone")
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(f"{host.url}/portal/trace/{cycle}")
    page.wait_for_selector("svg.trace .message.error")
    assert page.locator("svg.trace .message.error").count() == 3
    assert page.locator("svg.trace .log.error").count() >= 1
    context.close()


def test_two_sessions_waiting_on_each_other_end_with_a_call_cycle_error_not_a_hang(host: HostProcess):
    sessions = [host.http.post("/test/async", json={"target": target, "classname": ROUTE,
                                                    "body": {"text": target, "mode": "pause"}}).json()["session_id"]
                for target in ("CrossA", "CrossB")]
    for session in sessions:
        first = wait_for(lambda s=session: (row := host.http.get(f"/sessions/{s}").json()["messages"][0])
                         ["status"] not in ("Queued", "Delivered") and row, 60.0, f"session {session} to end")
        assert first["status"] == "Error" and "call cycle: " in first["error_text"], first
    assert_alive(host)


def test_an_answer_that_comes_after_the_callers_timeout_is_stored_discarded(host: HostProcess):
    failed = send(host, "Router", {"text": "late", "mode": "timeout"}, expect=500)
    late = wait_for(lambda: len(session := hops(host, failed["session_id"])) == 3 and session, 30.0, "the late answer")
    assert late[1:] == [("Request", "Router", "Echo", "Completed"), ("Response", "Echo", "Router", "Discarded")]
