"""This checkout's code for tests, benchmarks and the processes they start: its folders on
``sys.path`` and on PYTHONPATH (worker processes fork from a forkserver whose preload, in
Python 3.11, ignores the parent's sys.path: without PYTHONPATH an installed copy of the packages
would run in the workers instead of this checkout's)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The import roots of the checkout: the IoP folder of settings.py, the packages, the tests' helpers.
PATHS = tuple(str(ROOT / folder) for folder in ("src/python", "src", "tests"))


def use_checkout() -> None:
    """Import this checkout's code here and in every process started from here."""
    for path in reversed(PATHS):
        if path not in sys.path:
            sys.path.insert(0, path)
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in PATHS]
    os.environ["PYTHONPATH"] = os.pathsep.join([*PATHS, *inherited])
