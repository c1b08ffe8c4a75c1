"""The collector's Prometheus metrics, on a registry owned by one app.

Owns: the counters and gauges and their names. A per-app CollectorRegistry
(not prometheus-client's global one) lets several apps live in one process,
as they do in tests. Does not own: the /metrics route (api/routes/health.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

# Why an ingest request was refused, by HTTP status: a small, fixed label set.
REJECT_REASONS = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 409: "conflict",
    413: "too_large", 415: "unsupported_encoding", 422: "invalid",
}


@dataclass(slots=True)
class CollectorMetrics:
    """Every metric the collector exposes."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    batches: Counter = field(init=False)
    stored: Counter = field(init=False)
    duplicates: Counter = field(init=False)
    rejected: Counter = field(init=False)
    sensors: Gauge = field(init=False)

    def __post_init__(self) -> None:
        reg = self.registry
        self.batches = Counter("yamori_collector_ingest_batches",
                               "Alert batches accepted", registry=reg)
        self.stored = Counter("yamori_collector_alerts_stored",
                              "Alerts stored (new alert_id)", registry=reg)
        self.duplicates = Counter("yamori_collector_alerts_duplicate",
                                  "Alerts received again (alert_id already stored)", registry=reg)
        self.rejected = Counter("yamori_collector_ingest_rejected",
                                "Ingest requests refused, by reason", ["reason"], registry=reg)
        self.sensors = Gauge("yamori_collector_sensors", "Enrolled sensors", registry=reg)
        for reason in REJECT_REASONS.values():
            self.rejected.labels(reason=reason)

    def reject(self, status: int) -> None:
        """Count a refused ingest request under its reason."""
        self.rejected.labels(reason=REJECT_REASONS.get(status, "other")).inc()

    def exposition(self) -> bytes:
        """The text exposition format of this registry."""
        return generate_latest(self.registry)
