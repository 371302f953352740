"""Test an IoP production on the local host, in plain pytest (the pytest plugin is :mod:`pytest_iophost`).

    from iophost.testing import RunningProduction

    with RunningProduction(Path("settings.py"), tmp_path).start() as production:
        answer = production.send("My operation", MyRequest(text="hi"))

See docs/testing.md. The names below are imported when first used: the host process (which runs
:mod:`.overrides`) and a fake's worker (:mod:`.fakes`) import only what they need.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    ".fakes": ("Fake", "FakeFailure", "RecordingFake"),
    ".host_process": ("PASSWORD", "HostProcess", "free_port", "wait_for"),
    ".in_process": ("InProcessItem",),
    ".overrides": ("ItemChange",),
    ".production": ("Hop", "LogEntry", "MessageFailed", "ProductionStartError", "RunningProduction", "Session"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> Any:
    if name not in _HOME_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME_OF[name], __name__), name)
