"""A real ``iophost start`` in a subprocess on a free 127.0.0.1 port, driven by the real ``iop`` CLI
in remote mode and by HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PASSWORD = "host-test-password"
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_settings(folder: Path, items: str, name: str = "test.Production") -> Path:
    """A settings.py whose production holds ``items`` (Python lines using ``production``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settings.py"
    path.write_text(textwrap.dedent('''\
        from iop import Production
        from bo import HFOperation, MLOperation
        from host_components import BrokenOperation, EchoOperation, QuietEchoOperation

        production = Production("{name}", testing_enabled=True)
        ''').format(name=name) + textwrap.dedent(items) + "\nPRODUCTIONS = [production]\n")
    return path


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    """``predicate()``'s first true value, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class HostProcess:
    """``iophost start`` in a subprocess, with helpers to drive it."""

    def __init__(self, settings: Path, data: Path, *, db_url: str | None = None) -> None:
        self.settings, self.data, self.db_url = settings, data, db_url
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("src", "src/python", "tests")),
                    "IOPHOST_USERNAME": "admin", "IOPHOST_PASSWORD": PASSWORD, "HF_HUB_OFFLINE": "1",
                    "IOP_USERNAME": "admin", "IOP_PASSWORD": PASSWORD}
        self.env.pop("IOPHOST_DATABASE_URL", None)
        self.proc: subprocess.Popen | None = None
        self.cwd, self.start_timeout = ROOT, START_TIMEOUT
        self.http = httpx.Client(auth=("admin", PASSWORD), timeout=60)
        self._use_port(free_port())

    def _use_port(self, port: int) -> None:
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.env["IOP_URL"] = self.url
        self.http.base_url = f"{self.url}/api/iop"

    def command(self) -> list[str]:
        """The ``iophost start`` command line of this host."""
        command = [sys.executable, "-m", "iophost.cli", "start", "--settings", str(self.settings),
                   "--data", str(self.data), "--port", str(self.port)]
        return command + (["--db", self.db_url] if self.db_url else [])

    def start(self, *, wait_items: bool = True, new_session: bool = False) -> HostProcess:
        """Start the host; ``new_session``: in a process group of its own, for signals sent to the group.

        The free port was released before the host binds it: when something else took it meanwhile,
        the host exits and starts again on another one."""
        for _ in range(3):
            if self._start(wait_items, new_session):
                return self
            self._use_port(free_port())
        raise AssertionError(f"host found no free port: {self.output.read_text()}")

    def _start(self, wait_items: bool, new_session: bool) -> bool:
        self.output = self.data.parent / f"host-{self.port}.out"
        self.data.mkdir(parents=True, exist_ok=True)
        with open(self.output, "ab") as out:
            self.proc = subprocess.Popen(self.command(), env=self.env, cwd=self.cwd, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=new_session)
        deadline = time.monotonic() + self.start_timeout
        ours = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                assert "address already in use" in self.output.read_text(), self.output.read_text()
                return False
            self._read_generated_password()
            try:
                # Whoever answers on the port must be this process (its start is in the log).
                log = self.http.get("/log", params={"top": 500})
                ours = ours or log.status_code == 200 and any(f"host started (pid {self.proc.pid})" in entry["text"]
                                                              for entry in log.json())
                status = self.http.get("/status").json()
                if ours and (not wait_items or "starting" not in status["items"].values()
                             and status["status"] == "running"):
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"host did not start: {self.output.read_text()}")

    def _read_generated_password(self) -> None:
        """Without IOPHOST_PASSWORD the host generates one in its data folder: use it."""
        path = self.data / "password"
        if "IOPHOST_PASSWORD" not in self.env and path.exists() and (password := path.read_text().strip()):
            self.http.auth = ("admin", password)
            self.env["IOP_PASSWORD"] = password

    def iop(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        """The real ``iop`` CLI, in remote mode against this host."""
        return subprocess.run([str(VENV_BIN / "iop"), *args], env={**self.env, **(env or {})}, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)

    def status(self) -> dict:
        return self.http.get("/status").json()

    wait_for = staticmethod(wait_for)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc is None:
            return 0
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=10)
        self.proc = None
        return code
