"""The monitor's activity counts (issue 27): recent windows age out, quantiles are read from the
histogram's buckets as Prometheus's ``histogram_quantile`` reads them, and a message aborted in the
queue is an error but not a processing time."""

from __future__ import annotations

import pytest

from iophost.monitor.activity import Activity, recent, summed


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_recent_counts_age_out_after_ten_minutes_and_totals_stay():
    clock = Clock()
    activity = Activity(clock)
    activity.finished("Echo", "msg.A", True, 0.02, 0.0, True)
    clock.now += 5 * 60
    activity.finished("Echo", "msg.A", False, 0.02, 0.0, True)
    counters = activity.snapshot()["Echo"]
    assert summed(recent(counters, clock.now, 300).values()).errors == 1
    assert summed(recent(counters, clock.now, 600).values()).count == 2
    clock.now += 6 * 60
    counters = activity.snapshot()["Echo"]
    assert summed(recent(counters, clock.now, 600).values()).count == 1  # the first one is older than 10 min
    assert summed(counters.by_class.values()).count == 2


def test_quantiles_interpolate_within_the_histograms_buckets():
    activity = Activity(Clock())
    for seconds in [0.003] * 50 + [0.2] * 50:  # buckets (0.0025, 0.005] and (0.1, 0.25]
        activity.finished("Echo", "msg.A", True, seconds, 0.0, True)
    totals = activity.snapshot()["Echo"].by_class["msg.A"]
    assert totals.quantile(0.5) == pytest.approx(0.005)
    assert totals.quantile(0.99) == pytest.approx(0.1 + 0.15 * 49.0 / 50)


def test_a_message_aborted_in_the_queue_is_an_error_without_a_processing_time():
    activity = Activity(Clock())
    watch = activity.watch("Echo", "msg.A")
    watch.finished(False)
    counters = activity.snapshot()["Echo"]
    totals = counters.by_class["msg.A"]
    assert (totals.errors, totals.processed, counters.in_flight) == (1, 0, 0)
    assert totals.quantile(0.5) is None
