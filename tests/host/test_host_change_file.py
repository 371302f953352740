"""The portal's change file (``production-changes.json`` in the data folder) when it is damaged."""

from __future__ import annotations

import json
import subprocess

import pytest

from iophost.testing import HostProcess
from support.checkout import ROOT
from support.host_settings import write_settings

ECHO = 'production.operation("Echo", EchoOperation)\n'


def _host(tmp_path, changes: str) -> HostProcess:
    host = HostProcess(write_settings(tmp_path / "app", ECHO), tmp_path / "var")
    host.data.mkdir(parents=True)
    (host.data / "production-changes.json").write_text(changes)
    return host


@pytest.mark.parametrize(("changes", "problem"), [
    ('{"productions": {"test.Production": {"Echo": {"enabled": fal', "it is not valid JSON"),
    ("[]", 'expected an object {"productions"'),
    ('{"productions": {"test.Production": {"Echo": {"pool_size": "two"}}}}',
     "production 'test.Production', item 'Echo': pool_size must be a whole number of at least 1, got 'two'"),
    ('{"productions": {"test.Production": {"Echo": {"poolsize": 2}}}}',
     "production 'test.Production', item 'Echo': unknown field(s) poolsize"),
], ids=["truncated", "not an object", "wrong type", "unknown field"])
def test_a_damaged_change_file_stops_the_start_with_an_error_naming_the_file(tmp_path, changes: str, problem: str):
    host = _host(tmp_path, changes)
    result = subprocess.run(host.command(), env=host.env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"iophost: {host.data / 'production-changes.json'}: {problem}" in output, output
    assert "Traceback" not in output


def test_a_change_to_an_item_settings_py_no_longer_has_is_reported_in_the_log(tmp_path):
    changes = {"productions": {"test.Production": {"Ghost": {"enabled": False}, "Echo": {"comment": "kept"}}}}
    host = _host(tmp_path, json.dumps(changes)).start()
    try:
        texts = [entry["text"] for entry in host.http.get("/log", params={"top": 50}).json()]
        assert any(f"{host.data / 'production-changes.json'}: change to Ghost:" in text and "not applied" in text
                   for text in texts), texts
        assert host.status()["items"] == {"Echo": "running"}
    finally:
        host.stop()
