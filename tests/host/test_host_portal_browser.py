"""The portal served by the real ``iophost start`` (not the portal tests' in-process stand-in):
log in, start the production, Test a tiny model, follow its Visual Trace, with the seed's JSON."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiny_models
import tuning_fixtures
from host_process import PASSWORD, HostProcess, write_settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal-real-host"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None,
                                reason="Debian's Chromium is not installed at /usr/bin/chromium")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory, tiny_gpt2: Path) -> Iterator[HostProcess]:
    folder = tmp_path_factory.mktemp("portal-real-host")
    models = folder / "models"
    tiny_models.build_text_classifier(models / tuning_fixtures.MODEL_NAME, num_labels=5,
                                      extra_corpus=[text for _, text in tuning_fixtures.review_rows()] * 3)
    db_url = tuning_fixtures.fill_reviews(f"sqlite:///{folder / 'iris.sqlite'}", tuning_fixtures.review_rows())
    tuning = f"path={models}\\nmodel_name={tuning_fixtures.MODEL_NAME}\\ndb_url={db_url}\\nprogress_seconds=0"
    settings = write_settings(folder / "production", f'''
        from bo import TuningOperation
        production.operation("Tiny gpt2", MLOperation,
                             settings={{"%settings": "name=tiny-gpt2\\npath={tiny_gpt2}\\ntask=text-generation"}})
        production.operation("Echo", EchoOperation)
        production.operation("Python.TuningOperation", TuningOperation, settings={{"%settings": "{tuning}"}})
        ''')
    running = HostProcess(settings, folder / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def page(host: HostProcess) -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        context.set_default_timeout(30_000)
        yield context.new_page()
        browser.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_log_in_start_test_and_trace_on_the_real_host(page, host: HostProcess) -> None:
    page.goto(f"{host.url}/portal/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    assert page.url.endswith("/portal/")
    host.iop("--stop")
    page.reload()
    page.click("#production-start")
    page.wait_for_selector("#production-state.state-running")
    page.wait_for_selector('svg .item.state-running[data-item="Tiny gpt2"]')
    shot(page, "01-production")

    page.goto(f"{host.url}/portal/test?item=Tiny%20gpt2")
    page.fill("#test-body", '{"text_inputs": "George Washington lived", "max_length": 30, "num_return_sequences": 3}')
    page.click("#test-invoke")
    page.wait_for_selector("#test-trace:not([hidden])")
    assert "msg.MLResponse" in page.inner_text("#test-status"), page.inner_text("#test-response")
    assert page.inner_text("#test-response").count("generated_text") == 3
    page.click("#test-trace")
    page.wait_for_selector("svg.trace")
    arrows = page.locator("svg.trace .message")
    assert arrows.count() == 2
    assert "MLRequest" in arrows.nth(0).text_content() and "MLResponse" in arrows.nth(1).text_content()
    arrows.nth(0).click()
    page.wait_for_function("document.querySelector('#message-body').textContent.includes('George Washington')")
    shot(page, "02-visual-trace")


def test_a_real_training_shows_its_curve_and_metrics_and_is_promoted(page, host: HostProcess) -> None:
    page.goto(f"{host.url}/portal/test?item=Python.TuningOperation&classname=msg.TrainRequest")
    assert '"table": "iris.Review"' in page.input_value("#test-body")
    page.fill("#test-body", '{"columns": "ReviewLabel,ReviewText", "table": "iris.Review", "p_of_train": 0.7,'
              ' "learning_rate": 0.003, "num_train_epochs": 30, "logging_steps": 5}')
    page.click("#test-invoke")
    page.wait_for_selector("#test-trace:not([hidden])")
    page.click("#test-training")
    page.wait_for_url("**/portal/training?item=Python.TuningOperation")
    page.wait_for_function("document.querySelectorAll('#metrics-table tbody tr td').length >= 8", timeout=120_000)
    page.wait_for_selector('#chart-loss path[data-series="loss"]')
    assert "accuracy" in page.inner_text("#metrics-table")
    assert "kWh" in page.inner_text("#energy")
    shot(page, "03-training")
    page.click("#override")
    page.wait_for_selector(".flash.ok")
    assert "promoted" in page.inner_text(".flash.ok")
