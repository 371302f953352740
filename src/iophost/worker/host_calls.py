"""Host side: calls between items. A component's call comes up its worker's pipe as a
:class:`~iophost.worker.pipe.Call`; the router stores it as a hop of the caller's session, hands
it to the target item's workers through the host, and sends the outcome back down the caller's
pipe as a :class:`~iophost.worker.pipe.Reply`. A call that would close a cycle of waits, or that
cannot be delivered, is stored as an Error hop and answered at once, so the caller never waits for
a message nobody will handle."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import CallCycleError, HostError
from ..secret_scope import SecretScope
from ..statuses import MessageStatus
from ..store import MessageStore, now
from .host_call_graph import CallGraph, JobsOf
from .host_pool import Outcome
from .pipe import Call, Reply


class Sender(Protocol):
    """How the router hands a call on: the host's ``send`` (stores the hop, queues it)."""

    def __call__(self, target: str, classname: str, body: str, *, source: str, priority: str,
                 session_id: int | None, message_id: int) -> Any: ...


class CallRouter:
    def __init__(self, store: MessageStore, secrets: SecretScope, send: Sender, jobs_of: JobsOf,
                 log: Callable[..., None]) -> None:
        self._store, self._secrets, self._send, self._log = store, secrets, send, log
        self._graph = CallGraph(jobs_of)  # who waits on which call
        self._lock = threading.Lock()
        self._open: dict[tuple[int, int], int] = {}  # (caller pid, call id) -> message id
        self._abandoned: set[int] = set()  # calls whose caller stopped waiting: their answer is Discarded

    def route(self, source: str, call: Call, answer: Callable[[Reply], None], caller: int) -> None:
        """A component of ``source`` (in process ``caller``) sent ``call``; ``answer`` replies to it."""
        priority = "Sync" if call.wants_reply else "Async"
        message_id = self._store.new_message_id()
        try:
            if call.wants_reply:
                self._wait_on(source, call.parent_id, message_id, call.target)
            sent = self._send(call.target, call.classname, call.body, source=source, priority=priority,
                              session_id=call.session_id, message_id=message_id)
        except HostError as exc:
            self._graph.done(message_id)
            session_id = self._refused(message_id, source, call, priority, str(exc))
            self._log("Error", source, f"call to {call.target} refused: {exc}", session_id=session_id,
                      message_id=call.parent_id)
            if call.wants_reply:
                answer(Reply(call.call_id, MessageStatus.ERROR, "", None, str(exc)))
            return
        if call.wants_reply:
            with self._lock:
                self._open[(caller, call.call_id)] = message_id
            sent.outcome.add_done_callback(lambda done: self._answer(answer, caller, call.call_id, done.result()))

    def _answer(self, answer: Callable[[Reply], None], caller: int, call_id: int, outcome: Outcome) -> None:
        with self._lock:
            self._open.pop((caller, call_id), None)
        answer(Reply(call_id, outcome.status, outcome.response_class, outcome.response_json, outcome.error))

    def abandon(self, caller: int, call_id: int) -> None:
        """The caller's timeout passed: the answer, when it comes, is stored Discarded, as IRIS does."""
        with self._lock:
            message_id = self._open.pop((caller, call_id), None)
            if message_id is not None:
                self._abandoned.add(message_id)

    def finished(self, message_id: int) -> bool:
        """``message_id`` has ended: nobody waits on it any more. True when its caller had stopped waiting."""
        self._graph.done(message_id)
        with self._lock:
            abandoned = message_id in self._abandoned
            self._abandoned.discard(message_id)
        return abandoned

    def _wait_on(self, source: str, parent_id: int | None, message_id: int, target: str) -> None:
        """Record that ``source``'s handler of ``parent_id`` waits on this call, unless that closes a cycle."""
        if parent_id is not None:
            self._graph.add(source, parent_id, message_id, target)
        elif target == source:  # a poll: the host does not see its worker busy, so it could be handed the call
            raise CallCycleError(f"call cycle: {source} -> {source} would wait for ever: a poll of {source} "
                                 f"cannot wait on {source} itself")

    def _refused(self, message_id: int, source: str, call: Call, priority: str, reason: str) -> int:
        """Store a call that was never delivered as an Error request; return its session."""
        session_id = call.session_id or message_id
        self._store.add_message(id=message_id, session_id=session_id, source_config_name=source,
                                target_config_name=call.target, type="Request", status=MessageStatus.ERROR,
                                is_error=True, error_text=self._secrets.mask_text(reason),
                                body_class_name=call.classname,
                                body=self._secrets.mask_json(call.body) if call.body else "{}",
                                priority=priority, time_processed=now())
        return session_id
