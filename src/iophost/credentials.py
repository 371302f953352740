"""Who may drive the host: ``IOPHOST_USERNAME`` / ``IOPHOST_PASSWORD`` (read by
:mod:`iophost.config`), else a password generated once and kept (mode 0600) in the data folder;
and how a request names its user (HTTP Basic)."""

from __future__ import annotations

import base64
import binascii
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


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(username, password)`` of an ``Authorization: Basic`` header; None when it is absent or not
    valid Basic credentials (strict base64 of UTF-8 ``user:password``)."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, password) if colon and username else None


def load_credentials(data_dir: Path, username: str = DEFAULT_USERNAME, password: str = "") -> Credentials:
    """``username`` with ``password`` (``IOPHOST_PASSWORD``), else the password kept in ``data_dir``,
    else a new one generated and kept there."""
    if password:
        return Credentials(username, password, source="IOPHOST_PASSWORD")
    path = Path(data_dir) / PASSWORD_FILE
    if path.exists():
        return Credentials(username, path.read_text().strip(), source=str(path))
    password = secrets.token_urlsafe(18)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    return Credentials(username, password, generated=True, source=str(path))
