"""The pipe between host and worker (iophost.worker.pipe): its named messages survive the trip as
themselves, and a response body written raw after its message arrives whole, as the worker and the
host's reader thread use it."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from iophost.worker.pipe import (
    PIPE_BUFFER,
    Call,
    Deliver,
    DeliverBatch,
    Done,
    Log,
    Reply,
    Stop,
    read_body,
    receive,
    send,
    widen,
    write_body,
)


def test_a_body_larger_than_the_pipe_buffer_arrives_whole_between_its_message_and_the_next():
    parent, child = multiprocessing.Pipe()
    widen(parent)
    body = os.urandom(PIPE_BUFFER + 123_457)  # more than the buffer holds: written in several goes

    def worker() -> None:
        child.send(Done(7, "msg.X", len(body)))
        write_body(child, body)
        child.send(Log("Info", "after"))

    writer = threading.Thread(target=worker)
    writer.start()
    assert parent.recv() == Done(7, "msg.X", len(body))
    assert read_body(parent, len(body)) == body
    assert parent.recv() == Log("Info", "after"), "the next message is read from where the body ended"
    writer.join()


def test_a_pipe_closed_mid_body_is_an_eof_naming_how_much_arrived():
    parent, child = multiprocessing.Pipe()
    child.send(Done(7, "msg.X", 1000))
    write_body(child, b"x" * 400)
    child.close()  # the worker died while writing
    assert parent.recv().size == 1000
    with pytest.raises(EOFError, match="400 of 1000 bytes"):
        read_body(parent, 1000)


@pytest.mark.parametrize("message", [
    Deliver(1, 1, "msg.X", "{}"), DeliverBatch([Deliver(1, 1, "msg.X", "{}"), Deliver(2, 1, "msg.X", "{}")]),
    Call(3, "Echo", "msg.X", "{}", True, 1, 2), Reply(3, "Completed", "msg.Y", '{"a": 1}', ""),
    Log("Error", "boom", 1, 2), Done(7, "msg.X", None), Stop()])
def test_a_pipe_message_arrives_as_its_own_type(message: tuple) -> None:
    parent, child = multiprocessing.Pipe()
    send(child, message)
    received = receive(parent)
    assert type(received) is type(message) and received == message
    assert received._fields == message._fields
