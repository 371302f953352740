"""What the Messages and Event log pages share: a time window, sort order, page size and paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PAGE_SIZES = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
#: The "last ..." choices of the time window, by their value in the URL.
WINDOWS = {"15m": ("last 15 minutes", timedelta(minutes=15)), "1h": ("last hour", timedelta(hours=1)),
           "24h": ("last 24 hours", timedelta(days=1)), "7d": ("last 7 days", timedelta(days=7))}
SORTS = {"newest": "newest first", "oldest": "oldest first"}


def _when(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass
class Window:
    """A search's time window (UTC, as the store keeps times), order and page."""

    since: datetime | None
    until: datetime | None
    oldest_first: bool
    size: int
    page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def window(*, since: str, until: str, last: str, sort: str, size: int, page: int) -> Window:
    """The window a page's parameters ask for: ``last`` (e.g. ``1h``) wins over ``since``."""
    start = datetime.now(UTC).replace(tzinfo=None) - WINDOWS[last][1] if last in WINDOWS else _when(since)
    return Window(since=start, until=_when(until), oldest_first=sort == "oldest",
                  size=size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE, page=max(page, 1))
