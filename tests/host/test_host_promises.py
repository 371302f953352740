"""What README promises about starting the host: one host per data folder, the generated password."""

from __future__ import annotations

import stat
import subprocess

from iophost.testing import HostProcess
from support.checkout import ROOT
from support.host_settings import write_settings

ECHO = 'production.operation("Echo", EchoOperation)\n'


def test_a_second_host_on_the_same_data_folder_is_refused_and_the_first_keeps_running(tmp_path):
    settings = write_settings(tmp_path / "app", ECHO)
    first = HostProcess(settings, tmp_path / "var").start()
    try:
        second = HostProcess(settings, tmp_path / "var")
        result = subprocess.run(second.command(), env=second.env, cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 1 and f"another host (pid {first.proc.pid}) uses" in result.stderr, result
        assert first.status()["status"] == "running"
        assert (tmp_path / "var" / "iophost.pid").read_text().strip() == str(first.proc.pid)
    finally:
        assert first.stop() == 0


def test_the_generated_password_is_printed_once_and_kept_readable_by_the_owner_only(tmp_path):
    host = HostProcess(write_settings(tmp_path / "app", ECHO), tmp_path / "var")
    del host.env["IOPHOST_PASSWORD"]
    host.start(wait_items=False)
    assert host.stop() == 0
    password_file = host.data / "password"
    password = password_file.read_text().strip()
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    first_output = host.output.read_text()
    assert first_output.count(password) == 1, "printed once, at the start that generated it"
    host.output.unlink()
    host.start(wait_items=False)
    try:
        assert password not in host.output.read_text(), "never printed again"
        assert host.http.get("/status", auth=("admin", password)).status_code == 200
    finally:
        host.stop()
