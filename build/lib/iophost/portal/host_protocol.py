"""What the portal needs from the host core: one protocol, so the web layer stays only a web layer.

The host core implements it (see ``iophost/portal_adapter.py`` for the binding to the embedded host); tests may
implement it with anything that keeps the same promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from iop import Production

from .. import jsontext
from .messages import LogEntryView, MessageView

#: Item states the production diagram draws.
ITEM_STATES = ("starting", "running", "stopped", "error", "disabled")


@dataclass
class _Page:
    """A time window (either end open), an order and a page of results."""

    since: datetime | None = None
    until: datetime | None = None
    offset: int = 0
    limit: int = 50
    oldest_first: bool = False


@dataclass
class MessageQuery(_Page):
    """A search of the message store; every field left empty matches everything."""

    status: str = ""
    source: str = ""
    target: str = ""
    body_class: str = ""
    session_id: int | None = None
    #: Source, target and body class match any part of the name, in any case (else the whole name).
    contains: bool = False
    #: Only messages whose body holds this text (any case).
    body_text: str = ""


@dataclass
class LogQuery(_Page):
    """A search of the event log: a type, and parts of the item name and of the text (any case)."""

    type: str = ""
    item: str = ""
    text: str = ""


@dataclass
class TestOutcome:
    """What a (synchronous) test call gave: its session and the response or the error."""

    session_id: int | None
    response_class: str = ""
    #: The response body as the JSON text the component's worker wrote.
    response_json: str | None = None
    error: str = ""

    @property
    def response_body(self) -> Any:
        return None if self.response_json is None else jsontext.loads(self.response_json)


@runtime_checkable
class PortalHost(Protocol):
    """The host core, as the portal drives it."""

    @property
    def production(self) -> Production:
        """The production's current definition (IoP's model), changes included."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def model_path(self) -> Path:
        """Where models are cached (the ``path`` setting's default)."""

    def check_credentials(self, username: str, password: str) -> bool: ...

    def production_state(self) -> str:
        """``running``, ``stopped`` (or another IRIS production state, lowercase)."""

    def item_states(self) -> dict[str, str]:
        """Each item's state, one of :data:`ITEM_STATES`, by item name."""

    def item_errors(self) -> dict[str, str]:
        """Why each item in error is in error, by item name (items without an error left out)."""

    def start_production(self) -> None: ...

    def stop_production(self) -> None: ...

    def update_production(self) -> None:
        """Apply the current definition to the running production (restarting changed items)."""

    def start_item(self, name: str) -> None: ...

    def stop_item(self, name: str) -> None: ...

    def restart_item(self, name: str) -> None: ...

    def test(self, target: str, classname: str, body: dict[str, Any]) -> TestOutcome: ...

    def test_async(self, target: str, classname: str, body: dict[str, Any]) -> int:
        """Send a request without waiting; return its session id."""

    def find_messages(self, query: MessageQuery) -> tuple[list[MessageView], int]:
        """Messages matching ``query`` (newest first) and how many match in all."""

    def message(self, message_id: int) -> MessageView | None: ...

    def session(self, session_id: int) -> list[MessageView]: ...

    def resend(self, message_id: int) -> int:
        """Send a stored request again to its target, in a new session; return that session id."""

    def log_entries(self, *, since_id: int | None = None, top: int = 100, type: str = "",
                    item: str = "") -> list[LogEntryView]:
        """Event log entries (after ``since_id`` ascending, else the newest ``top`` descending)."""

    def session_log(self, session_id: int) -> list[LogEntryView]:
        """The event log entries written while the session's messages were handled, oldest first."""

    def search_log(self, query: LogQuery) -> list[LogEntryView]:
        """Event log entries matching ``query``, newest first unless it says otherwise."""

    def log(self, type: str, item: str, text: str) -> None:
        """Write an entry of the portal's own (e.g. "settings of X changed by admin")."""
