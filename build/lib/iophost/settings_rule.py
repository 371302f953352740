"""How an item's settings reach its Python component: IRIS's rule, in one place.

For each Python component, ``iop --migrate`` generates an IRIS proxy class with one property
per "Python Attribute" (what IoP's ``_get_properties`` lists: each public class attribute,
``InitialExpression`` = its Python default); the item's Host settings set those properties.
When the item starts, ``IOP.Common.SetPropertyValues``

1. sets each ``%settings`` line on the Python object, as text, then
2. copies every proxy property whose value is not empty over it.

So a ``%settings`` line for a declared attribute with a non-empty default is overwritten by that
default. The local host applies exactly this; components that want a ``%settings`` line to win
declare empty defaults and resolve them in ``on_init``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

PERCENT_SETTINGS = "%settings"


def parse_settings_lines(text: str | None) -> dict[str, str]:
    """``"a=1\\nb=x=y"`` → ``{"a": "1", "b": "x=y"}``, read as IRIS reads ``%settings``.

    Carriage returns are dropped, the name is the text before the first ``=`` and the value all
    after it, both verbatim (IRIS trims neither); a line without a name is skipped, and a later
    line for the same name wins.
    """
    settings: dict[str, str] = {}
    for line in (text or "").replace("\r", "").split("\n"):
        name, _, value = line.partition("=")
        if name:
            settings[name] = value
    return settings


def settings_line_problems(text: str | None) -> list[str]:
    """Lines IRIS would read differently from what their author meant, each described."""
    problems = []
    for number, line in enumerate((text or "").replace("\r", "").split("\n"), start=1):
        name, equals, _ = line.partition("=")
        if line.strip() and not equals:
            problems.append(f"line {number}: {line!r} has no '=' (expected name=value)")
        elif name and not name.isidentifier():
            problems.append(f"line {number}: setting name {name!r} is not a Python attribute name "
                            "(no spaces around '='; letters, digits and _ only)")
    return problems


def python_attributes(component_class: type) -> dict[str, Any]:
    """The proxy class's "Python Attributes" with their initial values (IoP's ``_get_properties``)."""
    listing = getattr(component_class, "_get_properties", None)
    return {row[0]: row[2] for row in listing()} if callable(listing) else {}


def proxy_property_values(component_class: type, host_settings: Mapping[str, Any]) -> dict[str, Any]:
    """Each Python Attribute's value on the proxy: its default, or the item's Host setting of that name."""
    values = python_attributes(component_class)
    values.update({name: value for name, value in host_settings.items() if name in values})
    return values


def apply_settings(component: Any, host_settings: Mapping[str, Any] | None,
                   logger: logging.Logger | None = None) -> None:
    """Set ``host_settings`` on ``component`` as ``IOP.Common.SetPropertyValues`` does (see the module)."""
    settings = dict(host_settings or {})
    lines = parse_settings_lines(str(settings.pop(PERCENT_SETTINGS, "") or ""))
    for name, value in lines.items():
        _set(component, name, value, logger)
    for name, value in proxy_property_values(type(component), settings).items():
        if value is not None and value != "":
            if name in lines and lines[name] != str(value) and logger is not None:
                logger.warning(f"%settings line {name}= is overridden by the declared attribute's value "
                               f"{value!r} (IRIS copies non-empty Python Attributes last)")
            _set(component, name, value, logger)


def _set(component: Any, name: str, value: Any, logger: logging.Logger | None) -> None:
    # IRIS logs a warning and goes on when one property cannot be set.
    try:
        setattr(component, name, value)
    except Exception as exc:
        if logger is not None:
            logger.warning(f"setting {name!r} not applied: {type(exc).__name__}: {exc}")
