"""Trivial components and messages for the host's tests and benchmark (no ML)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from iop import BusinessOperation, Message


@dataclass
class EchoRequest(Message):
    text: str = ""
    delay: float = 0.0
    api_key: str = ""


@dataclass
class EchoResponse(Message):
    text: str = ""
    pid: int = 0


class EchoOperation(BusinessOperation):
    """Answers ``<greeting> <text>``; sleeps ``delay`` seconds first; logs each call."""

    greeting: str = "echo"
    teardown_file: str = ""  # on_tear_down appends the worker's pid to it (tests of stopping)

    def on_tear_down(self) -> None:
        if self.teardown_file:
            with open(self.teardown_file, "a") as file:
                file.write(f"{os.getpid()}\n")

    def on_echo_request(self, request: EchoRequest) -> EchoResponse:
        if request.delay:
            time.sleep(request.delay)
        self.log_info(f"echoing {request.text!r}")
        if request.text == "fail":
            raise ValueError("asked to fail")
        return EchoResponse(text=f"{self.greeting} {request.text}", pid=os.getpid())


class QuietEchoOperation(BusinessOperation):
    """An echo that does not log: what the benchmark measures is the host's own cost."""

    def on_echo_request(self, request: EchoRequest) -> EchoResponse:
        return EchoResponse(text=request.text, pid=0)


class BrokenOperation(BusinessOperation):
    """Its on_init always fails."""

    def on_init(self) -> None:
        raise RuntimeError("model folder /nowhere does not exist")
