"""One error policy: every exception the host defines for its callers is a HostError, one function
gives each its HTTP status for the REST API and the portal alike, and HTTP Basic credentials are
read by one parser, so both answer a malformed header the same way."""

from __future__ import annotations

import base64
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException

import iophost
from iophost.api.error_status import http_status
from iophost.credentials import Credentials, basic_credentials
from iophost.errors import (
    CallCycleError,
    ComponentError,
    ConfigError,
    HostError,
    InvalidMessageError,
    RefusedMessageError,
    SettingsError,
    StateError,
    StoreUnavailableError,
    UnknownItemError,
)
from iophost.host import Host
from iophost.store import MessageStore
from iophost.worker.component import MessageBodyError, MessageClassError
from support.portal_host import PASSWORD, USERNAME, make_app


def _exception_classes() -> list[type]:
    classes = []
    for module in pkgutil.walk_packages(iophost.__path__, "iophost."):
        if module.name.startswith("iophost.testing"):  # a client of the host for tests: its errors fail tests
            continue
        loaded = importlib.import_module(module.name)
        classes += [value for _, value in inspect.getmembers(loaded, inspect.isclass)
                    if issubclass(value, Exception) and value.__module__ == module.name]
    return classes


def test_every_error_the_host_defines_is_a_host_error() -> None:
    classes = _exception_classes()
    assert len(classes) > 10
    outside = [c.__qualname__ for c in classes if not issubclass(c, (HostError, HTTPException))]
    assert outside == []


@pytest.mark.parametrize("error, status", [
    (UnknownItemError("x"), 404), (InvalidMessageError("x"), 400), (MessageClassError("x"), 400),
    (MessageBodyError("x"), 400), (SettingsError("x"), 400), (ConfigError("x"), 400), (StateError("x"), 409),
    (CallCycleError("x"), 409), (RefusedMessageError("x", 1), 400), (ComponentError("x", 1), 500),
    (StoreUnavailableError("x"), 503), (KeyError("a bug"), 500), (OSError("a bug"), 500),
])
def test_each_error_has_one_http_status(error: Exception, status: int) -> None:
    assert http_status(error) == status


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


@pytest.mark.parametrize("header, expected", [
    (_basic(b"ada:pw:with:colons"), ("ada", "pw:with:colons")), (_basic(b"ada:"), ("ada", "")),
    ("basic " + base64.b64encode(b"ada:pw").decode(), ("ada", "pw")), (None, None), ("", None),
    ("Bearer abc", None), (_basic(b"no-colon"), None), (_basic(b":pw"), None), ("Basic @@@", None),
    ("Basic " + base64.b64encode(b"ada:pw").decode()[:-1], None), (_basic(b"\xff:pw"), None),
])
def test_basic_credentials_are_read_strictly(header: str | None, expected: tuple[str, str] | None) -> None:
    assert basic_credentials(header) == expected


def test_the_rest_api_and_the_portal_answer_a_malformed_header_alike(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text('from iop import Production\nPRODUCTIONS = [Production("e.Production")]\n')
    host = Host(tmp_path / "settings.py", MessageStore(f"sqlite:///{tmp_path / 'iophost.db'}"), data_dir=tmp_path,
                check_credentials=Credentials(USERNAME, PASSWORD).check)
    try:
        client = TestClient(make_app(host), base_url="http://127.0.0.1")
        good = _basic(f"{USERNAME}:{PASSWORD}".encode())
        # base64 with a character outside the alphabet: a lenient decoder would skip it and let it in
        sloppy = good[:10] + "!" + good[10:]
        for path in ("/api/iop/status", "/portal/api/status"):
            assert client.get(path, headers={"Authorization": good}).status_code == 200
            assert client.get(path, headers={"Authorization": sloppy}).status_code == 401
        unknown = client.post("/portal/api/test", json={"target": "Nope", "classname": "msg.X"},
                              headers={"Authorization": good})
        assert (unknown.status_code, unknown.json()) == (404, {"error": "item 'Nope' is not in production "
                                                                        "e.Production"})
    finally:
        host.close()
        host.store.close()
