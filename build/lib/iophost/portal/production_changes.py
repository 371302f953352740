"""Changes made to a production's definition in the portal, kept apart from ``settings.py``.

``settings.py`` on disk is never rewritten: the portal's changes (settings, Enabled, PoolSize,
added and removed items) are stored as JSON in the host's data folder and applied, through IoP's
own ``Production`` model, on top of what ``settings.py`` declares, each time it is loaded. The
export (``Production.to_python()``) therefore renders the current definition.

A file that is not what the portal writes (truncated, not an object, a field of the wrong type)
stops the load with :class:`ChangeFileError` naming the file and the entry; a well-formed change
that no longer fits ``settings.py`` (its item or class is gone) is returned as a problem, for
the host's event log.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iop import Production

FILE_NAME = "production-changes.json"
#: Item names the portal accepts: they appear in URLs, log filters and exported Python, so no ``/``, ``?``, ``#``...
ITEM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .\-]{0,127}")
ITEM_FIELDS = ("enabled", "pool_size", "comment")


class ChangeError(ValueError):
    """A change that cannot be applied: unknown item or class, duplicate name, bad value."""


class ChangeFileError(ChangeError):
    """The change file cannot be read as the portal writes it."""


def class_key(component_class: type) -> str:
    """``bo.MLOperation`` for the class ``MLOperation`` of module ``bo``."""
    return f"{component_class.__module__}.{component_class.__name__}"


def component_classes(production: Production) -> dict[str, type]:
    """The component classes a production's items use, by ``module.Class``."""
    return {class_key(item.component_class): item.component_class
            for item in production.items if item.component_class is not None}


def component_kind(component_class: type) -> str:
    """``service``, ``process`` or ``operation``, from the IoP base class."""
    from iop import BusinessProcess, BusinessService

    if issubclass(component_class, BusinessService):
        return "service"
    if issubclass(component_class, BusinessProcess):
        return "process"
    return "operation"


@dataclass
class ItemChange:
    """What the portal changed on one item; ``None`` fields are left as declared."""

    added_class: str | None = None
    removed: bool = False
    enabled: bool | None = None
    pool_size: int | None = None
    comment: str | None = None
    settings: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value not in (None, False)}

    @classmethod
    def from_dict(cls, data: Any) -> ItemChange:
        """The change ``data`` describes; ChangeError naming the field when it is not one the portal writes."""
        if not isinstance(data, dict):
            raise ChangeError(f"expected an object of changes, got {type(data).__name__}")
        unknown = sorted(set(data) - set(_FIELD_TYPES))
        if unknown:
            raise ChangeError(f"unknown field(s) {', '.join(unknown)}; expected some of {', '.join(_FIELD_TYPES)}")
        for key, value in data.items():
            if not _valid(key, value):
                raise ChangeError(f"{key} must be {_FIELD_NAMES[key]}, got {value!r}")
        return cls(**data)


_FIELD_TYPES: dict[str, type] = {"added_class": str, "removed": bool, "enabled": bool, "pool_size": int,
                                 "comment": str, "settings": dict}
_FIELD_NAMES = {"added_class": "a module.Class name", "removed": "true or false", "enabled": "true or false",
                "pool_size": "a whole number of at least 1", "comment": "text", "settings": "an object"}


def _valid(key: str, value: Any) -> bool:
    if value is None:
        return True
    if key == "pool_size":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    return isinstance(value, _FIELD_TYPES[key])


class ProductionChanges:
    """The change file of one data folder, for every production it has changed.

    Thread-safe; each write replaces the file atomically.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self._lock = threading.RLock()

    def load(self) -> dict[str, dict[str, ItemChange]]:
        """Every stored change by production and item; ChangeFileError when the file is not valid."""
        with self._lock:
            if not self.path.is_file():
                return {}
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise self._invalid(f"it is not valid JSON ({exc})") from None
            productions = raw.get("productions") if isinstance(raw, dict) else None
            if not isinstance(productions, dict):
                raise self._invalid('expected an object {"productions": {production: {item: changes}}}')
            changes: dict[str, dict[str, ItemChange]] = {}
            for production, items in productions.items():
                if not isinstance(items, dict):
                    raise self._invalid(f"production {production!r}: expected an object of items")
                for name, change in items.items():
                    try:
                        changes.setdefault(production, {})[name] = ItemChange.from_dict(change)
                    except ChangeError as exc:
                        raise self._invalid(f"production {production!r}, item {name!r}: {exc}") from None
            return changes

    def _invalid(self, problem: str) -> ChangeFileError:
        return ChangeFileError(f"{self.path}: {problem}. Fix the file, or move it aside to drop the portal's "
                               "changes to the production")

    def _save(self, changes: dict[str, dict[str, ItemChange]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"productions": {production: {name: change.to_dict() for name, change in items.items()}
                                for production, items in changes.items()}}
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".changes-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2, sort_keys=True)
        os.replace(temp, self.path)

    def for_production(self, production_name: str) -> dict[str, ItemChange]:
        return self.load().get(production_name, {})

    def apply_to(self, production: Production) -> list[str]:
        """Apply the stored changes to a freshly loaded ``production``; return those that could not be
        applied, each naming this file and the item."""
        problems = apply_changes(production, self.for_production(production.name))
        return [f"{self.path}: change to {problem}; not applied" for problem in problems]

    def update_item(self, production: Production, name: str, *, settings: dict[str, Any] | None = None,
                    enabled: bool | None = None, pool_size: int | None = None,
                    comment: str | None = None) -> None:
        """Change an item's settings (a full replacement of its Host settings) or Enabled/PoolSize,
        in ``production`` and in the file."""
        if pool_size is not None and int(pool_size) < 1:
            raise ChangeError("PoolSize must be at least 1")
        with self._lock:
            production.item(name)  # raises ValueError for an unknown item
            change = ItemChange(settings=settings, enabled=enabled,
                                pool_size=None if pool_size is None else int(pool_size), comment=comment)
            _apply_one(production, name, change, component_classes(production))
            self._merge(production.name, name, change)

    def add_item(self, production: Production, name: str, classname: str, settings: dict[str, Any],
                 known_classes: dict[str, type] | None = None, enabled: bool = True) -> None:
        """Add an item of one of the production's component classes."""
        name = name.strip()
        if not ITEM_NAME.fullmatch(name):
            raise ChangeError(f"item name {name!r} refused: expected 1 to 128 letters, digits, spaces, '.', '_' or "
                              "'-', not starting with a space, '.' or '-'")
        if name in {item.name for item in production.items}:
            raise ChangeError(f"an item named {name!r} already exists")
        classes = known_classes or component_classes(production)
        if classname not in classes:
            raise ChangeError(f"{classname!r} is not one of the production's component classes: {sorted(classes)}")
        with self._lock:
            change = ItemChange(added_class=classname, settings=dict(settings), enabled=enabled)
            _apply_one(production, name, change, classes)
            changes = self.load()
            changes.setdefault(production.name, {})[name] = change
            self._save(changes)

    def remove_item(self, production: Production, name: str) -> None:
        with self._lock:
            production.delete_component(production.item(name))
            changes = self.load()
            items = changes.setdefault(production.name, {})
            if items.get(name) and items[name].added_class:
                del items[name]  # added in the portal: forget it entirely
            else:
                items[name] = ItemChange(removed=True)
            self._save(changes)

    def _merge(self, production_name: str, name: str, change: ItemChange) -> None:
        changes = self.load()
        items = changes.setdefault(production_name, {})
        current = items.get(name, ItemChange())
        for key, value in vars(change).items():
            if value is not None and key not in ("added_class", "removed"):
                setattr(current, key, value)
        items[name] = current
        self._save(changes)


def _apply_one(production: Production, name: str, change: ItemChange, classes: dict[str, type]) -> None:
    if change.removed:
        production.delete_component(production.item(name))
        return
    if change.added_class:
        if change.added_class not in classes:
            raise ChangeError(f"unknown component class {change.added_class!r}")
        klass = classes[change.added_class]
        production.component(name, klass, kind=component_kind(klass), settings=dict(change.settings or {}))
    updates: dict[str, Any] = {key: getattr(change, key) for key in ITEM_FIELDS if getattr(change, key) is not None}
    if change.settings is not None and not change.added_class:
        current = production.item(name).host_settings
        replacement: dict[str, Any] = {key: None for key in current}
        replacement.update(change.settings)
        updates["settings"] = replacement
    if updates:
        production.update_component(name, **updates)


def apply_changes(production: Production, changes: dict[str, ItemChange]) -> list[str]:
    """Apply ``changes`` to ``production`` in place; return the ones that could not be applied."""
    classes = component_classes(production)
    problems: list[str] = []
    for name, change in changes.items():
        try:
            _apply_one(production, name, change, classes)
        except (ValueError, ChangeError) as exc:
            problems.append(f"{name}: {exc}")
    return problems
