"""The project's own production on a fresh clone, offline: ``iophost start`` comes up with the
seed's choice (only ``HuggingFace API`` enabled) and no item in error."""

from __future__ import annotations

from pathlib import Path

from iophost.testing import HostProcess
from support.checkout import ROOT


def test_a_fresh_clone_starts_offline_with_every_item_running_or_disabled(tmp_path: Path):
    host = HostProcess(ROOT / "src" / "python" / "settings.py", tmp_path / "var").start()
    try:
        status = host.status()
    finally:
        host.stop()
    items = status["items"]
    assert status["status"] == "running"
    assert items.pop("HuggingFace API") == "running"
    assert set(items.values()) == {"disabled"}, items
    assert len(items) == 6
