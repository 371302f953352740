"""Which messages' handlers wait on which synchronous calls, so that a call that would close a
cycle of waits (a process calling itself, two PoolSize-1 items calling each other, in one session
or across two) is refused with the cycle it closes instead of waiting for ever.

A call can never be served when every worker that could take it is itself waiting, directly or
through other items, on that call: the check follows the waits from the call's target (its
workers' current messages, or the worker the call was delivered to) back to the call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class CallCycleError(RuntimeError):
    """A synchronous call whose target's workers all wait on it."""


#: Message ids of the messages an item's workers are handling (None for a free worker).
JobsOf = Callable[[str], list[int | None]]


class CallGraph:
    def __init__(self, jobs_of: JobsOf) -> None:
        self._jobs_of = jobs_of
        self._lock = threading.Lock()
        self._waits: dict[int, dict[int, str]] = {}  # message -> {call it waits on: that call's target}
        self._parent: dict[int, int] = {}

    def add(self, source: str, parent: int, call: int, target: str) -> None:
        """The handler of ``parent`` (an item ``source`` runs) waits on ``call`` to ``target``.

        Raises:
            CallCycleError: that wait closes a cycle; nothing is recorded.
        """
        with self._lock:
            self._waits.setdefault(parent, {})[call] = target
            self._parent[call] = parent
            cycle = self._stuck(call, target, frozenset())
            if cycle is not None:
                self._forget(call)
                raise CallCycleError(f"call cycle: {' -> '.join([source, *cycle[:-1]])} would wait for ever: "
                                     f"every worker of {target} is waiting, directly or through other items, "
                                     f"on this call")

    def done(self, message: int) -> None:
        """``message`` has ended: nobody waits on it, and its handler waits on nothing."""
        with self._lock:
            self._forget(message)
            self._waits.pop(message, None)

    def _forget(self, call: int) -> None:
        parent = self._parent.pop(call, None)
        waits = self._waits.get(parent) if parent is not None else None
        if waits is not None:
            waits.pop(call, None)
            if not waits:
                del self._waits[parent]

    def _stuck(self, call: int, target: str, seen: frozenset[int]) -> list[str] | None:
        """The items of a cycle of waits through ``call`` (ending with ``target`` again), or None."""
        if call in seen:
            return [target]
        seen = seen | {call}
        jobs = self._jobs_of(target)
        holders = [call] if call in jobs else jobs  # delivered to a worker, or waiting for any of them
        if not holders or None in holders:
            return None
        cycle: list[str] | None = None
        for holder in holders:
            found = next((path for waited, waited_target in self._waits.get(holder, {}).items()
                          if (path := self._stuck(waited, waited_target, seen)) is not None), None)
            if found is None:
                return None  # this worker can finish: the call will be served
            cycle = cycle or found
        return [target, *cycle] if cycle else None
