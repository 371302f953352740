"""The host core: one production's lifecycle, its items' workers, and the messages sent to them.

It knows nothing of HTTP (the web layer in :mod:`iophost.api` calls it) and nothing of the
components it runs (it loads ``settings.py`` by path and hands each item to worker processes).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iop import Production

from . import jsontext
from .call_graph import CallCycleError, CallGraph
from .component import MessageBodyError, MessageClassError, parse_body
from .data_folder import DataFolder
from .errors import (
    ComponentError,
    HostError,
    InvalidMessageError,
    StateError,
    UnknownItemError,
    UnknownProductionError,
    failed,
)
from .loader import ComponentSpec, SettingsError, component_spec, is_enabled, load_settings, pool_size
from .masking import MASKER
from .message_classes import MessageClasses
from .request_limits import DEFAULT_LIMITS, RequestLimits
from .settings_rule import PERCENT_SETTINGS, parse_settings_lines
from .store import MessageStore, now, render_time
from .workers import ItemWorkers, Job, Outcome

#: The source config name of messages sent by a test, as IRIS's Test action shows it.
TEST_SOURCE = "EnsLib.Testing.Service"
HOST_NAME = "iophost"


@dataclass
class SentMessage:
    """A request the host accepted: its ids, and the future of its :class:`Outcome`."""

    message_id: int
    session_id: int
    outcome: Future


class Host:
    """Runs the productions of one ``settings.py`` and keeps their messages and event log."""

    def __init__(self, settings_path: Path, store: MessageStore, *, data_dir: Path, model_path: Path | None = None,
                 production: str | None = None,
                 check_credentials: Callable[[str, str], bool] = lambda _u, _p: False,
                 on_load: Callable[[Production], Any] | None = None,
                 limits: RequestLimits = DEFAULT_LIMITS) -> None:
        self.settings_path = Path(settings_path).resolve()
        self.limits = limits
        self.store = store
        self._folder = DataFolder(data_dir)
        self._model_path = Path(model_path) if model_path else self.settings_path.parent.parent / "model"
        self.check_credentials = check_credentials
        self._on_load = on_load
        # Secret values masked by value: those of the items' settings in every text, and those of a
        # request in its own response, error and log lines, while it is in flight.
        self._setting_secrets: tuple[str, ...] = ()
        self._message_secrets: dict[int, tuple[str, ...]] = {}
        self._lifecycle = threading.RLock()  # start/stop/update, one at a time
        self._items_lock = threading.Lock()  # the running items' table, held briefly
        self._items: dict[str, ItemWorkers] = {}
        self._calls = CallGraph(self._jobs_of)  # who waits on which call between items
        self._open_calls: dict[tuple[int, int], int] = {}  # (caller pid, call id) -> message id
        self._abandoned: set[int] = set()  # calls whose caller stopped waiting: their answer is Discarded
        self._specs: dict[str, tuple[ComponentSpec, int]] = {}
        self._unresolved: dict[str, str] = {}  # items whose class or adapter cannot be resolved
        self._classes: dict[str, Any] = {}
        self._running: str | None = None
        self._times: dict[str, dict[str, str]] = {}
        self._closed = False
        self._productions = self._load()
        saved = self._folder.read_default()
        self._default = (saved if saved in self._productions else None) or production or next(iter(self._productions))
        if production:
            self._select(production)
            self._default = production
        self._claim_data_folder()

    # -- start-up -------------------------------------------------------------------------------
    def _load(self) -> dict[str, Production]:
        loaded = load_settings(self.settings_path)
        self._unresolved.clear()
        productions, self._classes = loaded.productions, dict(loaded.classes)
        for note in loaded.notes:
            self.log("Info", HOST_NAME, note)
        secrets: list[str] = []
        for production in productions.values():
            if self._on_load is not None:
                try:
                    problems = self._on_load(production) or []
                except ValueError as exc:  # e.g. the portal's change file is unreadable: say so, no traceback
                    raise SettingsError(str(exc)) from exc
                for problem in problems:
                    self.log("Warning", HOST_NAME, problem)
            for item in production.items:
                settings = dict(item.host_settings)
                settings.update(parse_settings_lines(str(settings.pop(PERCENT_SETTINGS, "") or "")))
                secrets.extend(MASKER.secret_values(settings))
        self._setting_secrets = tuple(dict.fromkeys(secrets))
        self._message_classes = MessageClasses(self._specs_of(productions.values()))
        return productions

    def _specs_of(self, productions: Iterable[Production]) -> Iterator[ComponentSpec]:
        for production in productions:
            for item in production.items:
                try:
                    yield component_spec(item, self.settings_path, self._classes)
                except ValueError:  # reported when the item starts
                    continue

    def _claim_data_folder(self) -> None:
        """Own the data folder; after an unclean stop, what the last host left unfinished is Aborted."""
        unclean = self._folder.claim()
        aborted = self.store.abort_unfinished("the host stopped before this message was finished")
        if unclean or aborted:
            self.log("Warning", HOST_NAME, f"host restarted after an unclean stop; {aborted} unfinished "
                                           f"message(s) marked Aborted")
        self.log("Info", HOST_NAME, f"host started (pid {os.getpid()}), store {self.store.url.split('@')[-1]}")

    def _select(self, name: str) -> Production:
        try:
            return self._productions[name]
        except KeyError:
            raise UnknownProductionError(f"production {name!r} is not declared in {self.settings_path}") from None

    # -- what the web layer and the portal read ----------------------------------------------------
    @property
    def production(self) -> Production:
        """The running production, else the default one."""
        return self._productions[self._running or self._default]

    @property
    def data_dir(self) -> Path:
        return self._folder.path

    @property
    def model_path(self) -> Path:
        return self._model_path

    def production_names(self) -> list[str]:
        return list(self._productions)

    def get_default(self) -> str:
        return self._default

    def set_default(self, name: str) -> None:
        self._select(name)
        self._default = name
        self._folder.write_default(name)

    def production_state(self) -> str:
        return "running" if self._running else "stopped"

    def production_named(self, name: str) -> Production:
        return self._select(name)

    def _item(self, name: str) -> Any:
        for item in self.production.items:
            if item.name == name:
                return item
        raise UnknownItemError(f"item {name!r} is not in production {self.production.name}")

    def item_states(self) -> dict[str, str]:
        """Each item's state: running, starting, error, stopped or disabled."""
        states = {}
        for item in self.production.items:
            workers = self._items.get(item.name)
            if workers is not None:
                states[item.name] = workers.state
            elif item.name in self._unresolved:
                states[item.name] = "error"
            else:
                states[item.name] = "stopped" if is_enabled(item) else "disabled"
        return states

    def item_errors(self) -> dict[str, str]:
        errors = {name: workers.error for name, workers in list(self._items.items()) if workers.error}
        return {**self._unresolved, **errors}

    def worker_pids(self) -> dict[str, list[int]]:
        return {name: workers.pids for name, workers in list(self._items.items())}

    def backlog(self, name: str) -> int:
        workers = self._items.get(name)
        return workers.backlog() if workers else 0

    def list_productions(self) -> dict[str, dict[str, Any]]:
        return {name: {"Status": "Running" if name == self._running else "Stopped",
                       "LastStartTime": self._times.get(name, {}).get("start", ""),
                       "LastStopTime": self._times.get(name, {}).get("stop", ""),
                       "AutoStart": name == self._default}
                for name in self._productions}

    def export(self, name: str | None = None) -> dict[str, Any]:
        """The production's definition in IRIS's export shape (``Production.from_dict`` reads it back),
        secret settings masked."""
        return MASKER.mask_export(self._select(name or self.production.name).to_dict())

    # -- production lifecycle -------------------------------------------------------------------
    def start_production(self, name: str | None = None, *, wait: float = 20.0) -> str:
        """Start ``name`` (the default when None) and its enabled items; wait up to ``wait`` s for them."""
        with self._lifecycle:
            name = name or self._default
            self._select(name)
            if self._running and self._running != name:
                raise StateError(f"production {self._running} is running; stop it first")
            if self._running == name:
                return name
            self._running = name
            self._unresolved.clear()
            self._times.setdefault(name, {})["start"] = render_time(now())
            self.log("Info", HOST_NAME, f"production {name} starting")
            started = [self._start_workers(item) for item in self.production.items if is_enabled(item)]
            self._wait_started([w for w in started if w is not None], wait)
            self.log("Info", HOST_NAME, f"production {name} started")
            return name

    def _wait_started(self, workers: list[ItemWorkers], wait: float) -> None:
        deadline = time.monotonic() + wait
        for pool in workers:
            pool.wait_started(max(0.0, deadline - time.monotonic()))

    def stop_production(self) -> None:
        """Stop every item (queued messages finish first, then on_tear_down)."""
        with self._lifecycle:
            if not self._running:
                return
            with self._items_lock:
                running, self._items = dict(self._items), {}
                self._specs.clear()
            stoppers = [threading.Thread(target=pool.stop) for pool in running.values()]
            for thread in stoppers:
                thread.start()
            for thread in stoppers:
                thread.join()
            self._times.setdefault(self._running, {})["stop"] = render_time(now())
            self.log("Info", HOST_NAME, f"production {self._running} stopped")
            self._running = None

    def kill_production(self) -> None:
        """End every worker process now; messages in flight end Aborted."""
        with self._lifecycle:
            with self._items_lock:
                running, self._items = dict(self._items), {}
                self._specs.clear()
            for pool in running.values():
                pool.kill()
            if self._running:
                self._times.setdefault(self._running, {})["stop"] = render_time(now())
                self.log("Warning", HOST_NAME, f"production {self._running} killed")
            self._running = None

    def restart_production(self) -> None:
        with self._lifecycle:
            name = self._running or self._default
            self.stop_production()
            self.start_production(name)

    def update_production(self, *, wait: float = 20.0) -> list[str]:
        """Reload ``settings.py`` and restart the items whose class, settings or PoolSize changed,
        start newly enabled ones and stop disabled or removed ones; return the items touched."""
        with self._lifecycle:
            self._productions = self._load()
            if not self._running:
                return []
            if self._running not in self._productions:
                self.kill_production()
                return []
            touched, started = [], []
            wanted = {item.name: item for item in self.production.items if is_enabled(item)}
            for name in list(self._items):
                if name not in wanted:
                    self._stop_workers(name)
                    touched.append(name)
            for name, item in wanted.items():
                recipe = (self._spec(item), pool_size(item))
                if self._specs.get(name) == recipe:
                    continue
                self._stop_workers(name)
                started.append(self._start_workers(item))
                touched.append(name)
            self._wait_started([w for w in started if w is not None], wait)
            self.log("Info", HOST_NAME, f"production {self._running} updated: {', '.join(touched) or 'no change'}")
            return touched

    # -- items ----------------------------------------------------------------------------------
    def _spec(self, item: Any) -> ComponentSpec | None:
        try:
            return component_spec(item, self.settings_path, self._classes)
        except ValueError as exc:
            return None if item.name in self._unresolved else self._unresolvable(item.name, str(exc))

    def _unresolvable(self, name: str, reason: str) -> None:
        self._unresolved[name] = reason
        self.log("Error", name, reason)

    def _start_workers(self, item: Any) -> ItemWorkers | None:
        spec = self._spec(item)
        if spec is None:
            return None
        size = pool_size(item)
        workers = ItemWorkers(spec, size, self)
        with self._items_lock:
            self._items[item.name] = workers
            self._specs[item.name] = (spec, size)
        self.log("Info", item.name, f"{item.name} starting ({size} worker process{'es' if size > 1 else ''})")
        return workers

    def _stop_workers(self, name: str) -> bool:
        with self._items_lock:
            workers = self._items.pop(name, None)
            self._specs.pop(name, None)
        if workers is None:
            return False
        workers.stop()
        self.log("Info", name, f"{name} stopped")
        return True

    def start_item(self, name: str, *, wait: float = 25.0) -> str:
        """Start one item (even one declared disabled, as IRIS's component start does); return its state."""
        with self._lifecycle:
            if not self._running:
                raise StateError(f"production {self.production.name} is not running")
            item = self._item(name)
            workers = self._items.get(name) or self._start_workers(item)
            if workers is None:
                raise StateError(f"{name} cannot be started (see the event log)")
            state = workers.wait_started(wait)
            if state == "error":
                raise StateError(workers.error)
            if state == "running":
                self.log("Info", name, f"{name} started")
            return state

    def stop_item(self, name: str) -> None:
        with self._lifecycle:
            self._item(name)
            self._stop_workers(name)

    def restart_item(self, name: str, *, wait: float = 25.0) -> str:
        with self._lifecycle:
            self._item(name)
            self._stop_workers(name)
            return self.start_item(name, wait=wait)

    # -- messages -------------------------------------------------------------------------------
    def check_message(self, target: str, classname: str, body: str | dict[str, Any] | None) -> dict[str, Any]:
        """The body as a dict, once the target and the message class are known to exist."""
        self._item(target)
        try:
            data = parse_body(body, self.limits)
            # Only the class is checked here: the worker deserialises the body, once.
            self._message_classes.resolve(classname)
        except (MessageBodyError, MessageClassError) as exc:
            raise InvalidMessageError(str(exc)) from exc
        return data

    def send(self, target: str, classname: str, body: str | dict[str, Any] | None, *,
             source: str = TEST_SOURCE, priority: str = "Sync", session_id: int | None = None,
             message_id: int | None = None) -> SentMessage:
        """Persist a request to ``target`` and queue it for the item's workers.

        ``session_id`` is the session of the message whose handler sends this one (a new session
        when None); ``message_id`` an id allocated beforehand (a call between items). A request
        that starts a session is committed before it is delivered; one within a session (a hop)
        is written behind, see docs/productions.md#cost-of-a-hop.

        Raises:
            UnknownItemError: no such item in the running production.
            StateError: the production or the item is not running.
            InvalidMessageError: unknown message class or a body that does not fit it.
        """
        if not self._running:
            raise StateError(f"production {self.production.name} is not running")
        data = self.check_message(target, classname, body)
        text = jsontext.dumps(data)  # the one encoding of the request: stored, then sent to the worker
        with self._items_lock:
            workers = self._items.get(target)
        if workers is None:
            raise StateError(f"{target} is not running")
        if workers.state == "error":
            raise StateError(workers.error)
        message_id = message_id or self.store.new_message_id()
        hop = session_id is not None
        session_id = session_id or message_id
        outcome: Future = Future()
        secrets = MASKER.secret_values(data)
        if secrets:
            self._message_secrets[message_id] = secrets
        row = dict(id=message_id, session_id=session_id, source_config_name=source, target_config_name=target,
                   type="Request", status="Queued", body_class_name=classname,
                   body=MASKER.mask_json(text, self._secrets(message_id)), priority=priority)
        if hop:
            # In the writer's next batch, which commits in order: before the outcome of the message
            # that sent it, which is committed and ends Aborted if the host crashes first.
            self.store.add_message_later(**row)
        else:  # a message entering the production: committed before it is delivered
            self.store.add_message(**row)
        # Stopped meanwhile: the workers answer Aborted, as they do for a message still queued at a stop.
        workers.submit(Job(message_id, session_id, classname, text,
                           finish=self._finisher(message_id, session_id, source, target, outcome),
                           delivered=lambda: self.store.mark_later(message_id, "Delivered")))
        return SentMessage(message_id, session_id, outcome)

    def _finisher(self, message_id: int, session_id: int, source: str, target: str,
                  future: Future) -> Callable[[Outcome], None]:
        def finish(outcome: Outcome) -> None:
            processed = now()
            self._calls.done(message_id)
            abandoned = message_id in self._abandoned
            self._abandoned.discard(message_id)
            secrets = self._secrets(message_id)
            outcome.error = MASKER.mask_text(outcome.error, secrets)
            self.store.finish_later(message_id, outcome.status, outcome.error, processed)
            if outcome.status == "Completed" and outcome.response_class:
                status = "Discarded" if abandoned else "Completed"
                self.store.add_message_later(
                    id=self.store.new_message_id(), session_id=session_id, source_config_name=target,
                    target_config_name=source, type="Response", status=status,
                    body_class_name=outcome.response_class, body=MASKER.mask_json(outcome.response_json, secrets),
                    corresponding_message_id=message_id, time_created=processed, time_processed=processed)
            elif outcome.status != "Completed":
                self.log("Error", target, outcome.error, session_id=session_id, message_id=message_id)
            self._message_secrets.pop(message_id, None)
            future.set_result(outcome)
        return finish

    def call(self, target: str, classname: str, body: str | dict[str, Any] | None, *,
             timeout: float = 3600.0, source: str = TEST_SOURCE) -> tuple[int, Outcome]:
        """Send and wait: ``(session id, outcome)``; raises :class:`ComponentError` when it did not complete."""
        sent = self.send(target, classname, body, source=source)
        try:
            outcome = sent.outcome.result(timeout)
        except FutureTimeout:
            raise ComponentError(f"no answer from {target} within {timeout:.0f} s", sent.session_id) from None
        if outcome.status != "Completed":
            raise failed(outcome.error, sent.session_id, outcome.refused)
        return sent.session_id, outcome

    def resend(self, message_id: int) -> int:
        """Send a stored request again. Its secret fields were stored masked: they are left out, so the
        component falls back on its settings. Refused when another field holds a masked secret.
        """
        original = self.store.message(message_id)
        if original is None or original["type"] != "Request":
            raise UnknownItemError(f"no request {message_id} to resend")
        body, lost = MASKER.unmasked_for_resend(jsontext.loads(original["body"]) if original["body"] else {})
        if lost:
            raise InvalidMessageError(f"request {message_id} cannot be resent as stored: a secret was masked in "
                                      f"{', '.join(lost)}; send it again with the value filled in")
        return self.send(original["target_config_name"], original["body_class_name"], body).session_id

    # -- calls between items (from a component, see iophost.calls) ------------------------------
    def route_call(self, source: str, call: tuple, answer: Callable[[tuple], None], caller: int) -> None:
        """A component of ``source`` sent a message to another item: store the hop in the caller's
        session and deliver it; a call that cannot be delivered is stored as an Error hop and
        answered at once, so the caller never waits for a message nobody will handle."""
        call_id, target, classname, body, wants_reply, session_id, parent_id = call
        priority = "Sync" if wants_reply else "Async"
        message_id = self.store.new_message_id()
        try:
            if wants_reply:
                self._wait_on(source, parent_id, message_id, target)
            sent = self.send(target, classname, body, source=source, priority=priority, session_id=session_id,
                             message_id=message_id)
        except (HostError, CallCycleError) as exc:
            self._calls.done(message_id)
            session_id = self._refused(message_id, source, target, classname, body, priority, session_id, str(exc))
            self.log("Error", source, f"call to {target} refused: {exc}", session_id=session_id, message_id=parent_id)
            if wants_reply:
                answer(("reply", call_id, "Error", "", None, str(exc)))
            return
        if wants_reply:
            self._open_calls[(caller, call_id)] = message_id
            sent.outcome.add_done_callback(lambda done: self._answer(answer, caller, call_id, done.result()))

    def _answer(self, answer: Callable[[tuple], None], caller: int, call_id: int, outcome: Outcome) -> None:
        self._open_calls.pop((caller, call_id), None)
        answer(("reply", call_id, outcome.status, outcome.response_class, outcome.response_json, outcome.error))

    def abandon_call(self, caller: int, call_id: int) -> None:
        """The caller's timeout passed: the answer, when it comes, is stored Discarded, as IRIS does."""
        message_id = self._open_calls.pop((caller, call_id), None)
        if message_id is not None:
            self._abandoned.add(message_id)

    def _wait_on(self, source: str, parent_id: int | None, message_id: int, target: str) -> None:
        """Record that ``source``'s handler of ``parent_id`` waits on this call, unless that closes a cycle."""
        if parent_id is not None:
            self._calls.add(source, parent_id, message_id, target)
        elif target == source:  # a poll: the host does not see its worker busy, so it could be handed the call
            raise CallCycleError(f"call cycle: {source} -> {source} would wait for ever: a poll of {source} "
                                 f"cannot wait on {source} itself")

    def _jobs_of(self, item: str) -> list[int | None]:
        workers = self._items.get(item)
        return [] if workers is None else [w.job.message_id if w.job else None for w in workers.workers]

    def _refused(self, message_id: int, source: str, target: str, classname: str, body: Any, priority: str,
                 session_id: int | None, reason: str) -> int:
        """Store a call that was never delivered as an Error request; return its session."""
        session_id = session_id or message_id
        self.store.add_message(id=message_id, session_id=session_id, source_config_name=source,
                               target_config_name=target, type="Request", status="Error", is_error=True,
                               error_text=MASKER.mask_text(reason, self._setting_secrets), body_class_name=classname,
                               body=MASKER.mask_json(body) if isinstance(body, str) and body else "{}",
                               priority=priority,
                               time_processed=now())
        return session_id

    # -- event log ------------------------------------------------------------------------------
    def mask_text(self, text: str) -> str:
        """``text`` (an error for a client) with the settings' secret values and secrets by form masked."""
        return MASKER.mask_text(text, self._setting_secrets)

    def _secrets(self, message_id: int | None) -> tuple[str, ...]:
        """The secret values to mask in the text of ``message_id``: its request's and the settings'."""
        own = self._message_secrets.get(message_id, ()) if message_id is not None else ()
        return own + self._setting_secrets

    def log(self, type: str, item: str, text: str, *, session_id: int | None = None,
            message_id: int | None = None) -> None:
        self.store.log_later(type, item, MASKER.mask_text(text, self._secrets(message_id)), session_id=session_id,
                             message_id=message_id, job=str(os.getpid()), source_class="iophost.Host")

    def worker_log(self, item: str, type: str, text: str, *, session_id: int | None = None,
                   message_id: int | None = None, job: str = "", source_class: str = "",
                   source_method: str = "") -> None:
        self.store.log_later(type, item, MASKER.mask_text(text, self._secrets(message_id)), session_id=session_id,
                             message_id=message_id, job=job, source_class=source_class, source_method=source_method)

    # -- shutdown -------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the production, flush the store and release the data folder (a second call does nothing)."""
        if self._closed:
            return
        self._closed = True
        self.stop_production()
        self.log("Info", HOST_NAME, "host stopped")
        self.store.flush()
        self._folder.release()
