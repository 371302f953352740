"""The pipe between the host and a worker process: every message that crosses it, as a named
type, and how a response body travels beside its message.

Down the pipe (host → worker): :class:`Deliver` (one message), :class:`DeliverBatch`,
:class:`Reply` (the answer to a call the component made), :class:`Stop`.
Up the pipe (worker → host): :class:`Log`, :class:`Call`, :class:`Abandon`, :class:`Done`
(its body follows, raw), :class:`Fail`, and at start :class:`Ready` or :class:`InitError`,
at the end :class:`Stopped`.

Messages are ``NamedTuple``s, built and read by name; :func:`send` and :func:`receive` carry
each as a plain tuple led by its kind's number (a pickled ``NamedTuple`` costs about 4 µs more to
write and 3 µs more to read, per message, than the tuple). Bodies are JSON text. ``Connection.send`` pickles a
message, which copies a large body twice over, and ``Connection.recv`` reads it through
``os.read`` and a ``BytesIO``; a body whose length travels in the (small, pickled) :class:`Done`
is written as it is and read once (docs/serving.md#a-body-is-encoded-once). The writer sends the
message and its body under one lock, so nothing comes between them.
"""

from __future__ import annotations

import os
import socket
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

#: Socket buffer of each end of a worker's pipe (the kernel caps it at net.core.wmem_max/rmem_max).
PIPE_BUFFER = 4 << 20


# -- down the pipe ------------------------------------------------------------------------------
class Deliver(NamedTuple):
    """A message for the component, its body as JSON text."""

    message_id: int
    session_id: int
    classname: str
    body: str


class DeliverBatch(NamedTuple):
    """Messages handed to a component's batch hook together."""

    messages: list[Deliver]


class Reply(NamedTuple):
    """How a call the component made to another item ended (``status`` a MessageStatus)."""

    call_id: int
    status: str
    classname: str
    body: str | None
    error: str


class Stop(NamedTuple):
    """Run on_tear_down and end."""


# -- up the pipe --------------------------------------------------------------------------------
class Log(NamedTuple):
    """A line of the component's log, with the ids of the message being served."""

    type: str
    text: str
    session_id: int | None = None
    message_id: int | None = None
    source_class: str = ""
    source_method: str = ""


class Call(NamedTuple):
    """The component sends a message to another item (``parent_id``: the message it is serving)."""

    call_id: int
    target: str
    classname: str
    body: str
    wants_reply: bool
    session_id: int | None
    parent_id: int | None


class Abandon(NamedTuple):
    """The component stopped waiting for call ``call_id`` (its timeout passed)."""

    call_id: int


class Done(NamedTuple):
    """A message completed; its response body's ``size`` bytes follow on the pipe (None: no response)."""

    message_id: int
    classname: str
    size: int | None


class Fail(NamedTuple):
    """A message failed; ``refused``: the component refused it as invalid (a ValueError)."""

    message_id: int
    error: str
    refused: bool


class Ready(NamedTuple):
    """on_init succeeded; the component's batching (see :func:`iophost.worker.component.batching`)."""

    pid: int
    batch_size: int
    batch_wait: float


class InitError(NamedTuple):
    error: str


class Stopped(NamedTuple):
    """on_tear_down has run; the process ends."""


#: Each kind of message by its number on the pipe (append only: both ends run the same code).
KINDS: tuple[type, ...] = (Deliver, DeliverBatch, Reply, Stop, Log, Call, Abandon, Done, Fail, Ready, InitError,
                           Stopped)
_NUMBER = {kind: number for number, kind in enumerate(KINDS)}
_new = tuple.__new__


# -- framing ------------------------------------------------------------------------------------
def send(conn: Connection, message: tuple) -> None:
    """Send ``message`` (one of this module's types) down ``conn``."""
    conn.send((_NUMBER[type(message)], *message))


def receive(conn: Connection) -> Any:
    """The next message from ``conn``, as its own type.

    Raises:
        EOFError: the other end closed its pipe.
    """
    sent = conn.recv()
    return _new(KINDS[sent[0]], sent[1:])


def write_body(conn: Connection, body: bytes) -> None:
    """Write ``body`` raw on ``conn``, right after the message that gave its length."""
    view = memoryview(body)
    while view:
        view = view[os.write(conn.fileno(), view):]


def read_body(conn: Connection, size: int) -> bytearray:
    """The ``size`` raw bytes that follow the message just received from ``conn``.

    Raises:
        EOFError: the other end closed its pipe before the whole body arrived.
    """
    buffer = bytearray(size)
    view, done = memoryview(buffer), 0
    while done < size:
        read = os.readv(conn.fileno(), [view[done:]])
        if not read:
            raise EOFError(f"the pipe closed after {done} of {size} bytes of a body")
        done += read
    return buffer


def widen(conn: Any) -> None:
    """Let a whole large body sit in the pipe's socket buffer: with the default (about 200 KB) a
    large answer crossed in a handful of round trips, each waiting for the other process to be
    scheduled (docs/serving.md#how-it-got-here)."""
    with socket.socket(fileno=os.dup(conn.fileno())) as end:
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            end.setsockopt(socket.SOL_SOCKET, option, PIPE_BUFFER)
