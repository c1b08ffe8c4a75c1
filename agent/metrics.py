"""The agent's Prometheus metrics: the queue's accounting, read at scrape time, over HTTP.

Owns the metric names for the store-and-forward path and the HTTP endpoint
that serves a registry (127.0.0.1 by default: the box's metrics are for the
local exporter or an SSH tunnel, not the office LAN). Values are read from
the queue's persistent counters on every scrape, so they survive restarts
and can never disagree with what is sent upstream (both come from
uplink.shipper.counters_snapshot). The registry is passed in; nothing here
is a module-level global. It does not count anything itself and does not
export pipeline or engine counters (their owners register their own
collectors on the same registry).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agent.buffer.store import AlertQueue
from uplink.shipper import Shipper, counters_snapshot
from yamori.errors import QueueError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9101
PREFIX = "yamori_agent_"

# (AgentCounters field, metric name without prefix and _total, help)
_COUNTERS = (
    ("appended", "alerts_queued", "Alerts committed to the local queue."),
    ("sent", "alerts_sent", "Alerts put on the wire to the collector, retries included."),
    ("acknowledged", "alerts_acknowledged", "Alerts the collector acknowledged (2xx)."),
    ("duplicates", "alerts_duplicates",
     "Acknowledged alerts the collector already had (a retried batch it had stored)."),
    ("evicted", "alerts_evicted", "Alerts evicted from the queue by the disk quota (lost)."),
    ("poison", "alerts_poison", "Alerts the collector refused individually (kept aside)."),
    ("corrupt", "queue_corrupt", "Unreadable queue files moved aside at start."),
)


class QueueCollector(Collector):
    """Reads the queue's counters (and the shipper's state, if given) at each scrape."""

    def __init__(self, queue: AlertQueue, shipper: Shipper | None = None) -> None:
        self.queue = queue
        self.shipper = shipper

    def collect(self) -> Iterator[Metric]:
        try:
            snap = counters_snapshot(self.queue)
        except QueueError as exc:
            # A scrape must not crash the exporter; the absent series is the signal.
            log.warning("metrics: alert queue unreadable: %s", exc)
            return
        for field, name, doc in _COUNTERS:
            yield CounterMetricFamily(PREFIX + name, doc, value=getattr(snap, field) or 0)
        yield GaugeMetricFamily(PREFIX + "queue_depth", "Alerts waiting to be delivered.",
                                value=snap.queued)
        yield GaugeMetricFamily(PREFIX + "queue_bytes",
                                "Bytes the waiting alerts occupy (charged against the quota).",
                                value=snap.queue_bytes or 0)
        if self.queue.max_bytes is not None:
            yield GaugeMetricFamily(PREFIX + "queue_max_bytes", "The queue's disk quota.",
                                    value=self.queue.max_bytes)
        yield GaugeMetricFamily(PREFIX + "queue_oldest_age_seconds",
                                "Age of the oldest waiting alert (0 when empty).",
                                value=snap.oldest_queued_age or 0.0)
        if self.shipper is not None:
            yield GaugeMetricFamily(PREFIX + "uplink_consecutive_failures",
                                    "Failed uplink attempts since the last success.",
                                    value=self.shipper.failures)


def register_queue_metrics(registry: CollectorRegistry, queue: AlertQueue,
                           shipper: Shipper | None = None) -> QueueCollector:
    """Register the store-and-forward metrics for `queue` on `registry`."""
    collector = QueueCollector(queue, shipper)
    registry.register(collector)
    return collector


@dataclass(slots=True)
class MetricsServer:
    """A running /metrics endpoint; `port` is the bound port (useful with port 0)."""

    server: WSGIServer
    thread: threading.Thread
    host: str
    port: int

    def close(self) -> None:
        """Stop serving and release the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_metrics_server(registry: CollectorRegistry, host: str = DEFAULT_HOST,
                         port: int = DEFAULT_PORT) -> MetricsServer:
    """Serve `registry` at http://host:port/metrics in a daemon thread."""
    server, thread = start_http_server(port, addr=host, registry=registry)
    bound = int(server.server_address[1])
    log.info("metrics on http://%s:%d/metrics", host, bound)
    return MetricsServer(server, thread, host, bound)
