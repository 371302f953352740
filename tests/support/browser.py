"""Headless Debian Chromium for the portal's browser tests (never a downloaded browser)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .checkout import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None,
                                    reason="Debian's Chromium is not installed at /usr/bin/chromium")


@contextmanager
def headless_chromium() -> Iterator:
    """Debian's Chromium, headless, through Playwright (skips the test without playwright)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def log_in(page, url: str, password: str, username: str = "admin") -> None:
    """Log in to the portal at ``url`` through its login form."""
    page.goto(f"{url}/portal/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def screenshot(page, folder: str, name: str) -> None:
    """Save a full-page screenshot as ``test-artifacts/<folder>/<name>.png``."""
    (ARTIFACTS / folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / folder / f"{name}.png"), full_page=True)


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
