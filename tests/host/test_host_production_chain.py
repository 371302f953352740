"""A production in IoP's classic dict form (CLASSES + PRODUCTIONS) on the real host, driven through the
pytest plugin: services, processes and operations calling each other, one session per chain, and
every way a call can fail ending in a clear error while the host keeps running."""

from __future__ import annotations

import textwrap

import pytest

from iophost.testing import PASSWORD, MessageFailed, RunningProduction, wait_for
from support.browser import log_in, needs_chromium, screenshot
from support.host_components import EchoRequest, EchoResponse, RouteRequest

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
def host(tmp_path_factory, iop_launcher) -> RunningProduction:
    settings = tmp_path_factory.mktemp("chain-app") / "settings.py"
    settings.write_text(textwrap.dedent(CLASSIC_SETTINGS))
    production = iop_launcher.start(settings, allow_errors=True)  # Mystery's class is unknown, on purpose
    yield production
    assert production.stop() == 0


def send(host: RunningProduction, target: str, text: str, mode: str = "sync") -> EchoResponse:
    return host.send(target, RouteRequest(text=text, mode=mode))


def failure(host: RunningProduction, target: str, text: str, mode: str) -> MessageFailed:
    with pytest.raises(MessageFailed) as failed:
        send(host, target, text, mode)
    return failed.value


def hops(host: RunningProduction, session_id: int) -> list[tuple[str, str, str, str]]:
    return [(hop.type, hop.source, hop.target, hop.status) for hop in host.session(session_id).hops]


def last_session(host: RunningProduction, target: str) -> int:
    return host.messages(target=target, limit=1)[0].session_id


def assert_alive(host: RunningProduction) -> None:
    assert host.status()["status"] == "running"
    assert send(host, "Router", "still") == EchoResponse(text="routed echo still")


def test_classic_settings_run_and_an_unknown_class_is_an_error_naming_classes(host: RunningProduction):
    status = host.status()
    assert status["production"] == "test.Chain"
    assert status["items"]["Router"] == status["items"]["Echo"] == "running"
    assert status["items"]["Mystery"] == "error" and status["items"]["Ticker"] == "disabled"
    assert "'Python.NoSuchClass' is not registered in CLASSES" in status["errors"]["Mystery"]
    assert sorted(host.host.http.get("/list").json()) == ["test.Chain", "test.Other"]
    assert any("SCHEMAS is used by iop --migrate on IRIS only" in entry.text for entry in host.log())
    # the same file, for IRIS
    migrate = host.host.iop("--migrate", str(host.settings), "--dry-run", env={"IOP_URL": ""})
    assert migrate.returncode == 0 and "test.Chain" in migrate.stdout, migrate.stdout + migrate.stderr


def test_a_sync_chain_keeps_every_hop_in_one_session(host: RunningProduction):
    assert send(host, "Router", "hi") == EchoResponse(text="routed echo hi")
    session = host.session(host.last_session_id)
    assert [(hop.type, hop.source, hop.target, hop.status) for hop in session.hops] == [
        ("Request", "EnsLib.Testing.Service", "Router", "Completed"),
        ("Request", "Router", "Echo", "Completed"),
        ("Response", "Echo", "Router", "Completed"),
        ("Response", "Router", "EnsLib.Testing.Service", "Completed")]
    assert session.hops[1].message() == EchoRequest(text="hi")
    assert [hop.classname for hop in session.hops] == [
        "support.host_components.RouteRequest", "support.host_components.EchoRequest",
        "support.host_components.EchoResponse", "support.host_components.EchoResponse"]
    assert all(hop.created <= hop.processed for hop in session.hops)
    log = [line for line in host.host.iop("--log", "50").stdout.splitlines() if f" {session.session_id} " in line]
    assert any("routing 'hi' (sync)" in line for line in log) and any("echoing 'hi'" in line for line in log)
    assert {entry.item for entry in host.log(session_id=session.session_id)} >= {"Router", "Echo"}


def test_async_calls_get_on_response_then_on_complete_and_multi_sync_collects_both(host: RunningProduction):
    assert send(host, "Router", "x", "async").text == "complete: a=echo x-a b=echo x-b"
    assert [h[:3] for h in hops(host, host.last_session_id)].count(("Request", "Router", "Echo")) == 2
    assert send(host, "Router", "m", "multi").text == "echo m1 | echo m2"
    assert len(hops(host, host.last_session_id)) == 6


@pytest.mark.parametrize(("mode", "text"), [
    ("asyncio", "echo a1 & echo a2"),
    ("reply", "replied r"),
    ("timer", "complete: slow=no answer"),
])
def test_asyncio_calls_reply_and_set_timer_answer_the_caller(host: RunningProduction, mode: str, text: str):
    assert send(host, "Router", mode[0], mode).text == text


def test_an_operation_calls_another_item_in_the_same_session(host: RunningProduction):
    assert send(host, "Relay", "op").text == "relayed echo op"
    assert [h[1:] for h in hops(host, host.last_session_id)][1:3] == [("Relay", "Echo", "Completed"),
                                                                       ("Echo", "Relay", "Completed")]


def test_a_test_to_a_service_calls_on_process_input_and_the_service_sends_on(host: RunningProduction):
    assert "on_init got 'echo from on_init'" in [entry.text for entry in host.log(item="Front")], \
        "a call from on_init is served too"
    assert send(host, "Front", "front").text == "routed echo front"
    assert host.session(host.last_session_id).path[:3] == [
        ("Request", "EnsLib.Testing.Service", "Front"), ("Request", "Front", "Router"), ("Request", "Router", "Echo")]


@pytest.mark.parametrize("service", ["Ticker", "AdapterTicker"])
def test_a_polled_service_fires_every_call_interval_each_poll_its_own_session(host: RunningProduction, service: str):
    with host.override(service, enabled=True):
        sent = wait_for(lambda: len(rows := host.messages(source=service)) >= 3 and rows, 30.0,
                        f"three polls of {service}")
    assert host.status()["items"][service] == "disabled"
    assert len({row.session_id for row in sent}) == len(sent), "each poll starts a session"
    session = hops(host, sent[-1].session_id)  # the oldest: finished
    assert session[0][:3] == ("Request", service, "Router") and ("Request", "Router", "Echo", "Completed") in session


@pytest.mark.parametrize(("target", "mode", "error"), [
    ("SelfCaller", "forward", "call cycle: SelfCaller -> SelfCaller would wait for ever"),
    ("PingA", "forward", "call cycle: PingB -> PingA -> PingB would wait for ever"),
    ("ToDisabled", "sync", "Disabled is not running"),
    ("Router", "timeout", "no response from Echo within 1 s"),
    ("Router", "generator", "send_generator_request is not supported on the local host"),
])
def test_a_call_that_cannot_be_answered_ends_with_a_clear_error_and_the_host_runs_on(
        host: RunningProduction, target: str, mode: str, error: str):
    failed = failure(host, target, "loop", mode)
    assert error in str(failed) and failed.status_code == 500
    assert hops(host, failed.session_id)[0] == ("Request", "EnsLib.Testing.Service", target, "Error")
    assert_alive(host)


def test_a_failing_component_is_reported_with_its_traceback(host: RunningProduction):
    failed = failure(host, "Router", "loop", "generator")
    assert "in 'Router': NotImplementedError raised at" in str(failed)
    assert "support/host_components.py\", line" in str(failed) and "in on_route_request" in str(failed)


@needs_chromium
def test_the_visual_trace_shows_a_column_per_item_arrows_with_times_log_lines_and_errors_in_red(
        host: RunningProduction, browser) -> None:
    send(host, "Front", "trace me")
    chain = host.last_session_id
    cycle = failure(host, "PingA", "loop", "forward").session_id
    context = browser.new_context(viewport={"width": 1600, "height": 900})  # the four columns side by side
    context.set_default_timeout(30_000)
    page = context.new_page()
    url = host.host.url
    log_in(page, url, PASSWORD)
    page.goto(f"{url}/portal/trace/{chain}")
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
    page.goto(f"{url}/portal/trace/{cycle}")
    page.wait_for_selector("svg.trace .message.error")
    assert page.locator("svg.trace .message.error").count() == 3
    assert page.locator("svg.trace .log.error").count() >= 1
    context.close()


def test_two_sessions_waiting_on_each_other_end_with_a_call_cycle_error_not_a_hang(host: RunningProduction):
    sessions = [host.send_async(target, RouteRequest(text=target, mode="pause")) for target in ("CrossA", "CrossB")]
    for session_id in sessions:
        first = host.wait_session(session_id).root
        assert first.status == "Error" and "call cycle: " in first.error, first
    assert_alive(host)


def test_an_answer_that_comes_after_the_callers_timeout_is_stored_discarded(host: RunningProduction):
    failed = failure(host, "Router", "late", "timeout")
    late = wait_for(lambda: len(session := hops(host, failed.session_id)) == 3 and session, 30.0, "the late answer")
    assert late[1:] == [("Request", "Router", "Echo", "Completed"), ("Response", "Echo", "Router", "Discarded")]
