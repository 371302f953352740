"""What the monitor reads from the host, at scrape time: one protocol, so the monitor needs no host internals."""

from __future__ import annotations

from typing import Protocol

from iop import Production

from .activity import Activity


class WatchedHost(Protocol):
    """The host as the metrics, the readiness check and the Monitor page read it."""

    activity: Activity

    @property
    def production(self) -> Production:
        """The running production, else the default one."""

    def production_state(self) -> str:
        """``running`` or ``stopped``."""

    def item_states(self) -> dict[str, str]:
        """Each item's state: running, starting, error, stopped or disabled."""

    def item_errors(self) -> dict[str, str]:
        """Why each item in error is in error."""

    def backlog(self, name: str) -> int:
        """Messages queued for ``name`` that no worker has taken yet."""
