"""An in-process stand-in for the embedded host, implementing the portal's ``PortalHost`` protocol.

It loads a ``settings.py`` by path, runs each enabled item in a worker thread with IoP's own
component start-up and dispatch (``iophost.component``), keeps messages and the event log in
memory with ``Ens.MessageHeader``'s fields, and applies the portal's stored production changes at
load time. The portal tests drive the portal through it; it is not the product's host.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import queue
import sys
import threading
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any

from iop import Production

from iophost.component import create_component, deliver, dump_message, load_message, message_classname, start_component
from iophost.portal import MessageQuery, ProductionChanges, TestOutcome
from iophost.portal.messages import LogEntryView, MessageView

CALLER = "Portal Test"


def load_production(settings_path: Path, name: str | None = None) -> Production:
    folder = str(Path(settings_path).parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"portal_settings_{abs(hash(str(settings_path)))}", settings_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    productions = list(module.PRODUCTIONS)
    return next((p for p in productions if p.name == name), productions[0])


class _EventLogHandler(logging.Handler):
    def __init__(self, host: InProcessHost, item: str) -> None:
        super().__init__()
        self.host, self.item = host, item

    def emit(self, record: logging.LogRecord) -> None:
        kind = {"DEBUG": "Trace", "INFO": "Info", "WARNING": "Warning", "ERROR": "Error",
                "CRITICAL": "Alert"}.get(record.levelname, "Info")
        self.host.log(kind, self.item, record.getMessage())


class _Worker:
    def __init__(self, host: InProcessHost, name: str) -> None:
        self.host, self.name = host, name
        self.inbox: queue.Queue = queue.Queue()
        self.state = "stopped"
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"item {name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        item = self.host.production.item(self.name)
        logger = logging.Logger(f"item.{self.name}")
        logger.addHandler(_EventLogHandler(self.host, self.name))
        try:
            component = create_component(item.component_class, dict(item.host_settings), logger)
            start_component(component)
            self.state = "running"
            self.host.log("Info", self.name, f"{self.name} started")
        except Exception as exc:  # the item's start failed: it stays in error
            self.state = "error"
            self.host.log("Error", self.name, f"{self.name} failed to start: {exc}")
            component = None
        self.ready.set()
        while True:
            job = self.inbox.get()
            if job is None:
                self.state = "stopped"
                return
            request, message, future = job
            self.host.current.session_id = request.session_id
            try:
                if component is None:
                    raise RuntimeError(f"{self.name} is not running")
                future.set_result(deliver(component, message))
            except Exception as exc:
                future.set_exception(exc)
            finally:
                self.host.current.session_id = None

    def stop(self) -> None:
        self.inbox.put(None)
        self.thread.join(timeout=30)


class InProcessHost:
    """The host core as the portal needs it, in one process."""

    def __init__(self, settings_path: Path, data_dir: Path, model_path: Path, username: str, password: str) -> None:
        self._data_dir, self._model_path = Path(data_dir), Path(model_path)
        self._credentials = (username, password)
        self._production = load_production(settings_path)
        ProductionChanges(self._data_dir).apply_to(self._production)
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._log_ids = itertools.count(1)
        self.messages: dict[int, MessageView] = {}
        self.entries: list[LogEntryView] = []
        self.workers: dict[str, _Worker] = {}
        self.state = "stopped"
        self.current = threading.local()

    # -- the protocol ---------------------------------------------------------------------------
    @property
    def production(self) -> Production:
        return self._production

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    @property
    def model_path(self) -> Path:
        return self._model_path

    def check_credentials(self, username: str, password: str) -> bool:
        return (username, password) == self._credentials

    def production_state(self) -> str:
        return self.state

    @staticmethod
    def _enabled(item: Any) -> bool:
        return str(item.enabled).lower() not in ("false", "0")

    def item_states(self) -> dict[str, str]:
        states = {}
        for item in self.production.items:
            worker = self.workers.get(item.name)
            states[item.name] = "disabled" if not self._enabled(item) else (worker.state if worker else "stopped")
        return states

    def start_production(self) -> None:
        self.state = "running"
        self.log("Info", "", f"production {self.production.name} started")
        for item in self.production.items:
            if self._enabled(item) and item.name not in self.workers:
                self.start_item(item.name)

    def stop_production(self) -> None:
        for name in list(self.workers):
            self.stop_item(name)
        self.state = "stopped"
        self.log("Info", "", f"production {self.production.name} stopped")

    def update_production(self) -> None:
        for item in self.production.items:
            if self._enabled(item):
                self.restart_item(item.name)
            elif item.name in self.workers:
                self.stop_item(item.name)

    def start_item(self, name: str) -> None:
        item = self.production.item(name)
        if not self._enabled(item):
            raise ValueError(f"{name} is disabled")
        if name not in self.workers:
            worker = _Worker(self, name)
            self.workers[name] = worker
            worker.ready.wait(timeout=120)

    def stop_item(self, name: str) -> None:
        worker = self.workers.pop(name, None)
        if worker is not None:
            worker.stop()
            self.log("Info", name, f"{name} stopped")

    def restart_item(self, name: str) -> None:
        self.stop_item(name)
        self.start_item(name)

    def _store(self, **fields: Any) -> MessageView:
        with self._lock:
            message_id = next(self._ids)
            fields.setdefault("session_id", message_id)
            now = datetime.now().isoformat(sep=" ", timespec="milliseconds")
            message = MessageView(id=message_id, time_created=now, **fields)
            self.messages[message_id] = message
            return message

    def _send(self, target: str, classname: str, body: dict[str, Any],
              source: str = CALLER) -> tuple[MessageView, Future]:
        message = load_message(classname, body)
        request = self._store(source=source, target=target, type="Request", status="Queued",
                              body_class=classname, body=dump_message(message))
        future: Future = Future()
        worker = self.workers.get(target)
        if worker is None:
            request.status, request.is_error = "Error", True
            request.error_text = f"{target} is not running"
            future.set_exception(RuntimeError(request.error_text))
            return request, future
        request.status = "Delivered"

        def finished(done: Future) -> None:
            request.time_processed = datetime.now().isoformat(sep=" ", timespec="milliseconds")
            if done.exception() is not None:
                request.status, request.is_error = "Error", True
                request.error_text = f"{done.exception().__class__.__name__}: {done.exception()}"
                self.log("Error", target, request.error_text, request.session_id)
                return
            response = done.result()
            request.status = "Completed"
            if response is not None:
                self._store(session_id=request.session_id, source=target, target=source, type="Response",
                            status="Completed", body_class=message_classname(response), body=dump_message(response),
                            corresponding_id=request.id, time_processed=request.time_processed)

        future.add_done_callback(finished)
        worker.inbox.put((request, message, future))
        return request, future

    def test(self, target: str, classname: str, body: dict[str, Any]) -> TestOutcome:
        request, future = self._send(target, classname, body)
        try:
            response = future.result(timeout=300)
        except Exception as exc:
            return TestOutcome(session_id=request.session_id, error=f"{exc.__class__.__name__}: {exc}")
        return TestOutcome(session_id=request.session_id, response_class=message_classname(response),
                           response_body=dump_message(response))

    def test_async(self, target: str, classname: str, body: dict[str, Any]) -> int:
        request, _future = self._send(target, classname, body)
        return request.session_id

    def find_messages(self, query: MessageQuery) -> tuple[list[MessageView], int]:
        def keep(m: MessageView) -> bool:
            created = datetime.fromisoformat(m.time_created)
            return ((not query.status or m.status == query.status) and (not query.source or m.source == query.source)
                    and (not query.target or m.target == query.target)
                    and (not query.body_class or m.body_class == query.body_class)
                    and (query.session_id is None or m.session_id == query.session_id)
                    and (query.since is None or created >= query.since)
                    and (query.until is None or created <= query.until))

        found = sorted((m for m in list(self.messages.values()) if keep(m)), key=lambda m: -m.id)
        return found[query.offset:query.offset + query.limit], len(found)

    def message(self, message_id: int) -> MessageView | None:
        return self.messages.get(message_id)

    def session(self, session_id: int) -> list[MessageView]:
        return sorted((m for m in list(self.messages.values()) if m.session_id == session_id), key=lambda m: m.id)

    def resend(self, message_id: int) -> int:
        original = self.messages.get(message_id)
        if original is None or original.type != "Request":
            raise ValueError(f"no request {message_id} to resend")
        request, _future = self._send(original.target, original.body_class, dict(original.body or {}))
        return request.session_id

    def log_entries(self, *, since_id: int | None = None, top: int = 100, type: str = "",
                    item: str = "") -> list[LogEntryView]:
        entries = [e for e in list(self.entries)
                   if (not type or e.type == type) and (not item or e.config_name == item)]
        if since_id is not None:
            return [e for e in entries if e.id > since_id][:top]
        return list(reversed(entries[-top:]))

    def log(self, type: str, item: str, text: str, session_id: int | None = None) -> None:
        with self._lock:
            session = session_id if session_id is not None else getattr(self.current, "session_id", None)
            self.entries.append(LogEntryView(id=next(self._log_ids), type=type, config_name=item, text=text,
                                             time_logged=datetime.now().isoformat(sep=" ", timespec="milliseconds"),
                                             session_id=session))
