"""Whole numbers from JSON requests, checked against the bounds a setting allows."""

from __future__ import annotations

import math
import re
from typing import Any

_WHOLE = re.compile(r"-?[0-9]+")


def whole_number(name: str, value: Any, *, minimum: int, maximum: int, error: type[ValueError] = ValueError,
                 setting: str = "") -> int:
    """``value`` as an int in ``[minimum, maximum]``: an int, a whole float (20.0) or digits ("20").

    Raises:
        error: naming ``name`` (and the ``setting`` that sets the maximum) for anything else:
            ``true``, ``"1e3"``, ``1e30``, a number out of range.
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not minimum <= number <= maximum:
        where = f" (the {setting} setting)" if setting else ""
        raise error(f"{name} must be a whole number from {minimum} to {maximum}{where}, got {value!r}")
    return number
