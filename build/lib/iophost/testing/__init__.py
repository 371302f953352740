"""Test an IoP production on the local host, in plain pytest (the pytest plugin is :mod:`pytest_iophost`).

    from iophost.testing import RunningProduction

    with RunningProduction(Path("settings.py"), tmp_path).start() as production:
        answer = production.send("My operation", MyRequest(text="hi"))

See docs/testing.md.
"""

from .fakes import Fake, FakeFailure, RecordingFake
from .host_process import PASSWORD, HostProcess, free_port, wait_for
from .in_process import InProcessItem
from .overrides import ItemChange
from .production import Hop, LogEntry, MessageFailed, ProductionStartError, RunningProduction, Session

__all__ = ["PASSWORD", "Fake", "FakeFailure", "Hop", "HostProcess", "InProcessItem", "ItemChange", "LogEntry",
           "MessageFailed", "ProductionStartError", "RecordingFake", "RunningProduction", "Session", "free_port",
           "wait_for"]
