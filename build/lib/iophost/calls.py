"""IoP's sending API inside a worker process: calls to other items go through the host.

A component's ``send_request_sync``/``send_request_async``/... would call IRIS; here each call
goes up the worker's pipe as ``("call", call_id, target, classname, body, wants_reply,
session_id, message_id)``. The host stores it as a hop of the session and routes it to the
target item's workers; the answer comes back down the same pipe as ``("reply", call_id, status,
classname, body, error)``. While a call waits, whatever else arrives on the pipe (the next
message, a stop) is kept for the worker's main loop.

A business process's async calls with ``response_required`` are answered the way IRIS does it:
``on_response`` for each, then ``on_complete``, whose return value is the process's response;
the worker stays on that message until then (or until ``set_timer``'s time is up).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from iop.components.business_process import _BusinessProcess
from iop.production import resolve_target

from .component import dump_message, load_message, message_classname

FOREVER = -1


class CallError(RuntimeError):
    """A call to another item did not complete (error, timeout, target stopped, call cycle)."""


class Inbox:
    """The worker's end of the pipe, read by whoever waits: the main loop or a call awaiting its reply.

    One thread reads at a time; replies are filed by call id, anything else is queued for the main loop.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Condition()
        self._requests: deque[tuple] = deque()
        self._replies: dict[int, tuple] = {}
        self._waiting: set[int] = set()
        self._reading = False

    def next_request(self, timeout: float | None) -> tuple | None:
        """The next message or stop for the main loop; None when ``timeout`` s passed first."""
        return self._wait(lambda: self._requests.popleft() if self._requests else None, timeout)

    def reply(self, call_id: int, timeout: float | None) -> tuple | None:
        """The reply to ``call_id``; None when ``timeout`` s passed first (a late reply is dropped)."""
        with self._lock:
            self._waiting.add(call_id)
        try:
            return self._wait(lambda: self._replies.pop(call_id, None), timeout)
        finally:
            with self._lock:
                self._waiting.discard(call_id)

    def _wait(self, take: Callable[[], tuple | None], timeout: float | None) -> tuple | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                found = take()
                if found is not None:
                    return found
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                if self._reading:
                    self._lock.wait(left)
                    continue
                self._reading = True
                self._lock.release()
                try:  # no poll() when waiting without a limit: it costs a selector per message
                    received = self._conn.recv() if left is None or self._conn.poll(left) else None
                finally:
                    self._lock.acquire()
                    self._reading = False
                    self._lock.notify_all()
                if received is not None:
                    self._file(received)

    def _file(self, received: tuple) -> None:
        if received[0] != "reply":
            self._requests.append(received)
        elif received[1] in self._waiting:
            self._replies[received[1]] = received


@dataclass
class _Pending:
    call_id: int
    target: str
    request: Any
    completion_key: str | None


class Calls:
    """The sending API of one component, installed over IoP's IRIS-bound methods."""

    def __init__(self, inbox: Inbox, send: Callable[[tuple], None], current: Any) -> None:
        self._inbox, self._send, self._current = inbox, send, current
        self._ids = itertools.count(1)
        self._pending: list[_Pending] = []
        self._timer: float | None = None
        self._replied: Any = None

    def install(self, component: Any) -> None:
        """Bind IoP's sending methods of ``component`` to the host (instance attributes win over the class's)."""
        component.send_request_sync = self.send_request_sync
        component.send_multi_request_sync = self.send_multi_request_sync
        component.send_request_async_ng = self.send_request_async_ng
        component.send_generator_request = self.send_generator_request
        if isinstance(component, _BusinessProcess):
            component.send_request_async = self.send_request_async_process
            component.reply = self.reply
            component.set_timer = self.set_timer
        else:
            component.send_request_async = self.send_request_async

    # -- the calls ------------------------------------------------------------------------------
    def _call(self, target: Any, request: Any, wants_reply: bool) -> tuple[int, str]:
        name = resolve_target(target)
        if not isinstance(name, str) or not name:
            raise CallError(f"target must be an item name (a target() setting or a string), got {target!r}")
        call_id = next(self._ids)
        self._send(("call", call_id, name, message_classname(request), dump_message(request), wants_reply,
                    self._current.session_id, self._current.message_id))
        return call_id, name

    def _answer(self, call_id: int, target: str, timeout: float | None, limit: str = "") -> Any:
        """The response to ``call_id``; ``limit`` says what bounded the wait when it runs out."""
        reply = self._inbox.reply(call_id, timeout)
        if reply is None:
            self._send(("abandon", call_id))  # its answer, when it comes, is stored Discarded
            raise CallError(f"no response from {target} within {limit or f'{timeout:g} s'}")
        _, _, status, classname, body, error = reply
        if status != "Completed":
            raise CallError(f"{target}: {error or status}")
        return load_message(classname, body) if classname else None

    def send_request_sync(self, target: Any, request: Any, timeout: int | float = FOREVER,
                          description: str | None = None) -> Any:
        call_id, name = self._call(target, request, True)
        return self._answer(call_id, name, _seconds(timeout))

    def send_request_async(self, target: Any, request: Any, description: str | None = None) -> None:
        self._call(target, request, False)

    def send_request_async_process(self, target: Any, request: Any, description: str | None = None,
                                   completion_key: str | None = None, response_required: bool = True) -> None:
        call_id, name = self._call(target, request, bool(response_required))
        if response_required:
            self._pending.append(_Pending(call_id, name, request, completion_key))

    def send_multi_request_sync(self, target_request: list[tuple[Any, Any]], timeout: int | float = FOREVER,
                                description: str | None = None) -> list[tuple[str, Any, Any, int]]:
        """Send every request first, then collect the answers: ``(target, request, response, status)``
        with status 1 when it completed, 0 otherwise (IoP's ResponseCode)."""
        if not isinstance(target_request, list) or not target_request:
            raise TypeError("target_request must be a non-empty list of (target, request) tuples")
        sent = [(*self._call(target, request, True), request) for target, request in target_request]
        deadline = _deadline(_seconds(timeout))
        results = []
        for call_id, name, request in sent:
            try:
                results.append((name, request, self._answer(call_id, name, _left(deadline), f"{timeout} s"), 1))
            except CallError:
                results.append((name, request, None, 0))
        return results

    async def send_request_async_ng(self, target: Any, request: Any, timeout: int | float = FOREVER,
                                    description: str | None = None) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            None, self.send_request_sync, target, request, timeout, description)

    def send_generator_request(self, target: Any, request: Any, timeout: int | float = FOREVER,
                               description: str | None = None) -> Any:
        raise NotImplementedError("send_generator_request is not supported on the local host (iophost): "
                                  "use send_request_sync, or run the production on IRIS")

    # -- a business process's async responses ----------------------------------------------------
    def reply(self, response: Any) -> None:
        self._replied = response

    def set_timer(self, timeout: int | str, completion_key: str | None = None) -> None:
        self._timer = _deadline(_seconds(timeout))

    def reset(self) -> None:
        """Forget what an earlier message left (its handler raised before its answers were awaited)."""
        self._pending, self._replied, self._timer = [], None, None

    def complete(self, process: Any, request: Any, response: Any) -> Any:
        """After ``on_request``: ``on_response`` for each awaited async call, then ``on_complete``.
        Returns the response to give the caller (the one passed to ``reply`` wins)."""
        if self._pending:
            while self._pending:  # on_response may send more async calls: they are awaited too
                call = self._pending.pop(0)
                try:
                    answer = self._answer(call.call_id, call.target, _left(self._timer), "the set_timer time")
                except CallError as exc:
                    process.log_warning(f"async call to {call.target} ended without a response: {exc}")
                    answer = None
                response = process.on_response(request, response, call.request, answer, call.completion_key)
            response = process.on_complete(request, response)
        replied, self._replied, self._timer = self._replied, None, None
        return replied if replied is not None else response


def _seconds(timeout: int | float | str) -> float | None:
    """IoP's timeout (seconds; -1 waits for ever) as the wait's seconds (None for ever)."""
    value = float(timeout)
    return None if value < 0 else value


def _deadline(seconds: float | None) -> float | None:
    return None if seconds is None else time.monotonic() + seconds


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())
