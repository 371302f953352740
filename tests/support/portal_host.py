"""The portal tests' production, and the real host core built in this process (workers, store, web
app) for the web tests (the fixtures, and the real ``iophost start`` of the browser tests, are in conftest)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from iophost.cli import create_web_app
from iophost.credentials import Credentials
from iophost.host import Host
from iophost.portal import ProductionChanges
from iophost.store import MessageStore

USERNAME, PASSWORD = "portal-admin", "s3cret-portal"

SETTINGS = '''
from iop import Production

from bo import MLOperation
from support.portal_components import DetectionStandIn, EchoOperation, GatedStart, SilentOperation, TrainingStandIn

production = Production("test.Production", testing_enabled=True, description="portal tests")
production.operation("Echo", EchoOperation)
production.operation("Tiny gpt2", MLOperation,
                     settings={{"%settings": "name=tiny-gpt2\\npath={models}\\ntask=text-generation"}})
production.operation("Detector", DetectionStandIn, settings={{"%settings": "task=object-detection"}})
production.operation("Tuning", TrainingStandIn, settings={{"%settings": "steps=6\\npause=0.2"}})
production.operation("Spare", EchoOperation, enabled=False)
production.operation("Gated", GatedStart, enabled=False)
production.operation("Silent", SilentOperation, enabled=False)

PRODUCTIONS = [production]
'''


def write_settings(folder: Path, model_root: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settings.py"
    path.write_text(SETTINGS.format(models=model_root))
    return path


def make_host(tmp: Path, model_root: Path) -> Host:
    """The host core as ``iophost start`` builds it, on a SQLite store in ``tmp/data``."""
    settings = write_settings(tmp / "production", model_root)
    data = tmp / "data"
    data.mkdir(parents=True, exist_ok=True)
    return Host(settings, MessageStore(f"sqlite:///{data / 'iophost.db'}"), data_dir=data, model_path=model_root,
                check_credentials=Credentials(USERNAME, PASSWORD).check, on_load=ProductionChanges(data).apply_to)


def close_host(host: Host) -> None:
    host.close()
    host.store.close()


def make_app(host: Host) -> FastAPI:
    return create_web_app(host)[0]

