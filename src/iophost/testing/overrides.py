"""A test's changes to a production, applied on top of its ``settings.py`` each time the host loads it.

The host runs a small generated settings file (:func:`write_wrapper`) that runs the project's own
``settings.py`` and changes its items through IoP's ``Production`` model, as a JSON file of the
test says (:class:`ItemChange` by item name): ``%settings`` lines or Host settings replaced,
``Enabled`` set, or the item's class replaced by :class:`~iophost.testing.fakes.RecordingFake`.
``settings.py`` itself is never rewritten; a change takes effect through IoP's ``update``, which
restarts the items whose definition changed.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from iop import Production
from iop.migration._settings import import_module_from_path, module_name_from_file
from iop.runtime.environment import prepend_sys_path

PERCENT_SETTINGS = "%settings"


@dataclass
class ItemChange:
    """What a test changes on one item; ``None`` and empty fields leave it as declared."""

    settings: dict[str, Any] = field(default_factory=dict)
    adapter_settings: dict[str, Any] = field(default_factory=dict)
    enabled: bool | None = None
    fake_folder: str = ""  # the item is a RecordingFake that keeps its messages here


def write_wrapper(folder: Path, settings: Path, changes_file: Path) -> Path:
    """The settings file the host loads: ``settings`` with the changes of ``changes_file`` applied
    (named as ``settings``, so that the host's messages name the file the test's author knows)."""
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / Path(settings).name
    wrapper.write_text(textwrap.dedent(f'''\
        """{settings}, as a test changes it (written by iophost.testing)."""
        from iophost.testing.overrides import load_changed

        globals().update(load_changed({str(Path(settings).resolve())!r}, {str(changes_file)!r}))
        '''))
    return wrapper


def read_changes(changes_file: Path) -> dict[str, ItemChange]:
    if not changes_file.exists():
        return {}
    return {name: ItemChange(**change) for name, change in json.loads(changes_file.read_text()).items()}


def write_changes(changes_file: Path, changes: dict[str, ItemChange]) -> None:
    temporary = changes_file.with_suffix(".tmp")
    temporary.write_text(json.dumps({name: asdict(change) for name, change in changes.items()}))
    temporary.replace(changes_file)  # the host never reads half a file


def load_changed(settings: str, changes_file: str) -> dict[str, Any]:
    """Run ``settings`` as IoP does (its folder on sys.path) and return its names: PRODUCTIONS with
    the changes applied, CLASSES with their folders made absolute (they were relative to it)."""
    folder = Path(settings).parent
    prepend_sys_path(str(folder))
    module = import_module_from_path(module_name_from_file(settings), settings)
    productions = [Production.from_dict(entry) if isinstance(entry, dict) else entry
                   for entry in getattr(module, "PRODUCTIONS", None) or []]
    changes = read_changes(Path(changes_file))
    for production in productions:
        for item in production.items:
            if item.name in changes:
                apply_change(item, changes[item.name])
    classes = {name: _absolute(value, folder) for name, value in (getattr(module, "CLASSES", None) or {}).items()}
    names = {name: value for name, value in vars(module).items() if not name.startswith("__")}
    return {**names, "PRODUCTIONS": productions, "CLASSES": classes}


def _absolute(registration: Any, folder: Path) -> Any:
    if isinstance(registration, dict) and "path" in registration:
        return {**registration, "path": str(folder / registration["path"])}
    return registration


def apply_change(item: Any, change: ItemChange) -> None:
    """Change one item (an IoP ``ComponentRef``) as ``change`` says."""
    if change.fake_folder:
        from .fakes import RecordingFake

        item.component_class, item.class_name = RecordingFake, f"{RecordingFake.__module__}.RecordingFake"
        item.adapter_class, item.adapter_class_name, item.adapter_settings = None, "", {}
        item.host_settings = {PERCENT_SETTINGS: f"fake_folder={change.fake_folder}"}
        item.pool_size = 1  # one writer numbers the received messages
    for name, value in change.settings.items():
        set_setting(item, name, value)
    item.adapter_settings.update(change.adapter_settings)
    if change.enabled is not None:
        item.enable(change.enabled)


def set_setting(item: Any, name: str, value: Any) -> None:
    """A Host setting of that name when the item declares one, else its ``%settings`` line
    (replaced, or added), as IRIS applies both."""
    if name in item.host_settings and name != PERCENT_SETTINGS:
        item.host_settings[name] = value
        return
    lines = [line for line in str(item.host_settings.get(PERCENT_SETTINGS, "") or "").splitlines()
             if line.partition("=")[0].strip() != name]
    item.host_settings[PERCENT_SETTINGS] = "\n".join([*lines, f"{name}={value}"])
