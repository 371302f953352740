"""The example production ``iris.ReviewTriage`` of src/python/settings.py, wired as declared there,
on the real host: new reviews are polled, rated by a (tiny) classifier and recorded as alerts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from iophost.testing import PASSWORD, HostProcess, wait_for
from mlcore.database import create_db_engine
from mlcore.review_triage import alerts
from mlcore.reviews_loader import load_reviews
from support import tiny_models
from support.browser import log_in, needs_chromium, screenshot
from support.checkout import ROOT

MODEL = "tiny-reviews"


@pytest.fixture(scope="module")
def triage(tmp_path_factory):
    folder = tmp_path_factory.mktemp("triage-host")
    tiny_models.build_text_classifier(folder / "models" / MODEL, num_labels=5)
    db_url = f"sqlite:///{folder / 'iris.sqlite'}"
    settings = folder / "app" / "settings.py"
    settings.parent.mkdir()
    # The project's production as settings.py declares it; only paths and timings are the test's.
    settings.write_text(textwrap.dedent(f'''\
        import importlib.util

        spec = importlib.util.spec_from_file_location("project_settings", {str(ROOT / "src/python/settings.py")!r})
        project = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(project)
        triage = project.triage
        triage.item("Review watcher").host_setting("db_url", {db_url!r}).adapter_setting("CallInterval", "0.2")
        triage.item("Review stars classifier").host_setting(
            "%settings", "name={MODEL}\\npath={folder / "models"}\\ntask=text-classification")
        triage.item("Review triage").host_setting("alert_stars", "5")
        triage.item("Review alerts").host_setting("db_url", {db_url!r})
        PRODUCTIONS = [triage]
        '''))
    host = HostProcess(settings, folder / "var").start()
    host.engine = create_db_engine(db_url)
    yield host
    host.engine.dispose()
    assert host.stop() == 0


def test_new_reviews_are_rated_and_recorded_each_in_one_traced_session(triage: HostProcess):
    assert set(triage.status()["items"].values()) == {"running"}
    load_reviews(triage.engine, [(1, "The food was cold and the staff rude."), (5, "Lovely evening, great wine.")])
    recorded = wait_for(lambda: len(rows := alerts(triage.engine)) == 2 and rows, 60.0, "two alerts")
    assert [row["ReviewID"] for row in recorded] == [1, 2] and all(1 <= row["Stars"] <= 5 for row in recorded)
    polled = triage.http.get("/messages", params={"source": "Review watcher"}).json()["messages"]
    session = triage.http.get(f"/sessions/{polled[-1]['session_id']}").json()["messages"]
    assert [(m["source_config_name"], m["target_config_name"], m["type"]) for m in session] == [
        ("Review watcher", "Review triage", "Request"),
        ("Review triage", "Review stars classifier", "Request"),
        ("Review stars classifier", "Review triage", "Response"),
        ("Review triage", "Review alerts", "Request"),
        ("Review alerts", "Review triage", "Response"),
        ("Review triage", "Review watcher", "Response")]
    assert session[0]["body"]["text"] == "The food was cold and the staff rude."
    assert session[-1]["body"]["alert_id"] == 1


@needs_chromium
def test_the_visual_trace_of_a_triaged_review(triage: HostProcess, browser) -> None:
    load_reviews(triage.engine, [(2, "Waited an hour for a cold pizza.")])
    wait_for(lambda: any(row["ReviewText"].startswith("Waited") for row in alerts(triage.engine)), 60.0, "the alert")
    polled = triage.http.get("/messages", params={"source": "Review watcher"}).json()["messages"]
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    log_in(page, triage.url, PASSWORD)
    page.goto(f"{triage.url}/portal/trace/{polled[0]['session_id']}")
    page.wait_for_selector("#message-body")
    assert page.locator("svg.trace .participant-name").all_text_contents() == [
        "Review watcher", "Review triage", "Review stars classifier", "Review alerts"]
    assert page.locator("svg.trace .message").count() == 6
    assert any("recorded as an alert" in text for text in page.locator("svg.trace .log.warning").all_text_contents())
    screenshot(page, "portal-real-host", "review-triage-trace")
    context.close()


def test_the_default_production_is_still_iris_production(tmp_path: Path):
    from iophost.loader import load_settings

    productions = list(load_settings(ROOT / "src/python/settings.py").productions)
    assert productions == ["iris.Production", "iris.ReviewTriage"]
