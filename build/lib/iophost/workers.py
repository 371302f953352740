"""The worker processes of one production item, as the host sees them.

Each of an item's PoolSize workers is a process (see :mod:`iophost.worker_process`) with a
pipe. A message goes down the pipe of an idle worker straight from the thread that sent it,
the most recently idle worker first (its caches are warm); when none is idle it waits in the
item's queue. One reader thread per worker takes whatever comes back up the pipe: the
component's log lines as they are written, and the outcome, after which it hands that worker
the next queued message or puts it back among the idle. A worker that dies mid-message fails
that message with the reason and is started again, unless the item is being stopped.
A message whose sending found the process already gone was never started: it goes back to
the head of the queue for the restarted worker.

A component that takes batches (``on_message_batch`` and ``batch_size`` above 1, which its
worker reports when ready) is handed up to ``batch_size`` queued messages at once as one
:class:`Batch`: a free worker takes what queued while it was busy, and a message that finds a
worker idle waits up to ``batch_wait_ms`` for others to join it. Each message still ends on its own.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from typing import Any, Protocol

from . import jsontext, worker_process
from .loader import ComponentSpec
from .pipe_bodies import read_body

START_TIMEOUT = 600.0  # a model download in on_init can take minutes
STOP_TIMEOUT = 30.0
#: Socket buffer of each end of a worker's pipe (the kernel caps it at net.core.wmem_max/rmem_max).
PIPE_BUFFER = 4 << 20


@dataclass
class Outcome:
    """How a message ended: ``Completed`` with a response (its body as the JSON text the worker
    wrote), ``Error`` or ``Aborted`` with a reason."""

    status: str
    response_class: str = ""
    response_json: str | None = None
    error: str = ""
    #: The component refused the message as invalid (it raised ValueError): a 400, not a 500.
    refused: bool = False

    @property
    def response_body(self) -> Any:
        """The response body decoded (the host itself only passes the text on)."""
        return None if self.response_json is None else jsontext.loads(self.response_json)


@dataclass
class Job:
    """One message for an item (its body as JSON text); ``finish`` is called exactly once with its outcome."""

    message_id: int
    session_id: int
    classname: str
    body: str
    finish: Callable[[Outcome], None]
    delivered: Callable[[], None] = field(default=lambda: None)
    sent: bool = False  # down the pipe of a live process (else it never started)

    def request(self) -> tuple:
        return ("msg", self.message_id, self.session_id, self.classname, self.body)

    def settle(self, message_id: int, outcome: Outcome) -> None:
        """The worker answered: finish."""
        self.finish(outcome)


@dataclass
class Batch:
    """Queued messages handed to one worker together; each ends with its own outcome."""

    jobs: list[Job]
    sent: bool = False

    @property
    def message_id(self) -> int:
        return self.jobs[0].message_id

    @property
    def session_id(self) -> int:
        return self.jobs[0].session_id

    def request(self) -> tuple:
        return ("batch", [(job.message_id, job.session_id, job.classname, job.body) for job in self.jobs])

    def delivered(self) -> None:
        for job in self.jobs:
            job.delivered()

    def settle(self, message_id: int, outcome: Outcome) -> None:
        """One message's outcome (:meth:`left` says how many are still in flight)."""
        job = next((job for job in self.jobs if job.message_id == message_id), None)
        if job is not None:
            self.jobs.remove(job)
            job.finish(outcome)

    def left(self) -> int:
        return len(self.jobs)

    def finish(self, outcome: Outcome) -> None:
        """Those still in flight end with ``outcome`` (the process died or was killed)."""
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            job.finish(outcome)


class WorkerEvents(Protocol):
    """What the workers tell the host besides outcomes."""

    def worker_log(self, item: str, type: str, text: str, *, session_id: int | None = None,
                   message_id: int | None = None, job: str = "", source_class: str = "",
                   source_method: str = "") -> None: ...

    def route_call(self, source: str, call: tuple, answer: Callable[[tuple], None], caller: int) -> None:
        """A component of ``source`` (in process ``caller``) sends a message to another item (see
        :mod:`iophost.calls`); ``answer`` sends the reply back down the caller's pipe."""

    def abandon_call(self, caller: int, call_id: int) -> None:
        """Process ``caller`` stopped waiting for its call ``call_id`` (its timeout passed)."""


def _context() -> BaseContext:
    # forkserver: workers fork from a small server that preloaded IoP, never from the host (which
    # runs threads and a web server); spawn where forkserver does not exist.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["iophost.worker_process"])
        return context
    return multiprocessing.get_context("spawn")


class _Worker:
    """One worker process and the host thread that reads its pipe.

    ``job`` (the message in flight) and membership of the pool's idle list change only under
    the pool's lock; whoever takes the worker from the idle list owns its pipe's sending end
    until the outcome comes back.
    """

    def __init__(self, pool: ItemWorkers, index: int) -> None:
        self.pool, self.index = pool, index
        self.state, self.error, self.pid = "starting", "", 0
        self.job: Job | Batch | None = None
        self.conn: Any = None
        self._process: Any = None
        # Held while a message or a call's reply goes down the pipe, and while a dead process's
        # message is taken back: a message is either sent before the process died or queued again.
        self._sending = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"iophost {pool.spec.item}#{index}", daemon=True)

    @property
    def job_name(self) -> str:
        return str(self.pid or "")

    def _log(self, type: str, text: str, **where: Any) -> None:
        self.pool.events.worker_log(self.pool.spec.item, type, text, job=self.job_name, **where)

    # -- the reader thread ------------------------------------------------------------------------
    def _run(self) -> None:
        if not self._spawn():
            self.pool.worker_failed()
            return
        while True:
            try:
                reply = self.conn.recv()
                if reply[0] == "done" and reply[3] is not None:  # its body follows it on the pipe
                    reply = (*reply[:3], read_body(self.conn, reply[3]).decode())
            except (EOFError, OSError):
                if self._died():
                    continue
                return
            if reply[0] == "log":
                self._relay(reply)
            elif reply[0] == "call":
                self.pool.events.route_call(self.pool.spec.item, reply[1:], self.answer, self.pid)
            elif reply[0] == "abandon":
                self.pool.events.abandon_call(self.pid, reply[1])
            elif reply[0] == "done":
                self._finished(reply[1], Outcome("Completed", response_class=reply[2], response_json=reply[3]))
            elif reply[0] == "fail":
                self._finished(reply[1], Outcome("Error", error=reply[2], refused=reply[3]))
            elif reply[0] == "stopped":
                self._process.join(5)
                self.pool.set_state(self, "stopped")
                return

    def _spawn(self) -> bool:
        """Start the process, wait for its component's on_init, then take work; False when it failed."""
        self.pool.set_state(self, "starting")
        parent_end, child_end = self.pool.context.Pipe()
        for end in (parent_end, child_end):
            _widen(end)
        self._process = self.pool.context.Process(target=worker_process.run,
                                                  args=(self.pool.spec, child_end, len(self.pool.workers)),
                                                  name=f"iophost {self.pool.spec.item}", daemon=True)
        self._process.start()
        child_end.close()
        self.conn, self.pid = parent_end, self._process.pid
        try:
            while self.conn.poll(START_TIMEOUT):
                reply = self.conn.recv()
                if reply[0] == "log":
                    self._relay(reply)
                elif reply[0] == "call":  # on_init may send to another item
                    self.pool.events.route_call(self.pool.spec.item, reply[1:], self.answer, self.pid)
                elif reply[0] == "ready":
                    self.pool.set_batching(*reply[2:4])
                    self.pool.set_state(self, "running")
                    self.pool.worker_free(self)
                    return True
                elif reply[0] == "init_error":
                    self._process.join(5)
                    return self._failed(f"{self.pool.spec.item} failed to start: {reply[1]}")
            self._process.kill()
            return self._failed(f"{self.pool.spec.item} did not start within {START_TIMEOUT:.0f} s")
        except (EOFError, OSError):
            self._process.join(5)
            if self.pool.stopping:  # killed by a stop while on_init ran
                self.pool.set_state(self, "stopped")
                return False
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

    def _finished(self, message_id: int, outcome: Outcome) -> None:
        job = self.job
        if isinstance(job, Batch) and job.left() > 1:
            job.settle(message_id, outcome)
            return
        # Free the worker before reporting the last outcome: a caller woken by it finds it idle.
        job = self.pool.worker_free(self)
        if job is not None:
            job.settle(message_id, outcome)

    def _died(self) -> bool:
        """The process ended: fail its message, start it again; False when this worker is finished."""
        self._process.join(5)
        code = self._process.exitcode
        with self._sending:
            job = self.pool.worker_lost(self)
        if self.pool.stopping:
            if job is not None:
                job.finish(Outcome("Aborted", error=f"{self.pool.spec.item} was killed while processing this message"))
            return False
        # Once stop() has begun nothing restarts: a new process would only load its model to be stopped.
        then = "the item is stopping" if self.pool.winding_down else "restarting it"
        if job is not None:
            reason = (f"worker process {self.pid} of {self.pool.spec.item} died (exit code {code}) while processing "
                      f"message {job.message_id}")
            job.finish(Outcome("Error", error=reason))
            self._log("Error", f"{reason}; {then}", session_id=job.session_id, message_id=job.message_id)
        else:
            self._log("Error", f"worker process {self.pid} of {self.pool.spec.item} exited (exit code {code}); {then}")
        if self.pool.winding_down:
            self.pool.set_state(self, "stopped")
        elif self._spawn():
            return True
        self.pool.worker_failed()
        return False

    # -- the sending end (called by the worker's current owner) ----------------------------------
    def send_job(self, job: Job | Batch, conn: Any) -> None:
        with self._sending:
            if self.job is not job:
                return  # the process died before this was sent: the reader thread queued it again
            job.delivered()
            try:
                conn.send(job.request())
            except (OSError, ValueError):
                return  # the process is gone: its reader thread queues the message again
            job.sent = True

    def answer(self, reply: tuple) -> None:
        """The reply to a call the component made (the worker waits for it, so it is not idle)."""
        try:
            with self._sending:
                self.conn.send(reply)
        except (OSError, ValueError, AttributeError):
            pass  # the caller's process is gone; its own message already failed

    def send_stop(self, conn: Any) -> None:
        try:
            with self._sending:
                conn.send(("stop",))
        except (OSError, ValueError):
            pass

    def kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()


class ItemWorkers:
    """The PoolSize worker processes of one item, its idle workers and its queue."""

    def __init__(self, spec: ComponentSpec, size: int, events: WorkerEvents,
                 context: BaseContext | None = None) -> None:
        self.spec, self.events = spec, events
        self.context = context or _context()
        self.winding_down = False  # stop() has begun: queued messages still go out, nothing restarts
        self.stopping = False  # nothing more goes out
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._idle: list[_Worker] = []
        self._queue: deque[Job | Batch] = deque()
        self.batch_size, self.batch_wait = 1, 0.0
        self._flush_due = False  # a timer will hand out what waits for a batch to fill
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
        if not self.stopping and not any(worker.state in ("running", "starting") for worker in self.workers):
            self._drain(self._undelivered() if self.winding_down
                        else Outcome("Error", error=self.error or f"{self.spec.item} is not running"))
        return False

    # -- messages -------------------------------------------------------------------------------
    def set_batching(self, size: int = 1, wait: float = 0.0) -> None:
        """What the component asked for when its worker became ready (see :class:`Batch`)."""
        with self._lock:
            self.batch_size, self.batch_wait = max(int(size), 1), max(float(wait), 0.0)

    def submit(self, job: Job) -> None:
        """Send ``job`` to an idle worker from this thread, else queue it. Once stop() has begun it
        ends Aborted: the queue that drains is the one the stop found (a steady stream of new
        messages would otherwise keep the item from ever stopping)."""
        wait = False
        with self._lock:
            closed = self.winding_down
            worker = None
            if not closed:
                self._queue.append(job)
                if self._idle and (len(self._queue) >= self.batch_size or not self.batch_wait):
                    worker = self._idle.pop()
                    worker.job = work = self._take()
                    conn = worker.conn
                elif self._idle and not self._flush_due:
                    self._flush_due = wait = True
        if worker is not None:
            worker.send_job(work, conn)
        elif wait:
            timer = threading.Timer(self.batch_wait, self._flush)
            timer.daemon = True
            timer.start()
        elif closed:
            job.finish(self._undelivered())

    def _take(self) -> Job | Batch:
        """The next work from the queue (not empty; under the lock): up to batch_size messages."""
        first = self._queue.popleft()
        if self.batch_size == 1 or isinstance(first, Batch) or not self._queue:
            return first
        jobs = [first]
        while self._queue and len(jobs) < self.batch_size and not isinstance(self._queue[0], Batch):
            jobs.append(self._queue.popleft())
        return Batch(jobs)

    def _flush(self) -> None:
        """batch_wait_ms after a message found a worker idle: hand out what queued meanwhile."""
        while True:
            with self._lock:
                self._flush_due = False
                if not self._queue or not self._idle or self.stopping:
                    return
                worker = self._idle.pop()
                worker.job = work = self._take()
                conn = worker.conn
            worker.send_job(work, conn)

    def _undelivered(self) -> Outcome:
        return Outcome("Aborted", error=f"{self.spec.item} was stopped before this message was delivered")

    def worker_free(self, worker: _Worker) -> Job | Batch | None:
        """``worker`` has no message any more: give it the next queued one or make it idle (or,
        once stop() has taken the idle workers, stop it). Returns the message it had."""
        with self._changed:
            done, worker.job = worker.job, None
            following = self._take() if self._queue and not self.stopping else None
            stopping, conn = self.stopping, worker.conn
            if following is not None:
                worker.job = following
            elif not stopping:
                self._idle.append(worker)
            self._changed.notify_all()
        if following is not None:
            worker.send_job(following, conn)
        elif stopping:  # e.g. a restarted worker that became ready after stop() began
            worker.send_stop(conn)
        return done

    def worker_lost(self, worker: _Worker) -> Job | Batch | None:
        """``worker``'s process ended: nobody may take it until it is started again. Returns the
        message it was processing; one that never reached it goes back to the head of the queue."""
        with self._changed:
            if worker in self._idle:
                self._idle.remove(worker)
            lost, worker.job = worker.job, None
            if lost is not None and not lost.sent:
                self._queue.appendleft(lost)
                lost = None
            self._changed.notify_all()
        return lost

    def backlog(self) -> int:
        return len(self._queue)

    def _drain(self, outcome: Outcome) -> None:
        with self._lock:
            queued = list(self._queue)
            self._queue.clear()
        for job in queued:
            job.finish(outcome)

    # -- stopping -------------------------------------------------------------------------------
    def stop(self) -> None:
        """Let queued messages finish, then run each component's on_tear_down and end the processes."""
        with self._changed:
            self.winding_down = True
            self._changed.wait_for(lambda: not self._queue and all(w.job is None for w in self.workers)
                                   or not any(w.state in ("running", "starting") for w in self.workers),
                                   timeout=STOP_TIMEOUT + 10)
            self.stopping = True
            idle, self._idle = list(self._idle), []
        for worker in self.workers:
            if worker not in idle and worker.state in ("running", "starting"):
                worker.kill()  # still busy, or still in on_init, after the wait
        for worker in idle:
            worker.send_stop(worker.conn)
        for worker in self.workers:
            worker.thread.join(STOP_TIMEOUT)
        self.kill()

    def kill(self) -> None:
        """End the processes now; messages in flight or queued end Aborted."""
        with self._lock:
            self.winding_down = self.stopping = True
            self._idle.clear()
        for worker in self.workers:
            worker.kill()
        for worker in self.workers:
            worker.thread.join(10)
        self._drain(self._undelivered())
        for worker in self.workers:
            if worker.state != "error":
                self.set_state(worker, "stopped")


def _widen(conn: Any) -> None:
    """Let a whole large body sit in the pipe's socket buffer: with the default ~200 KB, a 1 MB
    answer crossed in a handful of round trips, each waiting for the other process to be scheduled
    (3 ms on a busy machine, 0.3 ms with room for it)."""
    with socket.socket(fileno=os.dup(conn.fileno())) as end:
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            end.setsockopt(socket.SOL_SOCKET, option, PIPE_BUFFER)
