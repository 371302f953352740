"""The host's data folder: who owns it (a lock file holding the owner's pid) and which
production is the default (a one-line file), both surviving restarts."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataFolderInUseError

LOCK_FILE = "iophost.pid"
DEFAULT_FILE = "default-production"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DataFolder:
    """One host's folder of state beside the message store (created when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    def claim(self) -> bool:
        """Write this process's pid into the lock file; True when a stale lock says the last host
        did not stop cleanly.

        Raises:
            DataFolderInUseError: another live host process holds the lock.
        """
        lock = self.path / LOCK_FILE
        unclean = False
        if lock.exists():
            try:
                pid = int(lock.read_text().strip() or 0)
            except ValueError:
                pid = 0
            if pid and pid != os.getpid() and _pid_alive(pid):
                raise DataFolderInUseError(f"another host (pid {pid}) uses {self.path}")
            unclean = True
        lock.write_text(str(os.getpid()))
        return unclean

    def release(self) -> None:
        (self.path / LOCK_FILE).unlink(missing_ok=True)

    def read_default(self) -> str:
        """The default production's name last set ("" when never set)."""
        path = self.path / DEFAULT_FILE
        return path.read_text().strip() if path.exists() else ""

    def write_default(self, name: str) -> None:
        (self.path / DEFAULT_FILE).write_text(name)
