"""A production started for tests, and what a test reads from it: typed responses, sessions
(every hop, as the store keeps it), the event log; its items changed or faked for one test.

Everything goes through the host's public surface: ``iophost start`` in a subprocess and its
REST API (IoP's ``/api/iop`` and the host's ``/messages`` and ``/sessions`` beside it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iop.runtime.environment import prepend_sys_path

from ..worker.component import dump_message, load_message, message_classname
from .fakes import Fake
from .host_process import HostProcess, wait_for
from .in_process import InProcessItem
from .overrides import ItemChange, read_changes, write_changes, write_wrapper

#: A message's statuses while it is not finished.
UNFINISHED = ("Queued", "Delivered", "Suspended")


class ProductionStartError(AssertionError):
    """An item of the production is in error once it has started."""


class MessageFailed(Exception):
    """A message sent by the test did not complete; the text holds the component's traceback."""

    def __init__(self, text: str, session_id: int | None, status_code: int) -> None:
        super().__init__(text)
        self.session_id, self.status_code = session_id, status_code


@dataclass(frozen=True)
class Hop:
    """One stored message of a session: a request or a response between two items."""

    id: int
    session_id: int
    type: str
    source: str
    target: str
    classname: str
    status: str
    created: str
    processed: str | None
    body: Any
    error: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Hop:
        return cls(row["id"], row["session_id"], row["type"], row["source_config_name"], row["target_config_name"],
                   row["body_class_name"], row["status"], row["time_created"], row["time_processed"], row["body"],
                   row["error_text"])

    def message(self) -> Any:
        """The body as its IoP message class (secret fields come back masked, as stored)."""
        return load_message(self.classname, self.body)


@dataclass(frozen=True)
class Session:
    """A session's messages in order: the first request, what it led to, the responses."""

    session_id: int
    hops: tuple[Hop, ...]

    @property
    def root(self) -> Hop:
        return self.hops[0]

    @property
    def path(self) -> list[tuple[str, str, str]]:
        """``(type, source, target)`` of each hop, the shape of the chain."""
        return [(hop.type, hop.source, hop.target) for hop in self.hops]


@dataclass(frozen=True)
class LogEntry:
    id: int
    type: str
    item: str
    text: str
    session_id: int | None
    time: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LogEntry:
        return cls(row["id"], row["type"], row["config_name"], row["text"], row["session_id"] or None,
                   row["time_logged"])


class RunningProduction:
    """The production of ``settings`` on its own host, with a data folder of its own under ``folder``.

    Args:
        settings: the project's ``settings.py``.
        folder: a new folder (made if missing) for the host's data, the generated settings file and the fakes.
        production: which production of ``settings`` (default: its default).
        env: environment variables for the host and its items.
        changes: item changes in effect from the start (see :meth:`override` and :meth:`fake`).
    """

    def __init__(self, settings: Path, folder: Path, *, production: str | None = None,
                 env: dict[str, str] | None = None, db_url: str | None = None,
                 changes: dict[str, ItemChange] | None = None) -> None:
        self.settings, self.folder = Path(settings).resolve(), Path(folder)
        # The messages' classes, imported in this process as the host imports them.
        prepend_sys_path(str(self.settings.parent))
        self.folder.mkdir(parents=True, exist_ok=True)
        self._changes_file = self.folder / "changes.json"
        write_changes(self._changes_file, changes or {})
        #: The recording fakes of ``changes``, by item name.
        self.fakes = {item: Fake(item, Path(change.fake_folder)) for item, change in (changes or {}).items()
                      if change.fake_folder}
        wrapper = write_wrapper(self.folder / "settings", self.settings, self._changes_file)
        self.host = HostProcess(wrapper, self.folder / "var", env=env, db_url=db_url, production=production,
                                paths=(str(self.settings.parent),))
        #: The session of the last message sent by :meth:`send` or :meth:`send_async`.
        self.last_session_id: int | None = None

    # -- life -----------------------------------------------------------------------------------
    def start(self, *, allow_errors: bool = False) -> RunningProduction:
        """Start the host and every enabled item; ProductionStartError when one is in error
        (unless ``allow_errors``)."""
        self.host.start()
        if not allow_errors:
            try:
                self.check_items()
            except ProductionStartError:
                self.stop()
                raise
        return self

    def check_items(self, items: tuple[str, ...] = ()) -> None:
        """ProductionStartError naming each item in error (of ``items`` if given) and why."""
        errors = {item: text for item, text in (self.host.status().get("errors") or {}).items()
                  if not items or item in items}
        if errors:
            raise ProductionStartError("items in error at start:\n" + "\n".join(
                f"  {item}: {text}" for item, text in errors.items()))

    def stop(self) -> int:
        return self.host.stop()

    def __enter__(self) -> RunningProduction:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def name(self) -> str:
        return self.status()["production"]

    def status(self) -> dict[str, Any]:
        """IoP's status: the production's, and each item's (``running``, ``disabled``, ``error``...)."""
        return self.host.status()

    # -- messages -------------------------------------------------------------------------------
    def send(self, target: str, message: Any) -> Any:
        """Send ``message`` to the item ``target`` as IoP's Test does, wait, and return the response
        as its message class (None when the item answered nothing); its session is ``last_session_id``.

        Raises:
            MessageFailed: the message ended in error; its text ends with the component's traceback.
        """
        __tracebackhide__ = True  # the report shows the test's line and the component's traceback
        answer = self.host.http.post("/test", json=self._test_body(target, message))
        self.last_session_id = answer.json().get("session_id")
        if answer.status_code != 200:
            raise self._failure(answer.json(), answer.status_code)
        result = answer.json()
        return load_message(result["classname"], result["body"]) if result["classname"] else None

    def send_async(self, target: str, message: Any) -> int:
        """Send ``message`` without waiting; its session id (see :meth:`wait_session`)."""
        __tracebackhide__ = True
        answer = self.host.http.post("/test/async", json=self._test_body(target, message))
        self.last_session_id = answer.json().get("session_id")
        if answer.status_code != 202:
            raise self._failure(answer.json(), answer.status_code)
        return self.last_session_id

    @staticmethod
    def _test_body(target: str, message: Any) -> dict[str, str]:
        return {"target": target, "classname": message_classname(message), "body": dump_message(message)}

    def _failure(self, answer: dict[str, Any], status_code: int) -> MessageFailed:
        session_id = answer.get("session_id")
        traces = [f"in {entry.item!r}: {entry.text}" for entry in self.log(session_id=session_id, type="Trace")
                  if " raised at " in entry.text] if session_id else []
        return MessageFailed("\n\n".join([answer.get("error", str(answer)), *traces]), session_id, status_code)

    def session(self, session_id: int) -> Session:
        """Every stored message of the session, in order."""
        answer = self.host.http.get(f"/sessions/{session_id}")
        answer.raise_for_status()
        return Session(session_id, tuple(Hop.from_row(row) for row in answer.json()["messages"]))

    def wait_session(self, session_id: int, timeout: float = 60.0) -> Session:
        """The session once its first message is finished (completed, in error, ...) and, with it, its hops."""
        return wait_for(lambda: (session := self.session(session_id)).root.status not in UNFINISHED and session,
                        timeout, f"session {session_id} to finish")

    def messages(self, *, source: str = "", target: str = "", status: str = "", limit: int = 1000) -> list[Hop]:
        """Stored messages, newest first, by source/target item and status."""
        answer = self.host.http.get("/messages", params={"source": source, "target": target, "status": status,
                                                        "limit": limit})
        answer.raise_for_status()
        return [Hop.from_row(row) for row in answer.json()["messages"]]

    def log(self, *, session_id: int | None = None, item: str = "", type: str = "") -> list[LogEntry]:
        """The event log since the host started, oldest first, of one session, item or type if given."""
        entries: list[LogEntry] = []
        while True:
            rows = self.host.http.get("/log", params={"since_id": entries[-1].id if entries else 0,
                                                      "top": 1000}).json()
            entries += [LogEntry.from_row(row) for row in rows]
            if len(rows) < 1000:
                break
        return [e for e in entries if (session_id is None or e.session_id == session_id)
                and (not item or e.item == item) and (not type or e.type == type)]

    # -- changes for one test -------------------------------------------------------------------
    @contextmanager
    def override(self, item: str, *, settings: dict[str, Any] | None = None,
                 adapter_settings: dict[str, Any] | None = None, enabled: bool | None = None) -> Iterator[None]:
        """Within the block, ``item`` runs with ``settings`` (``%settings`` lines or Host settings
        by name), ``adapter_settings`` and ``Enabled``; the item restarts on entry and on exit."""
        with self._changed(item, ItemChange(dict(settings or {}), dict(adapter_settings or {}), enabled)):
            yield

    @contextmanager
    def fake(self, item: str) -> Iterator[Fake]:
        """Within the block, ``item`` is a recording fake (see :class:`~iophost.testing.fakes.Fake`)."""
        folder = self.folder / "fakes" / item.replace("/", "_")
        shutil.rmtree(folder, ignore_errors=True)
        fake = Fake(item, folder)
        with self._changed(item, ItemChange(fake_folder=str(folder))):
            yield fake

    @contextmanager
    def _changed(self, item: str, change: ItemChange) -> Iterator[None]:
        changes = read_changes(self._changes_file)
        before = changes.get(item)
        self._update({**changes, item: change}, item)
        try:
            yield
        finally:
            changes = read_changes(self._changes_file)
            self._update({**changes, item: before} if before else {k: v for k, v in changes.items() if k != item},
                         item)

    def _update(self, changes: dict[str, ItemChange], item: str) -> None:
        write_changes(self._changes_file, changes)
        answer = self.host.http.post("/update")
        answer.raise_for_status()
        self.check_items((item,))

    def in_process(self, item: str) -> InProcessItem:
        """``item`` built and started in this process, for a debugger (see :mod:`iophost.testing.in_process`)."""
        return InProcessItem(self, item)
