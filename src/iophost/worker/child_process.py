"""Worker side: the body of one worker process: build one item's component, then serve messages
from its pipe (the pipe's messages: :mod:`iophost.worker.pipe`).

Runs in a fresh process (forkserver or spawn), so the host never imports the component's
code (nor torch): the class is imported here by module and name. Messages arrive as
:class:`Deliver` (the body as JSON text); the process answers :class:`Done` followed by the
body's bytes, the body encoded once here, or :class:`Fail`, and streams the component's log
calls as :class:`Log` meanwhile; its calls to other items go up as :class:`Call` and their
answers come down as :class:`Reply` (:mod:`iophost.worker.child_calls`). A service with IRIS's
default inbound adapter, or a Python inbound adapter, is polled here every CallInterval while no
message is being served.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import signal
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import iop
from iop import BusinessProcess, BusinessService, InboundAdapter
from iop.components.business_service import _call_process_input
from iop.runtime.environment import prepend_sys_path

import iophost

from ..loader import ComponentSpec
from . import pipe
from .child_calls import Calls, Inbox
from .component import (
    batching,
    create_component,
    deliver,
    deliver_batch,
    encode_message,
    load_message,
    message_classname,
    start_component,
    stop_component,
)
from .pipe import Deliver, DeliverBatch, Done, Fail, InitError, Log, Ready, Stop, Stopped, write_body

#: IRIS's CallInterval when an item's Adapter settings do not give one (seconds).
DEFAULT_CALL_INTERVAL = 5.0
#: How long an idle OpenMP thread (PyTorch's, NumPy's BLAS) busy-waits for more work before it
#: sleeps, unless the environment says (``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``). GNU OpenMP's
#: default spin kept a core busy long after each message, a core the host needs to store and
#: answer it; this short one leaves a model's own back-to-back operations as fast
#: (docs/serving.md#the-http-route-and-the-worker-processes).
OPENMP_SPIN = {"GOMP_SPINCOUNT": "30000"}
LOG_TYPES = {logging.DEBUG: "Trace", logging.INFO: "Info", logging.WARNING: "Warning", logging.ERROR: "Error",
             logging.CRITICAL: "Alert"}


class _Current:
    """The message being served (one at a time per process): log lines and calls carry its ids,
    from whichever thread the component writes or calls them."""

    session_id: int | None = None
    message_id: int | None = None


class _PipeLogHandler(logging.Handler):
    """Sends each record of the component's logger to the host, with the message being served."""

    def __init__(self, send: Any, current: _Current) -> None:
        super().__init__(logging.DEBUG)
        self._send, self._current = send, current

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._send(Log(LOG_TYPES.get(record.levelno, "Info"), record.getMessage(),
                           self._current.session_id, self._current.message_id,
                           getattr(record, "class_name", "") or "", getattr(record, "method_name", "") or ""))
        except (OSError, ValueError):  # the host has gone; nobody left to tell
            pass


#: Where the host's and IoP's own frames of a component's traceback live.
_RUNTIME_FOLDERS = tuple(str(Path(module.__file__).parent) + os.sep for module in (iophost, iop))


def describe(exc: BaseException) -> str:
    """``Type: text``, what a caller is shown; where it was raised goes to the event log apart
    (:func:`raised_at`), so users never read the host's file paths."""
    return f"{type(exc).__name__}: {exc}"


def raised_at(exc: BaseException, session_id: int | None = None, message_id: int | None = None) -> Log:
    """A Trace log line naming the innermost frame of ``exc``, then the traceback through the
    component's own code (the host's and IoP's frames left out), for whoever debugs the component
    (the pytest plugin, :mod:`iophost.testing`, shows it in a failing test's report)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "an unknown place"
    own = [frame for frame in frames if not frame.filename.startswith(_RUNTIME_FOLDERS)] or frames
    return Log("Trace", f"{type(exc).__name__} raised at {where}\nTraceback (most recent call last):\n"
               + "".join(traceback.format_list(own)) + describe(exc), session_id, message_id)


def run(spec: ComponentSpec, conn: Connection, pool_size: int = 1) -> None:
    """Entry point of the worker process, one of its item's ``pool_size`` (PoolSize)."""
    # Ctrl-C, systemd and ``timeout`` signal the host's whole process group (or cgroup): the host
    # stops its workers itself (queued messages finish, then on_tear_down), so they must not die first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    spin_briefly()
    share_cores(pool_size)
    try:
        _serve(spec, conn)
    except (EOFError, OSError):  # the host has gone (killed, or stopped while we started)
        return


def spin_briefly() -> None:
    """:data:`OPENMP_SPIN` in this process's environment, read when the component's code first
    loads an OpenMP runtime (before that, nothing here has loaded one)."""
    if "OMP_WAIT_POLICY" not in os.environ:
        for name, value in OPENMP_SPIN.items():
            os.environ.setdefault(name, value)


def share_cores(pool_size: int) -> None:
    """Give each of an item's ``pool_size`` workers its share of the cores for OpenMP threads
    (``OMP_NUM_THREADS``, read when the component's code first loads an OpenMP runtime), unless
    the environment already sets it. Each runtime otherwise starts one thread per core in every
    process, and the workers' threads fight over the cores (docs/serving.md#several-workers-poolsize)."""
    if pool_size > 1 and "OMP_NUM_THREADS" not in os.environ:
        os.environ["OMP_NUM_THREADS"] = str(max(1, available_cores() // pool_size))


def available_cores() -> int:
    """The cores this process may run on (its affinity mask: a container's or taskset's share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity masks on this platform
        return os.cpu_count() or 1


def _serve(spec: ComponentSpec, conn: Connection) -> None:
    for path in reversed(spec.import_paths):
        prepend_sys_path(path)
    lock = threading.Lock()

    def send(reply: tuple, body: bytes | None = None) -> None:  # any message of iophost.worker.pipe
        with lock:  # a component may log or call from its own threads
            pipe.send(conn, reply)
            if body is not None:
                write_body(conn, body)

    current = _Current()
    logger = logging.Logger(f"iophost.{spec.item}", logging.DEBUG)
    logger.addHandler(_PipeLogHandler(send, current))
    inbox = Inbox(conn)
    calls = Calls(inbox, send, current)
    try:
        component = _build(spec, logger, calls)
    except BaseException as exc:  # on_init failed: report it and end this process
        send(raised_at(exc))
        send(InitError(describe(exc)))
        return
    gc.freeze()  # the component and its model live as long as the process: keep the collector off them
    send(Ready(os.getpid(), *batching(component)))
    poll = _poller(spec, component, logger, current)
    interval = call_interval(spec) if poll else None
    next_poll = time.monotonic()
    while True:
        request = inbox.next_request(None if poll is None else max(0.0, next_poll - time.monotonic()))
        if request is None:  # CallInterval elapsed
            poll()
            next_poll = time.monotonic() + interval
            continue
        if type(request) is Stop:
            try:
                stop_component(component)
            except Exception as exc:
                send(Log("Error", f"on_tear_down failed: {describe(exc)}"))
            send(Stopped())
            return
        if type(request) is DeliverBatch:
            _serve_batch(component, request.messages, send, current)
            continue
        message_id, session_id = request.message_id, request.session_id
        current.session_id, current.message_id = session_id, message_id
        try:
            _answer(send, message_id, session_id,
                    _handle(component, calls, load_message(request.classname, request.body)))
        except Exception as exc:
            _answer(send, message_id, session_id, exc)
        finally:
            current.session_id = current.message_id = None


def _answer(send: Any, message_id: int, session_id: int, result: Any) -> None:
    """Tell the host how one message ended: its response (encoded once, here) or its exception."""
    if result is None:
        send(Done(message_id, "", None))
        return
    if not isinstance(result, Exception):
        try:
            classname, body = message_classname(result), encode_message(result)
        except (TypeError, ValueError) as exc:  # a response JSON cannot hold
            result = exc
        else:
            send(Done(message_id, classname, len(body)), body)
            return
    send(raised_at(result, session_id, message_id))
    # a ValueError is the component refusing the message (a bad field): the caller's error, not the server's
    send(Fail(message_id, describe(result), isinstance(result, ValueError)))


def _serve_batch(component: Any, messages: list[Deliver], send: Any, current: _Current) -> None:
    """Messages handed together (the host's batching):
    one call of the component's batch hook, then each message's own answer. Log lines written
    meanwhile go to the first message's trace."""
    loaded = []
    for message_id, session_id, classname, body in messages:
        try:
            loaded.append((message_id, session_id, load_message(classname, body)))
        except Exception as exc:
            _answer(send, message_id, session_id, exc)
    if not loaded:
        return
    current.session_id, current.message_id = loaded[0][1], loaded[0][0]
    try:
        results = deliver_batch(component, [message for _, _, message in loaded])
    except Exception as exc:
        results = [exc] * len(loaded)
    finally:
        current.session_id = current.message_id = None
    for (message_id, session_id, _), result in zip(loaded, results, strict=True):
        _answer(send, message_id, session_id, result)


def _build(spec: ComponentSpec, logger: logging.Logger, calls: Calls) -> Any:
    """The component as IRIS sets it up: settings, its Python adapter, the sending API, then on_init."""
    component_class = getattr(importlib.import_module(spec.module), spec.class_name)
    component = create_component(component_class, spec.host_settings, logger)
    calls.install(component)
    if spec.adapter_class:
        adapter_class = getattr(importlib.import_module(spec.adapter_module), spec.adapter_class)
        adapter = create_component(adapter_class, spec.adapter_settings, logger)
        partner = _ServiceHandle(component) if isinstance(adapter, InboundAdapter) else component
        adapter._set_iris_handles(None, partner)
        adapter.business_host_python = component
        start_component(adapter)
        component.Adapter = component.adapter = adapter
    start_component(component)
    return component


class _ServiceHandle:
    """What a Python inbound adapter's ``BusinessHost`` is in IRIS: ``ProcessInput`` reaches the service."""

    def __init__(self, service: Any) -> None:
        self._service = service

    def ProcessInput(self, message_input: Any = None) -> Any:  # noqa: N802 (IRIS's method name)
        return _call_process_input(self._service.on_process_input, message_input)


def _handle(component: Any, calls: Calls, message: Any) -> Any:
    """One message: a service's on_process_input, else IoP's dispatch (and a process's async answers)."""
    if isinstance(component, BusinessService):
        return _call_process_input(component.on_process_input, message)
    calls.reset()
    response = deliver(component, message)
    if isinstance(component, BusinessProcess):
        response = calls.complete(component, message, response)
    return response


def call_interval(spec: ComponentSpec) -> float:
    """The Adapter setting CallInterval in seconds (IRIS's default 5 when absent or not a number)."""
    try:
        return max(0.1, float(spec.adapter_settings.get("CallInterval", DEFAULT_CALL_INTERVAL)))
    except (TypeError, ValueError):
        return DEFAULT_CALL_INTERVAL


def _poller(spec: ComponentSpec, component: Any, logger: logging.Logger, current: _Current) -> Any:
    """What runs every CallInterval: the Python inbound adapter's on_task, or the polled service's
    on_process_input; None for an item nobody polls. A failing poll is logged and the next one runs."""
    adapter = getattr(component, "Adapter", None)
    if isinstance(adapter, InboundAdapter):
        task = adapter.on_task
    elif spec.polled:
        def task() -> Any:
            return _call_process_input(component.on_process_input, None)
    else:
        return None

    def poll() -> None:
        current.session_id = current.message_id = None  # each poll's messages start their own session
        try:
            task()
        except Exception as exc:
            logger.error(f"poll failed: {describe(exc)}")
    return poll
