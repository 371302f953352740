"""The example production ``iris.ReviewTriage`` of src/python/settings.py, wired as declared there,
on the real host: new reviews are polled, rated by a (tiny) classifier and recorded as alerts."""

from __future__ import annotations

from pathlib import Path

import pytest

from iophost.testing import PASSWORD, ItemChange, RunningProduction, wait_for
from mlcore.database import create_db_engine
from mlcore.review_triage import alerts
from mlcore.reviews_loader import load_reviews
from support import tiny_models
from support.browser import log_in, needs_chromium, screenshot
from support.checkout import ROOT

MODEL = "tiny-reviews"


@pytest.fixture(scope="module")
def triage(tmp_path_factory, iop_launcher) -> RunningProduction:
    """The project's production as settings.py declares it; only paths and timings are the test's."""
    folder = tmp_path_factory.mktemp("triage-host")
    tiny_models.build_text_classifier(folder / "models" / MODEL, num_labels=5)
    db_url = f"sqlite:///{folder / 'iris.sqlite'}"
    production = iop_launcher.start(ROOT / "src/python/settings.py", production="iris.ReviewTriage", changes={
        "Review watcher": ItemChange(settings={"db_url": db_url}, adapter_settings={"CallInterval": "0.2"}),
        "Review stars classifier": ItemChange(settings={"name": MODEL, "path": str(folder / "models"),
                                                        "task": "text-classification"}),
        "Review triage": ItemChange(settings={"alert_stars": "5"}),
        "Review alerts": ItemChange(settings={"db_url": db_url})})
    production.engine = create_db_engine(db_url)
    yield production
    production.engine.dispose()
    assert production.stop() == 0


def test_new_reviews_are_rated_and_recorded_each_in_one_traced_session(triage: RunningProduction):
    assert set(triage.status()["items"].values()) == {"running"}
    load_reviews(triage.engine, [(1, "The food was cold and the staff rude."), (5, "Lovely evening, great wine.")])
    recorded = wait_for(lambda: len(rows := alerts(triage.engine)) == 2 and rows, 60.0, "two alerts")
    assert [row["ReviewID"] for row in recorded] == [1, 2] and all(1 <= row["Stars"] <= 5 for row in recorded)
    session = triage.wait_session(triage.messages(source="Review watcher")[-1].session_id)
    assert [(hop.source, hop.target, hop.type) for hop in session.hops] == [
        ("Review watcher", "Review triage", "Request"),
        ("Review triage", "Review stars classifier", "Request"),
        ("Review stars classifier", "Review triage", "Response"),
        ("Review triage", "Review alerts", "Request"),
        ("Review alerts", "Review triage", "Response"),
        ("Review triage", "Review watcher", "Response")]
    assert session.root.message().text == "The food was cold and the staff rude."
    assert session.hops[-1].message().alert_id == 1


@needs_chromium
def test_the_visual_trace_of_a_triaged_review(triage: RunningProduction, browser) -> None:
    load_reviews(triage.engine, [(2, "Waited an hour for a cold pizza.")])
    wait_for(lambda: any(row["ReviewText"].startswith("Waited") for row in alerts(triage.engine)), 60.0, "the alert")
    polled = triage.messages(source="Review watcher")
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    log_in(page, triage.host.url, PASSWORD)
    page.goto(f"{triage.host.url}/portal/trace/{polled[0].session_id}")
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
