"""Hostile requests to the real host: bodies too large or nested too deep, cross-site posts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from iophost.testing import PASSWORD, HostProcess
from support.checkout import ROOT
from support.host_settings import write_settings

ECHO = "support.host_components.EchoRequest"
MAX_BODY = 100_000


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits-host")
    host = HostProcess(write_settings(folder / "app", 'production.operation("Echo", EchoOperation)\n'), folder / "var")
    host.env["IOPHOST_MAX_BODY_BYTES"] = str(MAX_BODY)  # the depth keeps its default, 100
    host.start()
    yield host
    assert host.stop() == 0


def _message(body: object) -> dict:
    return {"target": "Echo", "classname": ECHO, "body": body}


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth - 1):
        value = [value]
    return {"text": "deep", "extra": value}


@pytest.mark.parametrize("as_string", [False, True], ids=["object", "JSON string"])
def test_a_body_nested_500_deep_is_a_400_naming_the_limit(host: HostProcess, as_string: bool):
    body = _nested(500)
    response = host.http.post("/test", json=_message(json.dumps(body) if as_string else body))
    assert response.status_code == 400, response.text
    assert "JSON nested deeper than the limit of 100 levels" in response.json()["error"]
    assert "--max-json-depth" in response.json()["error"]
    assert host.status()["status"] == "running"


def test_a_body_nested_within_the_limit_is_served(host: HostProcess):
    response = host.http.post("/test", json=_message(_nested(90)))
    assert response.status_code == 200 and "echo deep" in response.json()["body"]


def test_brackets_inside_strings_do_not_count_as_nesting(host: HostProcess):
    response = host.http.post("/test", json=_message({"text": "[{" * 300}))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("chunked", [False, True], ids=["Content-Length", "chunked"])
def test_a_body_over_the_size_limit_is_a_413_naming_the_limit(host: HostProcess, chunked: bool):
    raw = json.dumps(_message({"text": "x" * MAX_BODY})).encode()
    content = iter([raw[:1000], raw[1000:]]) if chunked else raw
    response = host.http.post("/test", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == (
        f"request body is larger than the limit of {MAX_BODY} bytes "
        "(iophost start --max-body-bytes, IOPHOST_MAX_BODY_BYTES)")
    assert host.http.post("/test", json=_message({"text": "small"})).status_code == 200


@pytest.mark.parametrize("route", ["/stop", "/restart", "/kill", "/start", "/update", "/component/stop"])
def test_a_cross_site_form_post_with_credentials_is_refused_with_403(host: HostProcess, route: str):
    workers = host.status()["workers"]
    response = httpx.post(f"{host.url}/api/iop{route}", data={"component": "Echo"}, auth=("admin", PASSWORD),
                          headers={"Origin": "http://evil.example"})
    assert response.status_code == 403 and "cross-site request refused" in response.json()["error"]
    referer = httpx.post(f"{host.url}/api/iop{route}", json={"component": "Echo"}, auth=("admin", PASSWORD),
                         headers={"Referer": "http://evil.example/page"})
    assert referer.status_code == 403
    assert host.status()["status"] == "running" and host.status()["workers"] == workers, "nothing was restarted"


def test_a_post_from_the_hosts_own_pages_is_served(host: HostProcess):
    response = host.http.post("/test", json=_message({"text": "mine"}), headers={"Origin": host.url})
    assert response.status_code == 200


@pytest.mark.parametrize("option", ["--max-json-depth=0", "--max-body-bytes=-5"])
def test_a_limit_that_is_not_a_positive_number_stops_the_start_with_a_clear_error(tmp_path, option: str):
    result = subprocess.run([sys.executable, "-m", "iophost.cli", "start", "--data", str(tmp_path), option],
                            cwd=ROOT, env={"PYTHONPATH": os.environ["PYTHONPATH"]}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "must be a positive whole number" in result.stderr, result.stderr


@pytest.mark.parametrize(("path", "field"), [
    (f"/messages/{10**30}", "path.message_id"), (f"/sessions/{10**30}", "path.session_id"),
    (f"/messages?session_id={10**30}", "query.session_id"), (f"/log?since_id={10**30}", "query.since_id"),
])
def test_an_id_too_large_for_any_message_is_a_400_naming_the_field(host: HostProcess, path: str, field: str):
    response = host.http.get(path)
    assert response.status_code == 400 and f"{field}: Input should be less than or equal to" in response.json()["error"]
