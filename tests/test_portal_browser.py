"""The portal in headless Chromium (Debian's package): log in, start, Test, Visual Trace, settings,
training, promotion, a detection image, and the refusals (wrong login, cross-site form post).

Screenshots land in ``test-artifacts/portal/``.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from iophost.testing import HostProcess
from support.browser import log_in as browser_log_in
from support.browser import needs_chromium, screenshot, serious_accessibility_violations
from support.portal_host import PASSWORD, USERNAME

pytestmark = needs_chromium


@pytest.fixture
def anonymous_page(browser, portal_server: HostProcess):
    """A fresh browser context, not logged in; the production running, as the host starts it."""
    portal_server.http.post("/start").raise_for_status()
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(anonymous_page, portal_server: HostProcess):
    """Logged in: each test stands alone (``pytest -k``), whatever ran before it."""
    log_in(anonymous_page, portal_server.url)
    anonymous_page.wait_for_url("**/portal/")
    return anonymous_page


def shot(page, name: str) -> None:
    screenshot(page, "portal", name)


def log_in(page, url: str, password: str = PASSWORD) -> None:
    browser_log_in(page, url, password, USERNAME)


def test_wrong_login_is_refused(anonymous_page, portal_server: HostProcess) -> None:
    page = anonymous_page
    log_in(page, portal_server.url, password="wrong")
    assert page.locator(".flash.error").inner_text() == "Wrong username or password."
    assert "/portal/login" in page.url
    shot(page, "00-login-refused")


def test_log_in_stop_and_start_the_production_with_buttons_by_state(anonymous_page, portal_server) -> None:
    page = anonymous_page  # the fixture started the production, as the host does
    log_in(page, portal_server.url)
    assert page.url.endswith("/portal/")
    page.wait_for_selector("#production-state.state-running")
    assert page.is_disabled("#production-start") and page.is_enabled("#production-stop")
    page.click("#production-stop")
    page.wait_for_selector("#production-state.state-stopped")
    assert page.is_disabled("#production-stop") and page.is_disabled("#production-update")
    page.click("#production-start")
    page.wait_for_selector("#production-state.state-running")
    assert page.is_disabled("#production-start")
    page.wait_for_selector('svg .item.state-running[data-item="Tiny gpt2"]')
    assert page.locator('svg .item[data-item="Spare"]').get_attribute("class").endswith("state-disabled")
    shot(page, "01-production")


def test_test_page_runs_a_tiny_model_and_its_trace_shows_request_and_response(page, portal_server) -> None:
    page.goto(f"{portal_server.url}/portal/test?item=Tiny%20gpt2")
    assert page.input_value("#test-class") == "msg.MLRequest"
    body = page.input_value("#test-body")
    assert '"text_inputs": "George Washington lived"' in body and '"num_return_sequences": 3' in body
    page.click("#test-invoke")
    page.wait_for_selector("#test-trace:not([hidden])")
    assert "msg.MLResponse" in page.inner_text("#test-status"), page.inner_text("#test-response")
    assert "generated_text" in page.inner_text("#test-response")
    shot(page, "02-test")
    page.click("#test-trace")
    page.wait_for_selector("svg.trace")
    arrows = page.locator("svg.trace .message")
    assert arrows.count() == 2
    assert "MLRequest" in arrows.nth(0).text_content() and "MLResponse" in arrows.nth(1).text_content()
    page.wait_for_selector("#message-body")
    assert "generated_text" in page.inner_text("#message-body")
    arrows.nth(0).click()
    # The response's pane also holds the prompt: wait for the request's own pane.
    page.wait_for_function("document.querySelector('#message-detail h2')?.textContent.endsWith('Request')")
    assert "George Washington" in page.inner_text("#message-body")
    shot(page, "03-visual-trace")


def test_a_changed_setting_is_applied_with_a_restart(page, portal_server: HostProcess) -> None:
    page.goto(f"{portal_server.url}/portal/items/Tiny%20gpt2")
    settings = page.input_value("#percent-settings")
    page.fill("#percent-settings", settings + "\ntrust_remote_code=false")
    page.click("#apply-settings")
    page.wait_for_selector(".flash.ok")
    assert "settings saved and applied" in page.inner_text(".flash.ok")
    assert "trust_remote_code=false" in page.input_value("#percent-settings")
    page.goto(f"{portal_server.url}/portal/log?item=Tiny%20gpt2")
    assert "'trust_remote_code': False" in page.inner_text("#log-table")
    shot(page, "04-settings-applied-log")
    page.goto(f"{portal_server.url}/portal/export")
    assert "trust_remote_code=false" in page.inner_text("#export-python")


def test_training_shows_its_curves_and_metrics_and_is_promoted(page, portal_server: HostProcess) -> None:
    page.goto(f"{portal_server.url}/portal/test?item=Tuning&classname=msg.TrainRequest")
    assert '"table": "iris.Review"' in page.input_value("#test-body")
    page.click("#test-invoke")
    page.wait_for_selector("#test-trace:not([hidden])")
    assert "asynchronously" in page.inner_text("#test-status")
    page.click("#test-training")
    page.wait_for_url("**/portal/training?item=Tuning")
    page.wait_for_function("document.querySelectorAll('#metrics-table tbody tr td').length >= 8", timeout=30_000)
    page.wait_for_selector('#chart-loss path[data-series="loss"]')
    page.wait_for_selector('#chart-eval path[data-series="eval_accuracy"]')
    rows = page.inner_text("#metrics-table")
    assert "eval_accuracy" in rows and "0.2000" in rows and "0.6800" in rows
    assert "kWh" in page.inner_text("#energy")
    page.wait_for_selector("#training-runs tr.run-finished.shown")
    # the old and new model's confusion matrices, as tables with their numbers, and the per-label scores
    page.wait_for_selector("#confusion-new tbody tr")
    assert page.inner_text("#confusion-old tbody tr:nth-child(1)").split() == ["1", "0", "0", "4"]
    assert page.inner_text("#confusion-new tbody tr:nth-child(3)").split() == ["3", "0", "1", "2"]
    assert page.get_attribute("#confusion-new tbody tr:nth-child(1) td.hit", "title") == \
        "true 1, predicted 1: 3 of 4 rows (75 %)"
    assert "0.00 → 0.75" in page.inner_text("#per-label tbody tr:nth-child(1)")
    assert "Precision: bf16" in page.inner_text("#energy") and "40,960" in page.inner_text("#energy")
    assert serious_accessibility_violations(page) == []
    shot(page, "05-training")
    page.click("#override")
    page.wait_for_selector(".flash.ok")
    assert "new model promoted" in page.inner_text(".flash.ok")


def test_a_detection_image_is_shown_and_downloadable(page, portal_server: HostProcess) -> None:
    page.goto(f"{portal_server.url}/portal/test?item=Detector")
    assert page.input_value("#test-body") == '{\n  "url": "misc/000000039769.jpg"\n}'
    page.click("#test-invoke")
    page.wait_for_selector("#test-trace:not([hidden])")
    page.wait_for_function("document.querySelector('#test-images img.result')?.naturalWidth === 160")
    assert len(page.inner_text("#test-response")) < 1000
    shot(page, "06-detection-test")
    page.click("#test-trace")
    page.wait_for_selector("#message-detail img.result")
    page.wait_for_function("document.querySelector('#message-detail img.result').naturalWidth === 160")
    with page.expect_download() as download:
        page.click("#message-detail figcaption a")
    assert download.value.suggested_filename.endswith(".png")
    shot(page, "06-detection-image")


def test_event_log_tails_live_and_messages_are_searchable(page, portal_server: HostProcess) -> None:
    page.goto(f"{portal_server.url}/portal/log")
    page.wait_for_selector("#log-table tbody tr")
    portal_server.http.post("/test", json={"target": "Echo", "classname": "msg.MLRequest",
                                          "body": '{"inputs": "live tail works"}'}).raise_for_status()
    page.wait_for_selector("#log-table tbody tr.new >> text=live tail works", timeout=10_000)
    shot(page, "07-event-log")
    portal_server.http.post("/test", json={"target": "Tiny gpt2", "classname": "msg.MLRequest", "body": {
        "text_inputs": "searchable", "max_length": 12}}).raise_for_status()  # one to find, whatever ran before
    page.goto(f"{portal_server.url}/portal/messages")
    page.select_option("select[name=status]", "Completed")
    page.fill("input[name=target]", "Tiny gpt2")
    page.click("#message-filters button[type=submit]")
    page.wait_for_selector("#message-table tbody tr")
    rows = page.locator("#message-table tbody tr")
    assert rows.count() >= 1 and all("Tiny gpt2" in rows.nth(i).inner_text() for i in range(rows.count()))
    page.fill("input[name=target]", "")
    page.fill("input[name=text]", "live tail")
    page.click("#message-filters button[type=submit]")
    page.click("#message-table tbody tr >> nth=0 >> [data-message-id]")
    page.wait_for_function("document.querySelector('#message-body')?.textContent.includes('live tail works')")
    shot(page, "08-messages")


@pytest.fixture
def evil_site() -> Iterator[str]:
    """A page on another origin that auto-submits a form post to the portal."""
    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(pages.get(self.path, b""))

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    yield origin, pages
    server.shutdown()


@pytest.mark.parametrize("action", ["/portal/production/stop", "/api/iop/stop"], ids=["portal", "REST API"])
def test_a_cross_site_form_post_with_the_users_credentials_is_refused_with_403(
        browser, portal_server: HostProcess, evil_site, action: str) -> None:
    portal_server.http.post("/start").raise_for_status()
    # A browser that holds the user's Basic credentials for the portal (SameSite keeps the cookie
    # home; Basic credentials go along): only the Origin check stands between the page and the host.
    context = browser.new_context(http_credentials={"username": USERNAME, "password": PASSWORD,
                                                    "origin": portal_server.url, "send": "always"})
    page = context.new_page()
    origin, pages = evil_site
    pages["/evil"] = (f'<form id="f" method="post" action="{portal_server.url}{action}">'
                      '<input name="csrf_token" value="guess"></form>'
                      '<script>document.getElementById("f").submit()</script>').encode()
    try:
        with page.expect_response(lambda response: response.url.endswith(action)) as posted:
            page.goto(f"{origin}/evil")
        assert posted.value.status == 403 and "cross-site request refused" in posted.value.text()
    finally:
        context.close()
    assert portal_server.status()["status"] == "running"


PAGES = ["/portal/", "/portal/monitor", "/portal/items/Echo", "/portal/test?item=Tiny%20gpt2", "/portal/messages",
         "/portal/log", "/portal/training", "/portal/models", "/portal/data", "/portal/export",
         "/portal/items/No%20such%20item"]


@pytest.mark.parametrize("width,height", [(1360, 900), (390, 844)])
def test_every_page_fits_the_screen_and_has_no_serious_accessibility_violation(
        browser, portal_server: HostProcess, width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{portal_server.url}/portal/login")
    assert serious_accessibility_violations(page) == []
    log_in(page, portal_server.url)
    session = portal_server.http.post("/test", json={"target": "Echo", "classname": "msg.MLRequest",
                                                     "body": {"inputs": ["axe"] * 80}}).json()["session_id"]
    for index, path in enumerate([*PAGES, f"/portal/trace/{session}"]):
        page.goto(f"{portal_server.url}{path}")
        page.wait_for_load_state("networkidle")
        if path.startswith("/portal/trace/"):
            page.wait_for_selector("#message-body")  # a message open: its body's box scrolls
        assert serious_accessibility_violations(page) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        screenshot(page, f"portal-{width}x{height}", f"{index:02d}-{path.strip('/').split('?')[0].replace('/', '-')}")
    if width < 760:
        page.goto(f"{portal_server.url}/portal/")
        assert not page.is_visible("#portal-nav") and page.is_visible(".nav-toggle")
        page.click(".nav-toggle")
        page.click("#portal-nav >> text=Messages")
        page.wait_for_url("**/portal/messages")
    context.close()


def test_back_after_logging_out_shows_no_portal_page(browser, portal_server: HostProcess) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    log_in(page, portal_server.url)
    page.goto(f"{portal_server.url}/portal/models")
    page.click(".logout button[type=submit]")
    page.wait_for_url("**/portal/login**")
    page.go_back()
    page.wait_for_load_state()
    assert "/portal/login" in page.url and page.locator("h1", has_text="Models").count() == 0
    context.close()


def test_the_monitor_page_shows_each_items_activity_and_follows_it_live(page, portal_server: HostProcess) -> None:
    page.goto(f"{portal_server.url}/portal/monitor")
    row = page.locator('tr[data-monitor-item="Echo"]')
    row.wait_for()
    assert row.locator(".badge").inner_text() == "running"
    before = int(row.locator("td").nth(4).inner_text())
    for text in ("live", "fail"):
        portal_server.http.post("/test", json={"target": "Echo", "classname": "msg.MLRequest",
                                               "body": {"inputs": text}})
    # No reload: the page polls and redraws the row.
    page.wait_for_function("([before]) => { const cells = document.querySelectorAll("
                           "'tr[data-monitor-item=\"Echo\"] td'); return Number(cells[4].textContent) "
                           "+ Number(cells[5].textContent) >= before + 2; }", arg=[before])
    assert row.locator("td").nth(6).inner_text() != "–"  # p50 of the last minutes
    assert row.locator("svg.spark rect").count() >= 1
    assert "Tiny gpt2" in page.locator("#monitor-table").inner_text()
    shot(page, "10-monitor")
