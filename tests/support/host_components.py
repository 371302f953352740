"""Trivial components and messages for the host's tests and benchmark (no ML)."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

from iop import (
    BusinessOperation,
    BusinessProcess,
    BusinessService,
    InboundAdapter,
    Message,
    PollingBusinessService,
    target,
)


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
    """Answers ``<greeting> <text>`` (greeting "echo" when left empty); sleeps ``delay`` seconds
    first; logs each call."""

    # Empty: on IRIS a non-empty declared default would override the item's %settings line.
    greeting: str = ""
    teardown_file: str = ""  # on_tear_down appends the worker's pid to it (tests of stopping)

    def on_tear_down(self) -> None:
        if self.teardown_file:
            with open(self.teardown_file, "a") as file:
                file.write(f"{os.getpid()}\n")

    def on_echo_request(self, request: EchoRequest) -> EchoResponse:
        if request.delay:
            time.sleep(request.delay)
        # Undeclared (IoP keeps it as an attribute): a file path; answer only once it exists, so a
        # test releases the message when it chooses.
        wait_for, deadline = getattr(request, "wait_for", ""), time.monotonic() + 60
        while wait_for and not os.path.exists(wait_for):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{wait_for} was not created")
            time.sleep(0.01)
        self.log_info(f"echoing {request.text!r}")
        if request.text == "fail":
            raise RuntimeError("asked to fail")
        if request.text.startswith("env:"):  # the worker process's environment variable of that name
            return EchoResponse(text=os.environ.get(request.text[4:], ""), pid=os.getpid())
        return EchoResponse(text=f"{self.greeting or 'echo'} {request.text}", pid=os.getpid())


class QuietEchoOperation(BusinessOperation):
    """An echo that does not log: what the benchmark measures is the host's own cost."""

    def on_echo_request(self, request: EchoRequest) -> EchoResponse:
        return EchoResponse(text=request.text, pid=0)


class BrokenOperation(BusinessOperation):
    """Its on_init always fails."""

    def on_init(self) -> None:
        raise RuntimeError("model folder /nowhere does not exist")


@dataclass
class RouteRequest(Message):
    """``mode``: sync, async, multi, asyncio, reply, timer, forward (the same request on to Output),
    pause (forward after a short pause, so that two items can both be busy first), timeout, generator."""

    text: str = ""
    mode: str = "sync"


class RouterProcess(BusinessProcess):
    """Routes to its ``Output`` item in the way ``mode`` asks; answers an EchoResponse."""

    Output = target()

    def on_route_request(self, request: RouteRequest) -> EchoResponse | None:
        self.log_info(f"routing {request.text!r} ({request.mode})")
        if request.mode in ("forward", "pause"):
            time.sleep(0.3 if request.mode == "pause" else 0)
            return self.send_request_sync(self.Output, request)
        if request.mode == "timeout":
            return self.send_request_sync(self.Output, EchoRequest(text=request.text, delay=5), timeout=1)
        if request.mode == "generator":
            return self.send_generator_request(self.Output, EchoRequest(text=request.text))
        if request.mode == "multi":
            answers = self.send_multi_request_sync([(self.Output, EchoRequest(text=f"{request.text}{n}"))
                                                    for n in (1, 2)])
            return EchoResponse(text=" | ".join(response.text for _, _, response, _ in answers))
        if request.mode == "async":
            for key in ("a", "b"):
                self.send_request_async(self.Output, EchoRequest(text=f"{request.text}-{key}"), completion_key=key)
            return None
        if request.mode == "timer":  # the answer would come after the timer: on_response gets None
            self.set_timer(1, completion_key="timer")
            self.send_request_async(self.Output, EchoRequest(text=request.text, delay=2), completion_key="slow")
            return None
        if request.mode == "asyncio":
            return EchoResponse(text=asyncio.run(self._both(request.text)))
        if request.mode == "reply":
            self.reply(EchoResponse(text=f"replied {request.text}"))
            return None
        answer = self.send_request_sync(self.Output, EchoRequest(text=request.text))
        return EchoResponse(text=f"routed {answer.text}")

    async def _both(self, text: str) -> str:
        answers = await asyncio.gather(*(self.send_request_async_ng(self.Output, EchoRequest(text=f"{text}{n}"))
                                         for n in (1, 2)))
        return " & ".join(answer.text for answer in answers)

    def on_response(self, request, response, call_request, call_response, completion_key):
        done = f"{response.text} " if response is not None else ""
        answer = call_response.text if call_response is not None else "no answer"
        return EchoResponse(text=f"{done}{completion_key}={answer}")

    def on_complete(self, request, response):
        return EchoResponse(text=f"complete: {response.text}")


class TickService(PollingBusinessService):
    """Each poll sends ``tick`` to Output (a new session each time)."""

    Output = target()

    def on_poll(self) -> None:
        self.send_request_async(self.Output, RouteRequest(text="tick"))


class FrontService(BusinessService):
    """A service without adapter: what it is given (by Test) goes on to Output, and its answer back.
    With ``hello_target`` set, its on_init already sends a request there."""

    Output = target()
    hello_target: str = ""

    def on_init(self) -> None:
        if self.hello_target:
            answer = self.send_request_sync(self.hello_target, EchoRequest(text="from on_init"))
            self.log_info(f"on_init got {answer.text!r}")

    def on_process_input(self, message_input=None):
        return self.send_request_sync(self.Output, message_input)


class TickAdapter(InboundAdapter):
    """A Python inbound adapter: each CallInterval its on_task hands ``adapter tick`` to the service."""

    def on_task(self) -> None:
        self.BusinessHost.ProcessInput(RouteRequest(text="adapter tick"))


class AdapterService(BusinessService):
    Output = target()

    @staticmethod
    def get_adapter_type() -> str:
        return "Python.TickAdapter"

    def on_process_input(self, message_input=None):
        return self.send_request_async(self.Output, message_input)


class QuietForwardProcess(BusinessProcess):
    """Hands each request on to Output and returns its answer, without logging (one process hop, measured)."""

    Output = target()

    def on_echo_request(self, request: EchoRequest) -> EchoResponse:
        return self.send_request_sync(self.Output, request)


class RelayOperation(BusinessOperation):
    """An operation that calls another item itself: asks Output, answers with what it said."""

    Output = target()

    def on_route_request(self, request: RouteRequest) -> EchoResponse:
        answer = self.send_request_sync(self.Output, EchoRequest(text=request.text))
        return EchoResponse(text=f"relayed {answer.text}")


class SlowStartOperation(EchoOperation):
    """An echo whose on_init lasts until the file named by its ``start_when`` setting exists: a
    model load the test ends when it chooses."""

    start_when: str = ""

    def on_init(self) -> None:
        deadline = time.monotonic() + 120
        while self.start_when and not os.path.exists(self.start_when):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.start_when} was not created")
            time.sleep(0.05)


class BatchEchoOperation(QuietEchoOperation):
    """Takes its messages in batches of 3 and waits as long as it takes for a batch to fill."""

    batch_size = 3
    batch_wait_ms = 600_000

    def on_message_batch(self, messages: list[EchoRequest]) -> list[EchoResponse]:
        return [EchoResponse(text=message.text) for message in messages]
