"""The host core as the management portal's :class:`~iophost.portal.host_protocol.PortalHost`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iop import Production

from .errors import ComponentError
from .host import Host
from .portal import LogQuery, MessageQuery, TestOutcome
from .portal.messages import LogEntryView, MessageView, log_entry_from_row, message_from_row

PORTAL_SOURCE = "Portal Test"
SESSION_LOG_LINES = 500  # a Visual Trace shows at most this many event-log lines of its session


class PortalAdapter:
    """Binds :class:`~iophost.host.Host` to the portal's protocol (views instead of rows)."""

    def __init__(self, host: Host) -> None:
        self.host = host

    @property
    def production(self) -> Production:
        return self.host.production

    @property
    def data_dir(self) -> Path:
        return self.host.data_dir

    @property
    def model_path(self) -> Path:
        return self.host.model_path

    def check_credentials(self, username: str, password: str) -> bool:
        return self.host.check_credentials(username, password)

    def production_state(self) -> str:
        return self.host.production_state()

    def item_states(self) -> dict[str, str]:
        return self.host.item_states()

    def item_errors(self) -> dict[str, str]:
        return self.host.item_errors()

    def start_production(self) -> None:
        self.host.start_production()

    def stop_production(self) -> None:
        self.host.stop_production()

    def update_production(self) -> None:
        self.host.update_production()

    def start_item(self, name: str) -> None:
        self.host.start_item(name)

    def stop_item(self, name: str) -> None:
        self.host.stop_item(name)

    def restart_item(self, name: str) -> None:
        self.host.restart_item(name)

    def test(self, target: str, classname: str, body: dict[str, Any]) -> TestOutcome:
        try:
            session_id, outcome = self.host.call(target, classname, body, source=PORTAL_SOURCE)
        except ComponentError as exc:
            return TestOutcome(session_id=exc.session_id, error=str(exc))
        return TestOutcome(session_id=session_id, response_class=outcome.response_class,
                           response_json=outcome.response_json)

    def test_async(self, target: str, classname: str, body: dict[str, Any]) -> int:
        return self.host.send(target, classname, body, source=PORTAL_SOURCE, priority="Async").session_id

    def find_messages(self, query: MessageQuery) -> tuple[list[MessageView], int]:
        rows, total = self.host.store.find(
            since=query.since, until=query.until, status=query.status, source=query.source, target=query.target,
            body_class=query.body_class, session_id=query.session_id, offset=query.offset, limit=query.limit,
            contains=query.contains, body_text=query.body_text, oldest_first=query.oldest_first)
        return [message_from_row(row) for row in rows], total

    def message(self, message_id: int) -> MessageView | None:
        row = self.host.store.message(message_id)
        return None if row is None else message_from_row(row)

    def session(self, session_id: int) -> list[MessageView]:
        return [message_from_row(row) for row in self.host.store.session(session_id)]

    def resend(self, message_id: int) -> int:
        return self.host.resend(message_id)

    def log_entries(self, *, since_id: int | None = None, top: int = 100, type: str = "",
                    item: str = "") -> list[LogEntryView]:
        rows = self.host.store.log_entries(since_id=since_id, top=top, type=type, config_name=item)
        return [log_entry_from_row(row) for row in rows]

    def session_log(self, session_id: int) -> list[LogEntryView]:
        rows = self.host.store.log_entries(since_id=0, top=SESSION_LOG_LINES, session_id=session_id)
        return [log_entry_from_row(row) for row in rows]

    def search_log(self, query: LogQuery) -> list[LogEntryView]:
        rows = self.host.store.search_log(since=query.since, until=query.until, type=query.type,
                                          config_name=query.item, text=query.text, offset=query.offset,
                                          limit=query.limit, oldest_first=query.oldest_first)
        return [log_entry_from_row(row) for row in rows]

    def log(self, type: str, item: str, text: str) -> None:
        self.host.log(type, item, text)
