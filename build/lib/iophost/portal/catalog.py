"""What the portal offers for each item: its request classes, its task and the example to prefill."""

from __future__ import annotations

from typing import Any

from iop.production.component import ComponentRef

from ..masking import MASKER
from ..settings_rule import PERCENT_SETTINGS, parse_settings_lines
from .examples import default_request_class, example_body


def percent_settings(item: ComponentRef) -> dict[str, str]:
    """An item's ``%settings`` lines as a dict (``name=gpt2`` → ``{"name": "gpt2"}``)."""
    return parse_settings_lines(str(item.host_settings.get(PERCENT_SETTINGS) or ""))


def other_settings_text(item: ComponentRef) -> str:
    """The Host settings other than ``%settings``, one ``Name=value`` line each."""
    return MASKER.mask_lines("\n".join(f"{key}={value}" for key, value in item.host_settings.items()
                                 if key != PERCENT_SETTINGS))


def percent_settings_text(item: ComponentRef) -> str:
    """The ``%settings`` text as the editor shows it (secret values masked)."""
    return MASKER.mask_lines(str(item.host_settings.get(PERCENT_SETTINGS) or ""))


def item_class_name(item: ComponentRef) -> str:
    if item.component_class is not None:
        return f"{item.component_class.__module__}.{item.component_class.__name__}"
    return str(item.class_name or "")


def handled_classes(component_class: type | None) -> list[str]:
    """Request classes the component class's IoP dispatch table handles (``[]`` when unreadable)."""
    if component_class is None:
        return []
    from iop.messages.dispatch import create_dispatch

    try:
        component = component_class.__new__(component_class)
        create_dispatch(component)
        return [str(message) for message, _method in component.DISPATCH]
    except Exception:  # a component whose attributes fail without on_init: fall back to the known list
        return []


def request_classes(item: ComponentRef) -> list[str]:
    """The classes offered on the Test page for ``item``: those its ``on_*`` handlers take (IoP's dispatch
    table), its usual one first; the usual one alone when the table cannot be read."""
    usual = default_request_class(item_class_name(item))
    handled = handled_classes(item.component_class)
    if not handled:
        return [usual]
    return sorted(handled, key=lambda name: name != usual)


def test_choices(items: list[ComponentRef]) -> dict[str, dict[str, Any]]:
    """For each item: its classes, its task, and the example body of each class, for the Test page."""
    choices: dict[str, dict[str, Any]] = {}
    for item in items:
        task = percent_settings(item).get("task", "")
        classes = request_classes(item)
        choices[item.name] = {"classes": classes, "task": task,
                              "examples": {name: example_body(name, task) for name in classes}}
    return choices


def rollback_class(item: ComponentRef) -> str | None:
    """The request class that rolls a promotion back, when the item's class handles one."""
    return next((name for name in handled_classes(item.component_class) if "Rollback" in name), None)


def is_tuning_item(item: ComponentRef) -> bool:
    return "Tuning" in item_class_name(item) or any(
        "TrainRequest" in name for name in handled_classes(item.component_class))
