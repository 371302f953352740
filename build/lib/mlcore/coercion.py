"""Turn the text of a ``%settings`` line into the Python value a library expects."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_WORDS = {"true": True, "false": False, "none": None, "null": None}


def coerce(value: Any) -> Any:
    """Coerce a setting's text: ``"5"`` → 5, ``"0.1"`` → 0.1, ``"true"`` → True,
    ``"none"`` → None, JSON lists/objects → their value; anything else stays text."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    lowered = text.lower()
    if lowered in _WORDS:
        return _WORDS[lowered]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    return text


def coerce_all(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Coerce every value of a mapping of settings."""
    return {key: coerce(value) for key, value in settings.items()}
