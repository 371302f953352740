"""The host's Prometheus metrics, read from the host at scrape time (``prometheus_client``'s
custom collector: nothing is updated on the message path but :class:`~.activity.Activity`).

IRIS's own names and labels where IRIS has the notion (``iris_interop_*``, as IRIS reports them
once interoperability metrics are on for a namespace), so one dashboard reads both runtimes;
``iophost_*`` for what IRIS does not report. docs/monitoring.md lists them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from ..statuses import ItemState
from .activity import BATCH_BUCKETS, LATENCY_BUCKETS, SAMPLE_SECONDS, ItemCounters, recent, summed
from .watched import WatchedHost

PREFIX = "iophost"
#: IRIS's host status (Ens.Util.Statistics) for each state of an item of the local host.
IRIS_STATUS = {ItemState.RUNNING: "OK", ItemState.STARTING: "Inactive", ItemState.ERROR: "Error",
               ItemState.STOPPED: "Stopped", ItemState.DISABLED: "Disabled"}
#: IRIS's ``hosttype`` label for each kind of item (IRIS calls a business process an actor).
IRIS_HOSTTYPE = {"service": "service", "process": "actor", "operation": "operation"}
#: IRIS's ``messagetype`` when a host's messages have no type.
NO_TYPE = "-"


class HostCollector(Collector):
    """Every metric of one host, computed from its state and activity when scraped."""

    def __init__(self, host: WatchedHost, namespace: str) -> None:
        self.host, self.namespace = host, namespace

    def collect(self) -> Iterator[Metric]:
        production = self.host.production
        states = self.host.item_states()
        activity = self.host.activity.snapshot()
        now = self.host.activity.now()
        base = {"id": self.namespace, "production": production.name}
        kinds = {item.name: IRIS_HOSTTYPE.get(item.kind, item.kind) for item in production.items}
        idle = ItemCounters()
        items = {name: activity.get(name, idle) for name in states}
        yield from _iris_hosts(base, states)
        yield from _iris_per_host(base, items, self.host.backlog, now)
        yield from _iris_activity(base, kinds, items, now)
        yield from _own(base, states, items, self.host.backlog)


def _iris_hosts(base: dict[str, str], states: dict[str, str]) -> Iterator[Metric]:
    hosts = GaugeMetricFamily("iris_interop_hosts", "Number of hosts of the production with each status",
                              labels=["id", "production", "status"])
    counts: dict[str, int] = {}
    for state in states.values():
        status = IRIS_STATUS.get(state, state)
        counts[status] = counts.get(status, 0) + 1
    for status, count in sorted(counts.items()):
        hosts.add_metric([base["id"], base["production"], status], count)
    yield hosts


def _iris_per_host(base: dict[str, str], items: dict[str, ItemCounters], backlog: Callable[[str], int],
                   now: float) -> Iterator[Metric]:
    def gauge(name: str, documentation: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, documentation, labels=["id", "host", "production"])

    messages = gauge("iris_interop_messages", "Number of messages processed by the host since the local host started")
    per_sec = gauge("iris_interop_messages_per_sec",
                    f"Messages processed per second by the host over the last {SAMPLE_SECONDS} s")
    queued = gauge("iris_interop_queued", "Messages queued for the host")
    for name, counters in items.items():
        values = [base["id"], name, base["production"]]
        messages.add_metric(values, summed(counters.by_class.values()).count)
        per_sec.add_metric(values, summed(recent(counters, now, SAMPLE_SECONDS).values()).count / SAMPLE_SECONDS)
        queued.add_metric(values, backlog(name))
    yield from (messages, per_sec, queued)


def _iris_activity(base: dict[str, str], kinds: dict[str, str], items: dict[str, ItemCounters],
                   now: float) -> Iterator[Metric]:
    """IRIS's activity volume metrics, per host and message type, over the last sample interval."""
    def gauge(name: str, documentation: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, f"{documentation}, over the last {SAMPLE_SECONDS} s",
                                 labels=["id", "hosttype", "host", "production", "messagetype"])

    families = [gauge("iris_interop_avg_processing_time", "Average seconds the host took to process a message"),
                gauge("iris_interop_avg_queueing_time", "Average seconds a message waited in the host's queue"),
                gauge("iris_interop_sample_count", "Messages of the type the host processed"),
                gauge("iris_interop_sample_count_per_sec", "Messages of the type the host processed per second")]
    for name, counters in items.items():
        for classname, totals in sorted(recent(counters, now, SAMPLE_SECONDS).items()):
            values = [base["id"], kinds.get(name, ""), name, base["production"], classname or NO_TYPE]
            count, taken = totals.count, max(totals.processed, 1)
            for family, value in zip(families, (totals.processing_seconds / taken, totals.queueing_seconds / taken,
                                                count, count / SAMPLE_SECONDS), strict=True):
                family.add_metric(values, value)
    yield from families


def _own(base: dict[str, str], states: dict[str, str], items: dict[str, ItemCounters],
         backlog: Callable[[str], int]) -> Iterator[Metric]:
    """What IRIS does not report: states, latency histograms, in flight, restarts, batch sizes."""
    per_item, per_type = ["production", "host"], ["production", "host", "messagetype"]
    state = GaugeMetricFamily(f"{PREFIX}_item_state", "1 for the item's current state",
                              labels=[*per_item, "state"])
    ready = GaugeMetricFamily(f"{PREFIX}_item_ready", "1 when the item finished on_init and runs", labels=per_item)
    queued = GaugeMetricFamily(f"{PREFIX}_queued_messages", "Messages waiting for a worker of the item",
                               labels=per_item)
    in_flight = GaugeMetricFamily(f"{PREFIX}_in_flight_messages", "Messages a worker of the item is processing",
                                  labels=per_item)
    restarts = GaugeMetricFamily(f"{PREFIX}_worker_restarts",
                                 "Worker processes of the item restarted after they died, since the host started",
                                 labels=per_item)
    latency = HistogramMetricFamily(f"{PREFIX}_message_processing_seconds",
                                    "Seconds from a message's delivery to a worker to its outcome", labels=per_type)
    errored = GaugeMetricFamily(f"{PREFIX}_messages_errored",
                                "Messages of the type that ended in Error or Aborted, since the host started",
                                labels=per_type)
    queueing = GaugeMetricFamily(f"{PREFIX}_message_queueing_seconds",
                                 "Seconds messages waited for a worker in all, since the host started",
                                 labels=per_type)
    batches = HistogramMetricFamily(f"{PREFIX}_batch_size", "Messages handed to a worker together", labels=per_item)
    for name, counters in items.items():
        labels = [base["production"], name]
        state.add_metric(labels + [states[name]], 1)
        ready.add_metric(labels, 1 if states[name] == ItemState.RUNNING else 0)
        queued.add_metric(labels, backlog(name))
        in_flight.add_metric(labels, counters.in_flight)
        restarts.add_metric(labels, counters.restarts)
        for classname, totals in sorted(counters.by_class.items()):
            typed = labels + [classname or NO_TYPE]
            _histogram(latency, typed, totals.buckets, LATENCY_BUCKETS, totals.processing_seconds)
            errored.add_metric(typed, totals.errors)
            queueing.add_metric(typed, totals.queueing_seconds)
        if counters.batch_sum:
            _histogram(batches, labels, counters.batches, BATCH_BUCKETS, counters.batch_sum)
    yield from (state, ready, queued, in_flight, restarts, latency, errored, queueing, batches)


def _histogram(family: HistogramMetricFamily, labels: list[str], counts: list[int], bounds: tuple[float, ...],
               total: float) -> None:
    """One histogram of ``family`` from per-bucket (not cumulative) ``counts``."""
    cumulative, running = [], 0
    for bound, count in zip(bounds, counts, strict=True):
        running += count
        cumulative.append((_bound(bound), running))
    family.add_metric(labels, cumulative, total)


def _bound(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


def registry_for(host: WatchedHost, namespace: str) -> CollectorRegistry:
    """A registry of its own for ``host`` (never the process-wide default: tests run several hosts)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HostCollector(host, namespace))
    return registry
