"""The body of one worker process: build one item's component, then serve messages from a pipe.

Runs in a fresh process (forkserver or spawn), so the host never imports the component's
code (nor torch): the class is imported here by module and name. Messages arrive as
``("msg", message_id, session_id, classname, body)``; the process answers ``("done", ...)``
or ``("fail", ...)`` and streams the component's log calls as ``("log", ...)`` meanwhile.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import signal
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Any

from iop.runtime.environment import prepend_sys_path

from .component import (
    create_component,
    deliver,
    dump_message,
    load_message,
    message_classname,
    start_component,
    stop_component,
)
from .loader import ComponentSpec

LOG_TYPES = {logging.DEBUG: "Trace", logging.INFO: "Info", logging.WARNING: "Warning", logging.ERROR: "Error",
             logging.CRITICAL: "Alert"}


class _Current(threading.local):
    session_id: int | None = None
    message_id: int | None = None


class _PipeLogHandler(logging.Handler):
    """Sends each record of the component's logger to the host, with the message being served."""

    def __init__(self, send: Any, current: _Current) -> None:
        super().__init__(logging.DEBUG)
        self._send, self._current = send, current

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._send(("log", LOG_TYPES.get(record.levelno, "Info"), record.getMessage(),
                        self._current.session_id, self._current.message_id,
                        getattr(record, "class_name", "") or "", getattr(record, "method_name", "") or ""))
        except (OSError, ValueError):  # the host has gone; nobody left to tell
            pass


def describe(exc: BaseException) -> str:
    """``Type: text`` and the innermost frame, enough to act on from the event log."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def run(spec: ComponentSpec, conn: Connection) -> None:
    """Entry point of the worker process."""
    # Ctrl-C, systemd and ``timeout`` signal the host's whole process group (or cgroup): the host
    # stops its workers itself (queued messages finish, then on_tear_down), so they must not die first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        _serve(spec, conn)
    except (EOFError, OSError):  # the host has gone (killed, or stopped while we started)
        return


def _serve(spec: ComponentSpec, conn: Connection) -> None:
    for path in reversed(spec.import_paths):
        prepend_sys_path(path)
    lock = threading.Lock()

    def send(reply: tuple) -> None:
        with lock:  # a component may log from its own threads
            conn.send(reply)

    current = _Current()
    logger = logging.Logger(f"iophost.{spec.item}", logging.DEBUG)
    logger.addHandler(_PipeLogHandler(send, current))
    try:
        component_class = getattr(importlib.import_module(spec.module), spec.class_name)
        component = create_component(component_class, spec.host_settings, logger)
        start_component(component)
    except BaseException as exc:  # on_init failed: report it and end this process
        send(("init_error", describe(exc)))
        return
    gc.freeze()  # the component and its model live as long as the process: keep the collector off them
    send(("ready", os.getpid()))
    while True:
        request = conn.recv()
        if request[0] == "stop":
            try:
                stop_component(component)
            except Exception as exc:
                send(("log", "Error", f"on_tear_down failed: {describe(exc)}", None, None, "", ""))
            send(("stopped",))
            return
        _, message_id, session_id, classname, body = request
        current.session_id, current.message_id = session_id, message_id
        try:
            response = deliver(component, load_message(classname, body))
            if response is None:
                send(("done", message_id, "", None))
            else:
                send(("done", message_id, message_classname(response), dump_message(response)))
        except Exception as exc:
            send(("fail", message_id, describe(exc)))
        finally:
            current.session_id = current.message_id = None
