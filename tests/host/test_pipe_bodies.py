"""A response body written raw after its pipe message (iophost.pipe_bodies), as the worker and the
host's reader thread use it."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from iophost.pipe_bodies import read_body, write_body
from iophost.workers import PIPE_BUFFER, _widen


def test_a_body_larger_than_the_pipe_buffer_arrives_whole_between_its_message_and_the_next():
    parent, child = multiprocessing.Pipe()
    _widen(parent)
    body = os.urandom(PIPE_BUFFER + 123_457)  # more than the buffer holds: written in several goes

    def worker() -> None:
        child.send(("done", 7, "msg.X", len(body)))
        write_body(child, body)
        child.send(("log", "after"))

    writer = threading.Thread(target=worker)
    writer.start()
    assert parent.recv() == ("done", 7, "msg.X", len(body))
    assert read_body(parent, len(body)) == body
    assert parent.recv() == ("log", "after"), "the next message is read from where the body ended"
    writer.join()


def test_a_pipe_closed_mid_body_is_an_eof_naming_how_much_arrived():
    parent, child = multiprocessing.Pipe()
    child.send(("done", 7, "msg.X", 1000))
    write_body(child, b"x" * 400)
    child.close()  # the worker died while writing
    assert parent.recv()[3] == 1000
    with pytest.raises(EOFError, match="400 of 1000 bytes"):
        read_body(parent, 1000)
