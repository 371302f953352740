"""Secrets (``api_key``, tokens, passwords) masked before a body or a log line is stored.

Two nets: keys whose name says "secret" are masked at any depth of a body, and the values of
those keys seen recently are scrubbed from free text (a component may log a URL or an error
that quotes its key).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

MASK = "********"
_SECRET_KEY = re.compile(r"(api_?key|token|password|passwd|authorization|secret|credential)", re.IGNORECASE)
# ``api_key=...``, ``"token": "..."`` and ``Bearer ...`` in free text.
_SECRET_IN_TEXT = re.compile(
    r"""((?:api_?key|token|password|passwd|secret)\w*['"]?\s*[:=]\s*['"]?)([^\s'",}&]+)""", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)([A-Za-z0-9._~+/=-]+)", re.IGNORECASE)
_MIN_SECRET_LENGTH = 4


def is_secret_key(name: str) -> bool:
    return bool(_SECRET_KEY.search(name))


def secret_values(body: Any) -> list[str]:
    """The string values of secret keys in ``body``, at any depth."""
    found: list[str] = []
    if isinstance(body, Mapping):
        for key, value in body.items():
            if is_secret_key(str(key)) and isinstance(value, str) and len(value) >= _MIN_SECRET_LENGTH:
                found.append(value)
            else:
                found.extend(secret_values(value))
    elif isinstance(body, list):
        for value in body:
            found.extend(secret_values(value))
    return found


def mask_body(body: Any) -> Any:
    """A copy of ``body`` with every non-empty value of a secret key replaced by :data:`MASK`."""
    if isinstance(body, Mapping):
        return {key: (MASK if is_secret_key(str(key)) and value not in (None, "") else mask_body(value))
                for key, value in body.items()}
    if isinstance(body, list):
        return [mask_body(value) for value in body]
    return body


class SecretScrubber:
    """Masks secrets in free text: known patterns, and the values it was told about."""

    def __init__(self, remembered: int = 256) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._remembered = remembered
        self._lock = threading.Lock()

    def remember(self, values: list[str]) -> None:
        with self._lock:
            for value in values:
                self._values[value] = None
                self._values.move_to_end(value)
            while len(self._values) > self._remembered:
                self._values.popitem(last=False)

    def scrub(self, text: str) -> str:
        if not text:
            return text
        with self._lock:
            known = list(self._values)
        for value in known:
            if value in text:
                text = text.replace(value, MASK)
        text = _SECRET_IN_TEXT.sub(lambda m: m.group(1) + MASK, text)
        return _BEARER.sub(lambda m: m.group(1) + MASK, text)
