"""The pytest plugin of the local host: fixtures that start an IoP production from its ``settings.py``.

Registered through the ``pytest11`` entry point, so installing the package is enough. Fixtures:

* ``iop_settings``: the ``settings.py`` under test, from the ``iop_settings`` ini option (override
  the fixture for another one);
* ``iop_production``: that production, started once per test module with a fresh data folder;
* ``iop_start``: a factory starting a production for one test (stopped at its end);
* ``iop_launcher``: the same factory for any scope (``iop_launcher.start(...)`` in your own fixture).

See docs/testing.md. Nothing of ``iophost`` is imported before a fixture runs: pytest loads this
module before the project's conftest and ``pythonpath`` set sys.path, and ``iophost`` is then
imported from where the tests say.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from iophost.testing import RunningProduction

SETTINGS_OPTION = "iop_settings"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(SETTINGS_OPTION, "the settings.py of the production under test (relative to the rootdir)",
                  default="")


class Launcher:
    """Starts productions in folders of pytest's temporary directory, and stops what is left."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._running: list[RunningProduction] = []

    def start(self, settings: Path, *, production: str | None = None, changes: dict[str, Any] | None = None,
              fakes: tuple[str, ...] = (), allow_errors: bool = False, env: dict[str, str] | None = None,
              db_url: str | None = None) -> RunningProduction:
        """``settings``'s production on a host of its own, its items started (ProductionStartError
        when one is in error, unless ``allow_errors``); ``changes``: ``{item: ItemChange(...)}``
        (settings, adapter settings, Enabled); ``fakes``: items replaced by recording fakes
        (``production.fakes[item]``)."""
        from iophost.testing import ItemChange, RunningProduction

        folder = self._factory.mktemp(Path(settings).stem)
        changes = dict(changes or {})
        for item in fakes:
            changes[item] = ItemChange(fake_folder=str(folder / "fakes" / item))
        running = RunningProduction(settings, folder, production=production, env=env, db_url=db_url, changes=changes)
        self._running.append(running)
        return running.start(allow_errors=allow_errors)

    def stop_all(self) -> None:
        while self._running:
            self._running.pop().stop()


@pytest.fixture(scope="session")
def iop_settings(pytestconfig: pytest.Config) -> Path:
    """The ``settings.py`` named by the ``iop_settings`` ini option."""
    value = pytestconfig.getini(SETTINGS_OPTION)
    if not value:
        pytest.fail(f"set {SETTINGS_OPTION} = \"path/to/settings.py\" in your pytest configuration, "
                    f"or define an iop_settings fixture", pytrace=False)
    return pytestconfig.rootpath / value


@pytest.fixture(scope="session")
def iop_launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path_factory)
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="module")
def iop_production(iop_launcher: Launcher, iop_settings: Path) -> Iterator[RunningProduction]:
    """The production of ``iop_settings``, started once for the test module."""
    production = iop_launcher.start(iop_settings)
    yield production
    production.stop()


@pytest.fixture
def iop_start(iop_launcher: Launcher, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``iop_start(settings=None, **options)``: a production started for this test (options of
    :meth:`Launcher.start`), stopped at its end."""
    started: list[RunningProduction] = []

    def start(settings: Path | None = None, **options: Any) -> RunningProduction:
        started.append(iop_launcher.start(settings or request.getfixturevalue("iop_settings"), **options))
        return started[-1]

    yield start
    for production in started:
        production.stop()
