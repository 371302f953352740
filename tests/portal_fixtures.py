"""Fixtures of the portal tests: a test production, the portal served on a free 127.0.0.1 port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PortalServer:
    url: str
    host: InProcessHost
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.host.stop_production()


def make_host(tmp: Path, model_root: Path) -> InProcessHost:
    settings = write_settings(tmp / "production", model_root)
    return InProcessHost(settings, tmp / "data", model_root, USERNAME, PASSWORD)


def make_app(host: InProcessHost) -> FastAPI:
    app = FastAPI()
    mount_portal(app, host)
    return app


def serve(host: InProcessHost) -> PortalServer:
    port = free_port()
    config = uvicorn.Config(make_app(host), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return PortalServer(url=f"http://127.0.0.1:{port}", host=host, server=server, thread=thread)


@pytest.fixture
def portal_host(tmp_path: Path, model_root: Path) -> Iterator[InProcessHost]:
    host = make_host(tmp_path, model_root)
    yield host
    host.stop_production()


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory, model_root: Path) -> Iterator[PortalServer]:
    running = serve(make_host(tmp_path_factory.mktemp("portal"), model_root))
    yield running
    running.stop()
