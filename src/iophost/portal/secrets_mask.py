"""Secrets never shown by the portal: ``api_key``, tokens, passwords, in settings and bodies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "********"
_SECRET_NAME = re.compile(r"(api_?key|token|password|secret)", re.IGNORECASE)


def is_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def mask_lines(text: str) -> str:
    """``key=value`` lines with the values of secret keys replaced by :data:`MASK`."""
    lines = []
    for line in text.split("\n"):
        key, sep, value = line.partition("=")
        lines.append(f"{key}={MASK}" if sep and value.strip() and is_secret(key) else line)
    return "\n".join(lines)


def unmask_lines(submitted: str, current: str) -> str:
    """Put back the stored value of every secret line submitted still masked."""
    stored = {}
    for line in current.split("\n"):
        key, _, value = line.partition("=")
        stored[key.strip()] = value
    lines = []
    for line in submitted.split("\n"):
        key, sep, value = line.partition("=")
        lines.append(f"{key}={stored.get(key.strip(), '')}" if sep and value.strip() == MASK else line)
    return "\n".join(lines)


def mask_body(body: Any) -> Any:
    """A copy of a message body with the values of secret fields masked, at any depth."""
    if isinstance(body, Mapping):
        return {key: (MASK if is_secret(str(key)) and isinstance(value, str) and value else mask_body(value))
                for key, value in body.items()}
    if isinstance(body, list):
        return [mask_body(value) for value in body]
    return body


_PY_SECRET = re.compile(
    r"""((?:['"])?[\w%]*(?:api_?key|token|password|secret)[\w]*(?:['"])?\s*[:=]\s*)(['"])(?!\2)(.+?)\2""",
    re.IGNORECASE)
_PY_LINE_SECRET = re.compile(r"((?:api_?key|token|password|secret)\w*=)([^\\'\"\n]+)", re.IGNORECASE)


def mask_python(source: str) -> str:
    """Rendered production Python with secret setting values masked (``'api_key': '...'``, ``api_key=...``
    lines inside ``%settings`` strings)."""
    masked = _PY_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}{m.group(2)}", source)
    return _PY_LINE_SECRET.sub(lambda m: f"{m.group(1)}{MASK}", masked)
