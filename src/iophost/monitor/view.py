"""The Production Monitor's numbers (the portal's page, after IRIS's): per item, from the same
activity and state as ``/api/monitor/metrics``."""

from __future__ import annotations

from typing import Any

from ..statuses import ItemState
from .activity import WINDOW_SECONDS, WINDOWS_KEPT, ItemCounters, recent, summed
from .readiness import readiness
from .watched import WatchedHost

#: "Over the last minutes": completed, errors and p50/p99 count the last five.
RECENT_SECONDS = 300


def monitor_view(host: WatchedHost) -> dict[str, Any]:
    """Each item's state, queue, in flight, completed and errors lately, p50/p99, and its
    messages per window over the last ten minutes (oldest first)."""
    snapshot, now = host.activity.snapshot(), host.activity.now()
    states, errors = host.item_states(), host.item_errors()
    newest = int(now) // WINDOW_SECONDS * WINDOW_SECONDS
    starts = [newest - WINDOW_SECONDS * n for n in range(WINDOWS_KEPT - 1, -1, -1)]
    items = []
    for item in host.production.items:
        counters = snapshot.get(item.name, ItemCounters())
        lately = summed(recent(counters, now, RECENT_SECONDS).values())
        windows = {start: summed(by_class.values()) for start, by_class in counters.windows.items()}
        items.append({
            "name": item.name, "kind": item.kind, "state": states.get(item.name, ItemState.STOPPED),
            "error": errors.get(item.name, ""), "queued": host.backlog(item.name), "in_flight": counters.in_flight,
            "completed": lately.completed, "errors": lately.errors, "restarts": counters.restarts,
            "p50": lately.quantile(0.5), "p99": lately.quantile(0.99),
            "series": [[windows[s].completed, windows[s].errors] if s in windows else [0, 0] for s in starts]})
    return {"production": host.production.name, "state": host.production_state(),
            "readiness": readiness(host).to_dict(), "recent_seconds": RECENT_SECONDS,
            "window_seconds": WINDOW_SECONDS, "series_end": newest + WINDOW_SECONDS, "items": items}
