"""The worker processes of one production item, as the host sees them.

Each of an item's PoolSize workers is a process (see :mod:`iophost.worker_process`) with a
pipe, driven by one thread of the host: the thread takes the next message from the item's
queue, sends it down the pipe, relays the component's log lines, and reports the outcome.
A worker that dies mid-message fails that message with the reason and is started again.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from typing import Any, Protocol

from . import worker_process
from .loader import ComponentSpec

START_TIMEOUT = 600.0  # a model download in on_init can take minutes
STOP_TIMEOUT = 30.0
_STOP = object()


@dataclass
class Outcome:
    """How a message ended: ``Completed`` with a response, ``Error`` or ``Aborted`` with a reason."""

    status: str
    response_class: str = ""
    response_body: Any = None
    error: str = ""


@dataclass
class Job:
    """One message for an item; ``finish`` is called exactly once with its outcome."""

    message_id: int
    session_id: int
    classname: str
    body: dict[str, Any]
    finish: Callable[[Outcome], None]
    delivered: Callable[[], None] = field(default=lambda: None)


class WorkerEvents(Protocol):
    """What the workers tell the host besides outcomes."""

    def worker_log(self, item: str, type: str, text: str, *, session_id: int | None = None,
                   message_id: int | None = None, job: str = "", source_class: str = "",
                   source_method: str = "") -> None: ...


def _context() -> BaseContext:
    # forkserver: workers fork from a small server that preloaded IoP, never from the host (which
    # runs threads and a web server); spawn where forkserver does not exist.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["iophost.worker_process"])
        return context
    return multiprocessing.get_context("spawn")


class _Worker:
    """One worker process and the host thread that drives it."""

    def __init__(self, pool: ItemWorkers, index: int) -> None:
        self.pool, self.index = pool, index
        self.state, self.error, self.pid = "starting", "", 0
        self._process: Any = None
        self._conn: Any = None
        self.thread = threading.Thread(target=self._run, name=f"iophost {pool.spec.item}#{index}", daemon=True)

    @property
    def job_name(self) -> str:
        return str(self.pid or "")

    def _log(self, type: str, text: str, **where: Any) -> None:
        self.pool.events.worker_log(self.pool.spec.item, type, text, job=self.job_name, **where)

    def _spawn(self) -> bool:
        """Start the process and wait for its component's on_init; False when it failed."""
        self.pool.set_state(self, "starting")
        parent_end, child_end = self.pool.context.Pipe()
        self._process = self.pool.context.Process(target=worker_process.run, args=(self.pool.spec, child_end),
                                                  name=f"iophost {self.pool.spec.item}", daemon=True)
        self._process.start()
        child_end.close()
        self._conn, self.pid = parent_end, self._process.pid
        try:
            while self._conn.poll(START_TIMEOUT):
                reply = self._conn.recv()
                if reply[0] == "log":
                    self._relay(reply)
                elif reply[0] == "ready":
                    self.pool.set_state(self, "running")
                    return True
                elif reply[0] == "init_error":
                    self._process.join(5)
                    return self._failed(f"{self.pool.spec.item} failed to start: {reply[1]}")
            self._process.kill()
            return self._failed(f"{self.pool.spec.item} did not start within {START_TIMEOUT:.0f} s")
        except (EOFError, OSError):
            self._process.join(5)
            return self._failed(f"worker process {self.pid} of {self.pool.spec.item} exited while starting "
                                f"(exit code {self._process.exitcode})")

    def _failed(self, reason: str) -> bool:
        self.error = reason
        self.pool.set_state(self, "error")
        self._log("Error", reason)
        return False

    def _relay(self, reply: tuple) -> None:
        _, type, text, session_id, message_id, source_class, source_method = reply
        self._log(type, text, session_id=session_id, message_id=message_id, source_class=source_class,
                  source_method=source_method)

    def _run(self) -> None:
        if not self._spawn():
            self.pool.worker_failed()
            return
        while True:
            try:
                job = self.pool.queue.get(timeout=0.5)
            except queue.Empty:
                if not self._idle():
                    return
                continue
            if job is _STOP:
                self._stop_process()
                return
            if not self._serve(job):
                return

    def _idle(self) -> bool:
        """Relay log lines written between messages; restart a process that died idle."""
        try:
            while self._conn.poll():
                self._relay(self._conn.recv())
        except (EOFError, OSError):
            pass
        if self.pool.stopping:
            return False
        if self._process.is_alive():
            return True
        self._log("Error", f"worker process {self.pid} of {self.pool.spec.item} exited "
                           f"(exit code {self._process.exitcode}); restarting it")
        return self._spawn() or self.pool.worker_failed()

    def _serve(self, job: Job) -> bool:
        """Deliver one message; False when this worker is finished (stopping, or cannot restart)."""
        job.delivered()
        try:
            self._conn.send(("msg", job.message_id, job.session_id, job.classname, job.body))
            while True:
                reply = self._conn.recv()
                if reply[0] == "log":
                    self._relay(reply)
                elif reply[0] == "done":
                    job.finish(Outcome("Completed", response_class=reply[2], response_body=reply[3]))
                    return True
                elif reply[0] == "fail":
                    job.finish(Outcome("Error", error=reply[2]))
                    return True
        except (EOFError, OSError):
            self._process.join(5)
            code = self._process.exitcode
        if self.pool.stopping:
            job.finish(Outcome("Aborted", error=f"{self.pool.spec.item} was killed while processing this message"))
            return False
        reason = (f"worker process {self.pid} of {self.pool.spec.item} died (exit code {code}) while processing "
                  f"message {job.message_id}")
        job.finish(Outcome("Error", error=reason))
        self._log("Error", f"{reason}; restarting it", session_id=job.session_id, message_id=job.message_id)
        return self._spawn() or self.pool.worker_failed()

    def _stop_process(self) -> None:
        try:
            self._conn.send(("stop",))
            while self._conn.poll(STOP_TIMEOUT):
                reply = self._conn.recv()
                if reply[0] == "log":
                    self._relay(reply)
                elif reply[0] == "stopped":
                    break
        except (EOFError, OSError):
            pass
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self.pool.set_state(self, "stopped")

    def kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()


class ItemWorkers:
    """The PoolSize worker processes of one item and the queue they share."""

    def __init__(self, spec: ComponentSpec, size: int, events: WorkerEvents,
                 context: BaseContext | None = None) -> None:
        self.spec, self.events = spec, events
        self.context = context or _context()
        self.queue: queue.Queue = queue.Queue()
        self.stopping = False
        self._changed = threading.Condition()
        self.workers = [_Worker(self, index) for index in range(size)]
        for worker in self.workers:
            worker.thread.start()

    # -- state ----------------------------------------------------------------------------------
    def set_state(self, worker: _Worker, state: str) -> None:
        with self._changed:
            worker.state = state
            self._changed.notify_all()

    @property
    def state(self) -> str:
        """``running``, ``starting``, ``error`` (any worker failed to start) or ``stopped``."""
        states = {worker.state for worker in self.workers}
        for state in ("error", "starting", "running"):
            if state in states:
                return state
        return "stopped"

    @property
    def error(self) -> str:
        return next((worker.error for worker in self.workers if worker.state == "error"), "")

    @property
    def pids(self) -> list[int]:
        return [worker.pid for worker in self.workers if worker.state == "running"]

    def wait_started(self, timeout: float) -> str:
        """Wait until no worker is still starting (or ``timeout``); return the state."""
        with self._changed:
            self._changed.wait_for(lambda: all(w.state != "starting" for w in self.workers), timeout=timeout)
        return self.state

    def worker_failed(self) -> bool:
        """A worker could not (re)start: with none left running, fail what waits in the queue."""
        if not any(worker.state in ("running", "starting") for worker in self.workers):
            self._drain(Outcome("Error", error=self.error or f"{self.spec.item} is not running"))
        return False

    # -- messages -------------------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        self.queue.put(job)

    def backlog(self) -> int:
        return self.queue.qsize()

    def _drain(self, outcome: Outcome) -> None:
        while True:
            try:
                job = self.queue.get_nowait()
            except queue.Empty:
                return
            if job is not _STOP:
                job.finish(outcome)

    # -- stopping -------------------------------------------------------------------------------
    def stop(self) -> None:
        """Let queued messages finish, then run each component's on_tear_down and end the processes."""
        for _ in self.workers:
            self.queue.put(_STOP)
        for worker in self.workers:
            worker.thread.join(STOP_TIMEOUT + 10)
        self.stopping = True
        self.kill()

    def kill(self) -> None:
        """End the processes now; messages in flight or queued end Aborted."""
        self.stopping = True
        for worker in self.workers:
            worker.kill()
        for worker in self.workers:
            worker.thread.join(10)
        self._drain(Outcome("Aborted", error=f"{self.spec.item} was stopped before this message was delivered"))
        for worker in self.workers:
            if worker.state != "error":
                self.set_state(worker, "stopped")
