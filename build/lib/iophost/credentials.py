"""Who may drive the host: ``IOPHOST_USERNAME`` / ``IOPHOST_PASSWORD``, else a password generated
once and kept (mode 0600) in the data folder."""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_USERNAME = "admin"
PASSWORD_FILE = "password"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    generated: bool = False  # True only on the start that created the password: print it then
    source: str = ""

    def check(self, username: str, password: str) -> bool:
        # compare_digest: the time taken does not tell how much of the password was right.
        return hmac.compare_digest(username.encode(), self.username.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode())


def load_credentials(data_dir: Path) -> Credentials:
    username = os.environ.get("IOPHOST_USERNAME") or DEFAULT_USERNAME
    if os.environ.get("IOPHOST_PASSWORD"):
        return Credentials(username, os.environ["IOPHOST_PASSWORD"], source="IOPHOST_PASSWORD")
    path = Path(data_dir) / PASSWORD_FILE
    if path.exists():
        return Credentials(username, path.read_text().strip(), source=str(path))
    password = secrets.token_urlsafe(18)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    return Credentials(username, password, generated=True, source=str(path))
