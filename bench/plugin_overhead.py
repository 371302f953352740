"""What the pytest plugin costs a test: a one-item production started from its settings.py (a fresh
host in a subprocess, its data folder, the item's worker) and one message sent and answered, typed.

    .venv/bin/python bench/plugin_overhead.py [--runs 5]

Each run also starts the same production bare (``HostProcess``: ``iophost start`` and one ``POST
/api/iop/test``, no generated settings file, no typed answer), alternating, so that the plugin's own
share is seen apart from the host's start under the same load. Prints each run and the medians
(docs/testing.md quotes them).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.checkout import use_checkout  # noqa: E402

use_checkout()

from iophost.testing import HostProcess, RunningProduction  # noqa: E402
from support.host_components import EchoRequest, EchoResponse  # noqa: E402
from support.host_settings import write_settings  # noqa: E402

ECHO = 'production.operation("Echo", EchoOperation)\n'


def one_run(folder: Path) -> tuple[float, float]:
    """Seconds to start the production through the plugin and get the first answer, and to stop it."""
    settings = write_settings(folder / "app", ECHO)
    began = time.perf_counter()
    production = RunningProduction(settings, folder / "run").start()
    answer = production.send("Echo", EchoRequest(text="hi"))
    started = time.perf_counter()
    production.stop()
    assert isinstance(answer, EchoResponse) and answer.text == "echo hi", answer
    return started - began, time.perf_counter() - started


def bare_run(folder: Path) -> float:
    """Seconds to start the same production with ``iophost start`` alone and get the first answer."""
    settings = write_settings(folder / "app", ECHO)
    began = time.perf_counter()
    host = HostProcess(settings, folder / "var").start()
    answer = host.http.post("/test", json={"target": "Echo", "classname": "support.host_components.EchoRequest",
                                           "body": {"text": "hi"}})
    started = time.perf_counter()
    host.stop()
    assert answer.status_code == 200, answer.text
    return started - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    starts, stops, bare = [], [], []
    with tempfile.TemporaryDirectory() as temporary:
        for run in range(args.runs):
            bare.append(bare_run(Path(temporary) / f"bare{run}"))
            start, stop = one_run(Path(temporary) / str(run))
            starts.append(start)
            stops.append(stop)
            print(f"run {run + 1}: plugin: start + one message {start:.2f} s, stop {stop:.2f} s; "
                  f"bare iophost start + one message {bare[-1]:.2f} s", flush=True)
    print(f"median of {args.runs}: plugin: start + one message {statistics.median(starts):.2f} s "
          f"(max {max(starts):.2f} s), stop {statistics.median(stops):.2f} s; bare host: "
          f"{statistics.median(bare):.2f} s; the plugin's share: "
          f"{statistics.median(starts) - statistics.median(bare):+.2f} s")


if __name__ == "__main__":
    main()
