"""Which message classes a request may name: those of the production's own modules.

A request's ``classname`` is text from the network; importing whatever module it names would run
any code on the path in the host (``this`` prints, ``torch`` loads hundreds of megabytes). The
modules a request may name are the components' modules and the modules they take message classes
from (``from msg import MLRequest`` in ``bo.py``), plus those listed in ``IOPHOST_MESSAGE_MODULES``
(comma-separated). Nothing else is imported.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from iop.messages.validation import is_message_class, is_pickle_message_class

from .component import MessageClassError, message_class
from .loader import ComponentSpec

MESSAGE_MODULES_ENV = "IOPHOST_MESSAGE_MODULES"
_CLASSNAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


class MessageClasses:
    """The message classes of one production, checked without importing anything a request names."""

    def __init__(self, specs: Iterable[ComponentSpec], extra_modules: Iterable[str] | None = None) -> None:
        modules: set[str] = set()
        for spec in specs:
            modules.add(spec.module)
            modules.update(_message_modules_of(spec.module, spec.import_paths))
        if extra_modules is None:
            extra_modules = os.environ.get(MESSAGE_MODULES_ENV, "").split(",")
        modules.update(name.strip() for name in extra_modules if name.strip())
        self.modules = frozenset(modules)
        self._known: dict[str, type] = {}  # the hot path: one dict lookup per message

    def resolve(self, classname: str) -> type:
        """The message class ``module.Class`` names.

        Raises:
            MessageClassError: not ``module.Class``, a module that is not the production's, no such
                class, or a class that is not an IoP message.
        """
        known = self._known.get(classname)
        if known is not None:
            return known
        if not isinstance(classname, str) or not _CLASSNAME.fullmatch(classname):
            raise MessageClassError(f"classname must be module.Class (a Python message class), got {classname!r}")
        module_name = classname.rpartition(".")[0]
        if module_name not in self.modules:
            raise MessageClassError(
                f"unknown message class {classname!r}: module {module_name!r} is not one of this production's "
                f"message modules ({', '.join(sorted(self.modules)) or 'none'}; more with {MESSAGE_MODULES_ENV})")
        self._known[classname] = message_class(classname)
        return self._known[classname]


def _message_modules_of(module_name: str, import_paths: Iterable[str]) -> set[str]:
    """The modules ``module_name`` takes message classes from: read from the loaded module when
    ``settings.py`` imported it, else from its source (``from X import ...`` of a file of the production)."""
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        return _from_namespace(loaded)
    source = _module_file(module_name, import_paths)
    if source is None:
        return set()
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
                and not node.level}
    return {name for name in imported if _module_file(name, import_paths) is not None}


def _from_namespace(module: ModuleType) -> set[str]:
    return {value.__module__ for value in vars(module).values()
            if isinstance(value, type) and (is_message_class(value) or is_pickle_message_class(value))}


def _module_file(module_name: str, import_paths: Iterable[str]) -> Path | None:
    relative = Path(*module_name.split("."))
    for root in import_paths:
        for candidate in (Path(root) / relative.with_suffix(".py"), Path(root) / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None
