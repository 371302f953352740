"""Readiness: the host is ready when its production runs and every enabled item finished ``on_init``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..statuses import ItemState
from .watched import WatchedHost

#: Why an enabled item in each state is not ready.
_REASONS = {ItemState.STARTING: "on_init has not finished (a model loading, a download)",
            ItemState.STOPPED: "not running", ItemState.ERROR: "failed"}


@dataclass
class Readiness:
    ready: bool
    production: str
    #: Items that are not ready, and why.
    not_ready: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", "production": self.production,
                "not_ready": self.not_ready}


def readiness(host: WatchedHost) -> Readiness:
    """Whether ``host`` can serve every item it should; a disabled item is not waited for."""
    name = host.production.name
    if host.production_state() != "running":
        return Readiness(False, name, {name: f"production {name} is not running"})
    errors = host.item_errors()
    not_ready = {}
    for item, state in host.item_states().items():
        if state in _REASONS:
            reason = _REASONS[state]
            not_ready[item] = f"{state}: {errors[item]}" if item in errors else f"{state}: {reason}"
    return Readiness(not not_ready, name, not_ready)
