"""Turn the text of a ``%settings`` line into the Python value a library expects, and read a
component's boolean and numeric settings, checked, with errors that name the setting.

The truth of a setting's text is IoP's rule (``iop/production/common.py``, ``_bool_text``, which
``iop --migrate`` applies to ``Enabled`` and the production's flags): ``true/1/yes/on`` and
``false/0/no/off``, case- and whitespace-insensitive. The ML core imports nothing of IoP, so the
rule is written here once; ``tests/test_setting_truth.py`` checks it against IoP's own function.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
# "1" and "0" are left out here: coerce reads them as numbers.
_WORDS = {**dict.fromkeys(TRUE_WORDS - {"1"}, True), **dict.fromkeys(FALSE_WORDS - {"0"}, False),
          "none": None, "null": None}


def coerce(value: Any) -> Any:
    """Coerce a setting's text: ``"5"`` → 5, ``"0.1"`` → 0.1, ``"true"``/``"yes"``/``"on"`` → True
    (``"false"``/``"no"``/``"off"`` → False), ``"none"`` → None, JSON lists/objects → their value;
    anything else stays text."""
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


def setting_truth(value: Any, name: str) -> bool:
    """A boolean setting's value by IoP's rule (see the module).

    Raises:
        ValueError: ``value`` is none of those words, naming the setting.
    """
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValueError(f"setting {name}={value!r}: expected true/1/yes/on or false/0/no/off")


def setting_number(value: Any, name: str, kind: type = int, least: float | None = None) -> Any:
    """A numeric setting's value as ``kind`` (int or float), at least ``least`` when given.

    Raises:
        ValueError: not such a number, naming the setting and what was expected.
    """
    coerced = coerce(value)
    allowed = (int,) if kind is int else (int, float)
    number = kind(coerced) if isinstance(coerced, allowed) and not isinstance(coerced, bool) else None
    if number is None or (least is not None and number < least):
        what = "a whole number" if kind is int else "a number"
        bound = "" if least is None else f" of at least {least:g}"
        raise ValueError(f"setting {name}={value!r}: expected {what}{bound}")
    return number
