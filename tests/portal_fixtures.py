"""Fixtures of the portal tests: a test production; the in-process host of the web tests and the real
``iophost start`` that the browser tests drive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from host.host_process import HostProcess
from iophost.portal import mount_portal
from portal_test_host import InProcessHost

USERNAME, PASSWORD = "portal-admin", "s3cret-portal"

SETTINGS = '''
from iop import Production

from bo import MLOperation
from portal_components import DetectionStandIn, EchoOperation, TrainingStandIn

production = Production("test.Production", testing_enabled=True, description="portal tests")
production.operation("Echo", EchoOperation)
production.operation("Tiny gpt2", MLOperation,
                     settings={{"%settings": "name=tiny-gpt2\\npath={models}\\ntask=text-generation"}})
production.operation("Detector", DetectionStandIn, settings={{"%settings": "task=object-detection"}})
production.operation("Tuning", TrainingStandIn, settings={{"%settings": "steps=6\\npause=0.2"}})
production.operation("Spare", EchoOperation, enabled=False)

PRODUCTIONS = [production]
'''


def write_settings(folder: Path, model_root: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settings.py"
    path.write_text(SETTINGS.format(models=model_root))
    return path


def make_host(tmp: Path, model_root: Path) -> InProcessHost:
    settings = write_settings(tmp / "production", model_root)
    return InProcessHost(settings, tmp / "data", model_root, USERNAME, PASSWORD)


def make_app(host: InProcessHost) -> FastAPI:
    app = FastAPI()
    mount_portal(app, host)
    return app


@pytest.fixture
def portal_host(tmp_path: Path, model_root: Path) -> Iterator[InProcessHost]:
    host = make_host(tmp_path, model_root)
    yield host
    host.stop_production()


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory, model_root: Path) -> Iterator[HostProcess]:
    """The real ``iophost start`` (workers, store, REST API, portal) serving the test production."""
    folder = tmp_path_factory.mktemp("portal")
    running = HostProcess(write_settings(folder / "production", model_root), folder / "data")
    running.env.update(IOPHOST_USERNAME=USERNAME, IOPHOST_PASSWORD=PASSWORD)
    running.http.auth = (USERNAME, PASSWORD)
    yield running.start()
    running.stop()
