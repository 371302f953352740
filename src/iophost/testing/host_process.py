"""``iophost start`` in a subprocess on a free 127.0.0.1 port, driven by HTTP and the real ``iop`` CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

#: The password a test host is started with (it listens on 127.0.0.1 only, for the test's life).
PASSWORD = "host-test-password"
START_TIMEOUT = 90.0
T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], T], timeout: float = 30.0, what: str = "condition") -> T:
    """``predicate()``'s first true value, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def import_paths(extra: tuple[str, ...] = ()) -> str:
    """A PYTHONPATH for the host: ``extra``, then what this process imports from beyond the
    interpreter's own folders (what pytest's rootdir and ``pythonpath`` added), then PYTHONPATH."""
    interpreter = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
    own = [path for path in sys.path if path and not path.startswith(interpreter) and Path(path).is_dir()]
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join(dict.fromkeys([*extra, *own, *inherited]))


class HostProcess:
    """``iophost start`` in a subprocess, with helpers to drive it.

    Args:
        settings: the production's ``settings.py``.
        data: the host's data folder (message store, state); the host's output goes beside it.
        db_url: a message store other than the SQLite file in ``data``.
        env: environment variables for the host, over this process's.
        production: the production to start (default: the default of ``settings``).
        paths: folders put first on the host's PYTHONPATH.
    """

    def __init__(self, settings: Path, data: Path, *, db_url: str | None = None,
                 env: Mapping[str, str] | None = None, production: str | None = None,
                 paths: tuple[str, ...] = ()) -> None:
        self.settings, self.data, self.db_url, self.production = Path(settings), Path(data), db_url, production
        self.env = {**os.environ, "PYTHONPATH": import_paths(paths), "IOPHOST_USERNAME": "admin",
                    "IOPHOST_PASSWORD": PASSWORD, "HF_HUB_OFFLINE": "1", **(env or {})}
        self.env.pop("IOPHOST_DATABASE_URL", None)
        user = (self.env["IOPHOST_USERNAME"], self.env["IOPHOST_PASSWORD"])
        self.env["IOP_USERNAME"], self.env["IOP_PASSWORD"] = user  # the iop CLI's login
        self.proc: subprocess.Popen | None = None
        #: The host's working folder (None: this process's) and how long its start may take.
        self.cwd: Path | None = None
        self.start_timeout = START_TIMEOUT
        self.http = httpx.Client(auth=user, timeout=60)
        self._use_port(free_port())

    def _use_port(self, port: int) -> None:
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.env["IOP_URL"] = self.url
        self.http.base_url = f"{self.url}/api/iop"

    def command(self) -> list[str]:
        """The ``iophost start`` command line of this host."""
        command = [sys.executable, "-m", "iophost.cli", "start", "--settings", str(self.settings),
                   "--data", str(self.data), "--port", str(self.port)]
        command += ["--db", self.db_url] if self.db_url else []
        return command + (["--production", self.production] if self.production else [])

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
                ours = ours or self._started_here()
                status = self.http.get("/status").json()
                if ours and (not wait_items or "starting" not in status["items"].values()
                             and status["status"] == "running"):
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"host did not start: {self.output.read_text()}")

    def _started_here(self) -> bool:
        log = self.http.get("/log", params={"top": 500})
        return log.status_code == 200 and any(f"host started (pid {self.proc.pid})" in entry["text"]
                                              for entry in log.json())

    def _read_generated_password(self) -> None:
        """Without IOPHOST_PASSWORD the host generates one in its data folder: use it."""
        path = self.data / "password"
        if "IOPHOST_PASSWORD" not in self.env and path.exists() and (password := path.read_text().strip()):
            self.http.auth = ("admin", password)
            self.env["IOP_PASSWORD"] = password

    def iop(self, *args: str, env: Mapping[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        """The real ``iop`` CLI, in remote mode against this host."""
        return subprocess.run([str(Path(sys.executable).with_name("iop")), *args], env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout)

    def status(self) -> dict[str, Any]:
        return self.http.get("/status").json()

    wait_for = staticmethod(wait_for)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the host (``sig``, then SIGKILL after a minute); its exit code."""
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
