"""A response body beside its pipe message: written raw after it, read straight into one buffer.

``Connection.send`` pickles a message, which copies a 1 MB body twice over (0.5 ms), and
``Connection.recv`` reads it through ``os.read`` and a ``BytesIO`` (0.3-1 ms more); a body whose
length travels in the (small, pickled) message is written as it is and read once, in 0.2 ms.
The writer sends the message and its body under one lock, so nothing comes between them.
"""

from __future__ import annotations

import os
from multiprocessing.connection import Connection


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
