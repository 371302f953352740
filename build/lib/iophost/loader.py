"""Load a production from its ``settings.py`` by path, the way ``iop --migrate`` does.

The folder of ``settings.py`` goes on ``sys.path`` (IoP does the same) and the file runs as a
module. Its ``PRODUCTIONS`` (``Production`` builders or classic dicts, several per file) are read
through IoP's own ``Production`` model, so ``@Target`` Host/Adapter/none settings land where IoP
puts them. An item's class is the builder's class, else its IRIS class name looked up in
``CLASSES`` as ``iop --migrate`` registers it: a class, a ``{module, class, path}`` descriptor,
or a module/file/package/folder registered under a package name (``<name>.<module>.<Class>``).
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from iop import Production
from iop.migration._settings import import_module_from_path, module_name_from_file
from iop.migration.utils import filename_to_module
from iop.production.component import ComponentRef
from iop.runtime.environment import prepend_sys_path

#: The prefix IoP gives the IRIS proxy class of a Python component registered by folder (``Python.bo.MLOperation``).
PROXY_PREFIX = "Python."
#: IRIS's default inbound adapter: the service itself is polled every CallInterval.
DEFAULT_INBOUND_ADAPTER = "Ens.InboundAdapter"
IRIS_ADAPTER_PREFIXES = ("EnsLib.", "Ens.", "HS.", "%")


class SettingsError(ValueError):
    """``settings.py`` cannot be loaded, declares no usable production, or names a class it cannot resolve."""


@dataclass(frozen=True)
class ComponentSpec:
    """What a worker process needs to build one item's component (and its adapter), all picklable."""

    item: str
    module: str
    class_name: str
    host_settings: dict[str, Any] = field(default_factory=dict)
    import_paths: tuple[str, ...] = ()
    adapter_module: str = ""
    adapter_class: str = ""
    adapter_settings: dict[str, Any] = field(default_factory=dict)
    polled: bool = False  # a service with IRIS's default inbound adapter


@dataclass(frozen=True)
class LoadedSettings:
    """A ``settings.py`` once run: its productions by name and its ``CLASSES``."""

    path: Path
    productions: dict[str, Production]
    classes: Mapping[str, Any]
    notes: tuple[str, ...] = ()  # what the local host reads but does not use, for the event log


def load_settings(settings_path: Path) -> LoadedSettings:
    """Run ``settings_path``; return its productions (in declaration order) and CLASSES."""
    path = Path(settings_path).resolve()
    if not path.is_file():
        raise SettingsError(f"settings file not found: {path}")
    prepend_sys_path(str(path.parent))
    try:
        module = import_module_from_path(module_name_from_file(str(path)), str(path))
    except Exception as exc:
        raise SettingsError(f"cannot load {path}: {type(exc).__name__}: {exc}") from exc
    classes = getattr(module, "CLASSES", None) or {}
    if not isinstance(classes, dict):
        raise SettingsError(f"{path}: CLASSES must be a dict of IRIS class name -> Python class")
    return LoadedSettings(path, _productions(module, path), classes, _iris_only_notes(module, path))


def _iris_only_notes(module: ModuleType, path: Path) -> tuple[str, ...]:
    return tuple(f"{path.name}: {name} is used by iop --migrate on IRIS only; the local host skips it"
                 for name in ("SCHEMAS", "REMOTE_SETTINGS") if getattr(module, name, None))


def _productions(module: ModuleType, path: Path) -> dict[str, Production]:
    declared = getattr(module, "PRODUCTIONS", None)
    if not isinstance(declared, list):
        raise SettingsError(f"{path} must define PRODUCTIONS as a list")
    productions: dict[str, Production] = {}
    for index, entry in enumerate(declared):
        try:
            production = Production.from_dict(entry) if isinstance(entry, dict) else entry
        except Exception as exc:
            raise SettingsError(f"{path}: PRODUCTIONS[{index}] is not a production: {exc}") from exc
        if isinstance(production, Production):
            productions[production.name] = production
    if not productions:
        raise SettingsError(f"{path} declares no production in PRODUCTIONS")
    return productions


def load_productions(settings_path: Path) -> dict[str, Production]:
    """Run ``settings_path`` and return its productions by name (in declaration order)."""
    return load_settings(settings_path).productions


def is_enabled(item: ComponentRef) -> bool:
    return str(item.enabled).strip().lower() not in ("false", "0", "no")


def pool_size(item: ComponentRef) -> int:
    """The item's PoolSize; at least one worker for an enabled item (IRIS treats 0 as 1 for operations)."""
    try:
        return max(1, int(item.pool_size))
    except (TypeError, ValueError):
        return 1


@dataclass(frozen=True)
class _Resolved:
    module: str
    class_name: str
    path: str = ""
    klass: type | None = None


def _from_class(klass: type) -> _Resolved:
    return _Resolved(klass.__module__, klass.__qualname__, klass=klass)


def _registered_under(iris_name: str, key: str, value: Any) -> _Resolved | None:
    """``iris_name`` as one class of a module/file/package/folder that CLASSES registers under ``key``."""
    if not iris_name.startswith(key + "."):
        return None
    module, _, class_name = iris_name[len(key) + 1:].rpartition(".")
    if inspect.ismodule(value):
        short = value.__name__.rpartition(".")[2]
        return _Resolved(value.__name__, class_name) if module == short else None
    if isinstance(value, dict) and "path" in value:
        if "file" in value and module != filename_to_module(value["file"]):
            return None
        folder = Path(value["path"]) / value.get("package", "")
        return _Resolved(module, class_name, str(folder)) if module else None
    return None


def resolve_class(iris_name: str, classes: Mapping[str, Any], base: Path) -> _Resolved | None:
    """The Python class registered as ``iris_name`` by ``CLASSES`` (or by IoP's default ``Python.``
    folder registration when that module exists beside settings.py); None when nothing fits."""
    value = classes.get(iris_name)
    if inspect.isclass(value):
        return _from_class(value)
    if isinstance(value, dict) and {"module", "class"} <= value.keys():
        return _Resolved(value["module"], value["class"], str(base / value.get("path", "")))
    for key, registered in classes.items():
        found = _registered_under(iris_name, key, registered)
        if found is not None:
            return found if not found.path else _Resolved(found.module, found.class_name, str(base / found.path))
    module, _, class_name = iris_name.removeprefix(PROXY_PREFIX).rpartition(".")
    if iris_name.startswith(PROXY_PREFIX) and module and _module_exists(module):
        return _Resolved(module, class_name)
    return None


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def component_spec(item: ComponentRef, settings_path: Path, classes: Mapping[str, Any] | None = None) -> ComponentSpec:
    """The worker's recipe for ``item``: its class (and adapter) by module and name, and its settings.

    Raises:
        SettingsError: the class or its adapter cannot be resolved, or the adapter is IRIS-only.
    """
    base = Path(settings_path).resolve().parent
    classes = classes or {}
    if item.component_class is not None:
        resolved = _from_class(item.component_class)
    else:
        resolved = resolve_class(item.class_name or "", classes, base)
    if resolved is None:
        raise SettingsError(f"item {item.name!r}: class {item.class_name!r} is not registered in CLASSES of "
                            f"{Path(settings_path).name} (add CLASSES = {{{item.class_name!r}: YourClass}})")
    adapter, polled = _adapter(item, resolved, classes, base)
    paths = tuple(dict.fromkeys(p for p in (resolved.path, adapter.path if adapter else "", str(base)) if p))
    return ComponentSpec(item=item.name, module=resolved.module, class_name=resolved.class_name,
                         host_settings=dict(item.host_settings), import_paths=paths,
                         adapter_module=adapter.module if adapter else "",
                         adapter_class=adapter.class_name if adapter else "",
                         adapter_settings=dict(item.adapter_settings), polled=polled)


def _adapter(item: ComponentRef, component: _Resolved, classes: Mapping[str, Any],
             base: Path) -> tuple[_Resolved | None, bool]:
    """The item's Python adapter, and whether the service is polled by IRIS's default inbound adapter."""
    if item.adapter_class is not None:
        return _from_class(item.adapter_class), False
    name = item.adapter_class_name or ""
    if not name and hasattr(component.klass, "get_adapter_type"):
        name = component.klass.get_adapter_type() or ""
    if not name:
        return None, False
    if name == DEFAULT_INBOUND_ADAPTER:
        return None, True
    if name.startswith(IRIS_ADAPTER_PREFIXES):
        raise SettingsError(f"item {item.name!r}: adapter {name} is an IRIS adapter; the local host runs only "
                            f"Python adapters (iop.InboundAdapter / iop.OutboundAdapter subclasses)")
    resolved = resolve_class(name, classes, base)
    if resolved is None:
        raise SettingsError(f"item {item.name!r}: adapter class {name!r} is not registered in CLASSES")
    return resolved, False
