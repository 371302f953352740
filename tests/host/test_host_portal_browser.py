"""The portal on the real host with the real TuningOperation: a tiny training followed live, then promoted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iophost.testing import PASSWORD, HostProcess
from support import reviews, tiny_models
from support.browser import log_in, needs_chromium, screenshot
from support.host_settings import write_settings

pytestmark = needs_chromium


# A bound, not a speed target: 210 training steps take ~40 s on a quiet 2-core machine, minutes on a busy one.
TRAINING_TIMEOUT_MS = 480_000


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    folder = tmp_path_factory.mktemp("portal-real-host")
    models = folder / "models"
    tiny_models.build_text_classifier(models / reviews.MODEL_NAME, num_labels=5,
                                      extra_corpus=[text for _, text in reviews.review_rows()] * 3)
    db_url = reviews.fill_reviews(f"sqlite:///{folder / 'iris.sqlite'}", reviews.review_rows())
    tuning = f"path={models}\\nmodel_name={reviews.MODEL_NAME}\\ndb_url={db_url}\\nprogress_seconds=0"
    settings = write_settings(folder / "production", f'''
        from bo import TuningOperation
        production.operation("Python.TuningOperation", TuningOperation, settings={{"%settings": "{tuning}"}})
        ''')
    running = HostProcess(settings, folder / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def page(browser, host: HostProcess) -> Iterator:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def test_a_real_training_shows_its_curve_and_metrics_and_is_promoted(page, host: HostProcess) -> None:
    log_in(page, host.url, PASSWORD)
    page.goto(f"{host.url}/portal/test?item=Python.TuningOperation&classname=msg.TrainRequest")
    assert '"table": "iris.Review"' in page.input_value("#test-body")
    page.fill("#test-body", '{"columns": "ReviewLabel,ReviewText", "table": "iris.Review", "p_of_train": 0.7,'
              ' "learning_rate": 0.003, "num_train_epochs": 30, "logging_steps": 5}')
    page.click("#test-invoke")
    page.wait_for_selector("#test-trace:not([hidden])")
    page.click("#test-training")
    page.wait_for_url("**/portal/training?item=Python.TuningOperation")
    page.wait_for_function("document.querySelectorAll('#metrics-table tbody tr td').length >= 8",
                           timeout=TRAINING_TIMEOUT_MS)
    page.wait_for_selector('#chart-loss path[data-series="loss"]')
    assert "accuracy" in page.inner_text("#metrics-table")
    assert "kWh" in page.inner_text("#energy")
    screenshot(page, "portal-real-host", "03-training")
    page.click("#override")
    page.wait_for_selector(".flash.ok")
    assert "promoted" in page.inner_text(".flash.ok")
