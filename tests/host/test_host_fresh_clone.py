"""The project's own production on a fresh clone, offline: ``iophost start`` comes up with the
seed's choice (only ``HuggingFace API`` enabled) and no item in error."""

from __future__ import annotations

from support.checkout import ROOT


def test_a_fresh_clone_starts_offline_with_every_item_running_or_disabled(iop_start):
    status = iop_start(ROOT / "src" / "python" / "settings.py").status()  # an item in error fails the start
    items = status["items"]
    assert status["status"] == "running"
    assert items.pop("HuggingFace API") == "running"
    assert set(items.values()) == {"disabled"}, items
    assert len(items) == 6
