"""What each item did with its messages: counts, latency histograms and recent windows.

Observed once per message, when it is delivered to a worker and when it ends (:class:`MessageWatch`);
read at scrape time by the metrics collector and by the portal's Monitor page, so both show the
same numbers. Kept per item name, not per worker pool: they survive an item's restart.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

#: Upper bounds (seconds) of the latency histograms: a cached echo takes a millisecond, a model's
#: answer tens to hundreds, a training minutes.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                   300.0, 1800.0, float("inf"))
#: Upper bounds of the batch-size histogram (messages handed to a worker together).
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, float("inf"))
#: Recent activity is kept in windows of this many seconds, for this many windows (ten minutes).
WINDOW_SECONDS = 10
WINDOWS_KEPT = 60
#: IRIS's activity metrics describe "the most recent sample interval": ours is the last minute.
SAMPLE_SECONDS = 60


def _bucket_counts(buckets: tuple[float, ...]) -> list[int]:
    return [0] * len(buckets)


@dataclass
class Totals:
    """Counts and sums of one item and message class, over some span of time."""

    completed: int = 0
    errors: int = 0
    processing_seconds: float = 0.0
    queueing_seconds: float = 0.0
    #: Messages whose processing time fell in each bucket of :data:`LATENCY_BUCKETS` (not cumulative).
    buckets: list[int] = field(default_factory=lambda: _bucket_counts(LATENCY_BUCKETS))

    @property
    def count(self) -> int:
        return self.completed + self.errors

    @property
    def processed(self) -> int:
        """Messages a worker took (the histogram's count): those aborted in the queue left out."""
        return sum(self.buckets)

    def add(self, ok: bool, processing: float, queueing: float, bucket: int | None) -> None:
        """One message's outcome; ``bucket`` None: it never reached a worker (aborted in the queue)."""
        if ok:
            self.completed += 1
        else:
            self.errors += 1
        if bucket is not None:
            self.processing_seconds += processing
            self.queueing_seconds += queueing
            self.buckets[bucket] += 1

    def merge(self, other: Totals) -> None:
        self.completed += other.completed
        self.errors += other.errors
        self.processing_seconds += other.processing_seconds
        self.queueing_seconds += other.queueing_seconds
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile of processing time, interpolated in its bucket as Prometheus's
        ``histogram_quantile`` does; None without messages."""
        total = sum(self.buckets)
        if not total:
            return None
        rank, seen = q * total, 0
        for index, count in enumerate(self.buckets):
            if seen + count >= rank and count:
                lower = LATENCY_BUCKETS[index - 1] if index else 0.0
                upper = LATENCY_BUCKETS[index]
                if upper == float("inf"):
                    return lower
                return lower + (upper - lower) * (rank - seen) / count
            seen += count
        return LATENCY_BUCKETS[-2]


@dataclass
class ItemCounters:
    """What one item's messages did since the host started, and per recent window."""

    delivered: int = 0
    finished: int = 0
    restarts: int = 0
    batches: list[int] = field(default_factory=lambda: _bucket_counts(BATCH_BUCKETS))
    batch_sum: int = 0
    #: Totals by message class, since the host started.
    by_class: dict[str, Totals] = field(default_factory=dict)
    #: Totals by window start (seconds since the epoch, a multiple of WINDOW_SECONDS) and message class.
    windows: dict[int, dict[str, Totals]] = field(default_factory=dict)

    @property
    def in_flight(self) -> int:
        return self.delivered - self.finished


class MessageWatch:
    """One message on its way through an item: when it was queued, delivered and ended."""

    __slots__ = ("_activity", "_item", "_classname", "_queued", "_delivered")

    def __init__(self, activity: Activity, item: str, classname: str) -> None:
        self._activity, self._item, self._classname = activity, item, classname
        self._queued = time.monotonic()
        self._delivered: float | None = None

    def delivered(self) -> None:
        first = self._delivered is None  # a message taken back from a dead worker is delivered again
        self._delivered = time.monotonic()
        if first:
            self._activity.delivered(self._item)

    def finished(self, ok: bool) -> None:
        ended = time.monotonic()
        delivered = self._delivered if self._delivered is not None else ended
        self._activity.finished(self._item, self._classname, ok, ended - delivered, delivered - self._queued,
                                self._delivered is not None)


class Activity:
    """The items' counters, updated by their messages' watches and read by whoever shows them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, ItemCounters] = {}

    def watch(self, item: str, classname: str) -> MessageWatch:
        """A watch for one message sent to ``item`` (call when it is queued)."""
        return MessageWatch(self, item, classname)

    def _counters(self, item: str) -> ItemCounters:
        counters = self._items.get(item)
        if counters is None:
            counters = self._items[item] = ItemCounters()
        return counters

    def delivered(self, item: str) -> None:
        with self._lock:
            self._counters(item).delivered += 1

    def finished(self, item: str, classname: str, ok: bool, processing: float, queueing: float,
                 was_delivered: bool) -> None:
        bucket = bisect_left(LATENCY_BUCKETS, processing) if was_delivered else None
        start = int(self._clock()) // WINDOW_SECONDS * WINDOW_SECONDS
        with self._lock:
            counters = self._counters(item)
            counters.finished += was_delivered
            totals = counters.by_class.get(classname)
            if totals is None:
                totals = counters.by_class[classname] = Totals()
            totals.add(ok, processing, queueing, bucket)
            window = counters.windows.get(start)
            if window is None:
                window = counters.windows[start] = {}
                for old in [s for s in counters.windows if s <= start - WINDOW_SECONDS * WINDOWS_KEPT]:
                    del counters.windows[old]
            recent = window.get(classname)
            if recent is None:
                recent = window[classname] = Totals()
            recent.add(ok, processing, queueing, bucket)

    def batch(self, item: str, size: int) -> None:
        """``size`` messages went to one of ``item``'s workers together."""
        with self._lock:
            counters = self._counters(item)
            counters.batches[bisect_left(BATCH_BUCKETS, size)] += 1
            counters.batch_sum += size

    def restarted(self, item: str) -> None:
        """A worker process of ``item`` died and is being started again."""
        with self._lock:
            self._counters(item).restarts += 1

    def snapshot(self) -> dict[str, ItemCounters]:
        """A consistent copy of every item's counters (windows older than ten minutes left out)."""
        oldest = int(self._clock()) // WINDOW_SECONDS * WINDOW_SECONDS - WINDOW_SECONDS * (WINDOWS_KEPT - 1)
        with self._lock:
            return {name: ItemCounters(
                delivered=c.delivered, finished=c.finished, restarts=c.restarts, batches=list(c.batches),
                batch_sum=c.batch_sum, by_class={k: _copy(t) for k, t in c.by_class.items()},
                windows={s: {k: _copy(t) for k, t in w.items()} for s, w in c.windows.items() if s >= oldest})
                for name, c in self._items.items()}

    def now(self) -> float:
        return self._clock()


def _copy(totals: Totals) -> Totals:
    return Totals(totals.completed, totals.errors, totals.processing_seconds, totals.queueing_seconds,
                  list(totals.buckets))


def summed(parts: Iterable[Totals]) -> Totals:
    """One :class:`Totals` of several (message classes, windows)."""
    total = Totals()
    for part in parts:
        total.merge(part)
    return total


def recent(counters: ItemCounters, now: float, seconds: int) -> dict[str, Totals]:
    """Totals by message class over the last ``seconds`` (whole windows, the current one included)."""
    since = int(now) // WINDOW_SECONDS * WINDOW_SECONDS - seconds + WINDOW_SECONDS
    by_class: dict[str, Totals] = {}
    for start, window in counters.windows.items():
        if start >= since:
            for classname, totals in window.items():
                by_class.setdefault(classname, Totals()).merge(totals)
    return by_class
