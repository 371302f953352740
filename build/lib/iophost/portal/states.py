"""What the portal shows of the production's and its items' states: the badge, and which actions apply."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Badge:
    """A state as a badge: its colour (``state-<state>`` class) and its words."""

    state: str
    label: str


def production_badge(state: str, items: dict[str, str]) -> Badge:
    """``starting`` while an item still runs its ``on_init``; ``running, N items in error`` in the error colour."""
    if state != "running":
        return Badge(state, state)
    if "starting" in items.values():
        return Badge("starting", "starting")
    errors = sum(1 for item_state in items.values() if item_state == "error")
    if errors:
        return Badge("error", f"running, {errors} item{'s' if errors > 1 else ''} in error")
    return Badge("running", "running")


def production_actions(state: str) -> dict[str, bool]:
    """Which production buttons apply in ``state`` (the host's ``running`` or ``stopped``)."""
    running = state == "running"
    return {"start": not running, "stop": running, "update": running}


def item_actions(state: str, production_running: bool) -> dict[str, bool]:
    """Which item buttons apply to an item in ``state``."""
    return {"start": production_running and state in ("stopped", "error"),
            "stop": state in ("running", "starting", "error"),
            "restart": production_running and state in ("running", "error")}


def status(state: str, items: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The production's status as the pages poll it."""
    running = state == "running"
    return {"state": state, "badge": asdict(production_badge(state, items)), "actions": production_actions(state),
            "items": items, "errors": errors,
            "item_actions": {name: item_actions(item_state, running) for name, item_state in items.items()}}
