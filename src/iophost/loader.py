"""Load a production from its ``settings.py`` by path, the way ``iop --migrate`` does.

The folder of ``settings.py`` goes on ``sys.path`` (IoP does the same), the file runs as a
module, and its ``PRODUCTIONS`` list is read through IoP's own ``Production`` model. Nothing
here imports a component module by name: the classes come from what ``settings.py`` declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iop import Production
from iop.migration._settings import import_module_from_path, module_name_from_file
from iop.production.component import ComponentRef
from iop.runtime.environment import prepend_sys_path

#: The prefix IoP gives the IRIS proxy class of a Python component (``Python.bo.MLOperation``).
PROXY_PREFIX = "Python."


class SettingsError(ValueError):
    """``settings.py`` cannot be loaded or declares no usable production."""


@dataclass(frozen=True)
class ComponentSpec:
    """What a worker process needs to build one item's component, all picklable."""

    item: str
    module: str
    class_name: str
    host_settings: dict[str, Any] = field(default_factory=dict)
    import_paths: tuple[str, ...] = ()


def load_productions(settings_path: Path) -> dict[str, Production]:
    """Run ``settings_path`` and return its productions by name (in declaration order)."""
    path = Path(settings_path).resolve()
    if not path.is_file():
        raise SettingsError(f"settings file not found: {path}")
    prepend_sys_path(str(path.parent))
    try:
        module = import_module_from_path(module_name_from_file(str(path)), str(path))
    except Exception as exc:
        raise SettingsError(f"cannot load {path}: {type(exc).__name__}: {exc}") from exc
    declared = getattr(module, "PRODUCTIONS", None)
    if not isinstance(declared, list):
        raise SettingsError(f"{path} must define PRODUCTIONS as a list")
    productions: dict[str, Production] = {}
    for entry in declared:
        production = Production.from_dict(entry) if isinstance(entry, dict) else entry
        if isinstance(production, Production):
            productions[production.name] = production
    if not productions:
        raise SettingsError(f"{path} declares no production in PRODUCTIONS")
    return productions


def is_enabled(item: ComponentRef) -> bool:
    return str(item.enabled).strip().lower() not in ("false", "0", "no")


def pool_size(item: ComponentRef) -> int:
    """The item's PoolSize; at least one worker for an enabled item (IRIS treats 0 as 1 for operations)."""
    try:
        return max(1, int(item.pool_size))
    except (TypeError, ValueError):
        return 1


def component_spec(item: ComponentRef, settings_path: Path) -> ComponentSpec:
    """The worker's recipe for ``item``: its class by module and name, and its Host settings."""
    if item.component_class is not None:
        module, class_name = item.component_class.__module__, item.component_class.__qualname__
    else:
        module, _, class_name = (item.class_name or "").removeprefix(PROXY_PREFIX).rpartition(".")
    if not module or not class_name:
        raise SettingsError(f"item {item.name!r} has no Python class ({item.class_name!r})")
    return ComponentSpec(item=item.name, module=module, class_name=class_name,
                         host_settings=dict(item.host_settings),
                         import_paths=(str(Path(settings_path).resolve().parent),))
