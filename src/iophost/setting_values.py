"""The text of a setting read as IRIS reads it, one rule for the whole host: truth by IoP's own
function, numbers checked; a value that fits neither is an error naming the setting.

IoP's rule (``iop/production/common.py``, ``_bool_text``, what ``iop --migrate`` writes for
``Enabled`` and the production's flags): ``true/1/yes/on`` and ``false/0/no/off``, case- and
whitespace-insensitive. The ML core cannot import the host, so its components read their boolean
settings through ``mlcore.coercion.setting_truth``; ``tests/test_setting_truth.py`` holds both to IoP's.
"""

from __future__ import annotations

from typing import Any

from iop.production.common import _bool_text

from .errors import SettingsError


def setting_truth(value: Any, name: str) -> bool:
    """``value`` as a boolean by IoP's rule.

    Raises:
        SettingsError: none of IoP's words, naming ``name``.
    """
    word = _bool_text(value)
    if word not in ("true", "false"):
        raise SettingsError(f"setting {name}={value!r}: expected true/1/yes/on or false/0/no/off")
    return word == "true"


def setting_int(value: Any, name: str, least: int = 0) -> int:
    """``value`` (a number or its text) as a whole number of at least ``least``.

    Raises:
        SettingsError: anything else, naming ``name``.
    """
    try:
        number = None if isinstance(value, bool) else int(str(value).strip())
    except ValueError:
        number = None
    if number is None or number < least:
        raise SettingsError(f"setting {name}={value!r}: expected a whole number of at least {least}")
    return number
