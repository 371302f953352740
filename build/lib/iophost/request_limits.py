"""Limits on what one request may bring: body size and JSON nesting depth.

Both are host settings (``iophost start --max-body-bytes/--max-json-depth``, or the environment
variables below). The web layer refuses a body over the size (413) or nested too deep (400)
before anything parses it; the host applies the same depth limit to a message body sent as a
JSON string inside the request.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

BODY_ENV, DEPTH_ENV = "IOPHOST_MAX_BODY_BYTES", "IOPHOST_MAX_JSON_DEPTH"
DEFAULT_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_JSON_DEPTH = 100

# A JSON string (escapes included) or one bracket: brackets inside strings do not nest.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


@dataclass(frozen=True)
class RequestLimits:
    max_body_bytes: int = DEFAULT_BODY_BYTES
    max_json_depth: int = DEFAULT_JSON_DEPTH

    @classmethod
    def from_env(cls) -> RequestLimits:
        """The limits set in the environment, the defaults otherwise."""
        return cls(max_body_bytes=_positive(BODY_ENV, DEFAULT_BODY_BYTES),
                   max_json_depth=_positive(DEPTH_ENV, DEFAULT_JSON_DEPTH))

    def too_large(self) -> str:
        return (f"request body is larger than the limit of {self.max_body_bytes} bytes "
                f"(iophost start --max-body-bytes, {BODY_ENV})")

    def too_deep(self) -> str:
        return (f"JSON nested deeper than the limit of {self.max_json_depth} levels "
                f"(iophost start --max-json-depth, {DEPTH_ENV})")

    def nested_too_deep(self, text: str | bytes) -> bool:
        """True when the JSON ``text`` nests arrays/objects deeper than ``max_json_depth``."""
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        if data.count(b"[") + data.count(b"{") <= self.max_json_depth:
            return False  # cannot nest deeper than it has brackets: most bodies stop here
        depth = 0
        for token in _TOKENS.finditer(data):
            bracket = token.group()
            if bracket in (b"[", b"{"):
                depth += 1
                if depth > self.max_json_depth:
                    return True
            elif bracket in (b"]", b"}"):
                depth -= 1
        return False


DEFAULT_LIMITS = RequestLimits()


def _positive(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return number

