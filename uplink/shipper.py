"""Moves alerts from the local queue to the collector: lease -> send -> ack, in order.

Owns delivery policy: batches are leased oldest first and acknowledged
(deleted) only after a 2xx, so delivery is at-least-once and order within the
sensor's stream is kept; the collector dedups on alert_id. A batch the
collector refuses for its content (400/413/422) is bisected until the
refused records are isolated; each is moved to the queue's poison table and
counted, and the rest are delivered. A refusal of the sensor itself (401,
403, 404 …) never poisons anything: it is logged and retried with backoff.
Failures back off exponentially with full jitter (backoff.py), honouring
Retry-After. State changes are logged once, not every retry.

It does not encode HTTP (client.py) or store anything (agent/buffer). One
Shipper is driven by one thread at a time (`run` in the shipper thread, or
`drain` once that thread has stopped).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import ValidationError

from agent.buffer.store import AlertQueue, QueuedAlert
from uplink.backoff import full_jitter
from uplink.client import UplinkClient
from uplink.ids import new_alert_id
from uplink.schema import SCHEMA_VERSION, AgentCounters, AlertBatch, AlertRecord
from yamori.errors import QueueError, UplinkError, UplinkRejected

log = logging.getLogger(__name__)

# Refusals that are about the batch's content, so splitting it can help.
CONTENT_REFUSALS = frozenset({400, 413, 422})

_Item = tuple[QueuedAlert, AlertRecord]


class Shipper:
    """Delivers an AlertQueue to a collector through an UplinkClient."""

    def __init__(
        self,
        queue: AlertQueue,
        client: UplinkClient,
        sensor_id: str,
        max_batch: int = 500,
        max_batch_bytes: int = 1_000_000,
        backoff_base: float = 0.5,
        backoff_cap: float = 60,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        *,
        poll_interval: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self.queue = queue
        self.client = client
        self.sensor_id = sensor_id
        self.max_batch = max_batch
        self.max_batch_bytes = max_batch_bytes
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._work = threading.Event()
        self._state = "unknown"
        self.failures = 0  # consecutive failed attempts; 0 while the uplink is up
        self.sent_total = 0  # alerts sent in 2xx-answered batches by this process
        self._unacked_sends = 0  # alerts put on the wire since the last ack (persisted then)

    def notify(self) -> None:
        """Tell a waiting `run` loop that new alerts were appended."""
        self._work.set()

    def ship_once(self) -> int:
        """Lease one batch, deliver it, ack what was accepted; return how many were acked.

        Raises UplinkUnavailable (batch left in place) or UplinkRejected for a
        refusal of the sensor itself; either way the failure is recorded for backoff.
        """
        return self._ship()[1]

    def next_delay(self, exc: UplinkError | None = None) -> float:
        """Seconds to wait after the current run of failures."""
        retry_after = getattr(exc, "retry_after", None)
        return full_jitter(self.failures, self.backoff_base, self.backoff_cap, self._rng,
                           retry_after)

    def run(self, stop: threading.Event) -> None:
        """Ship until `stop` is set: drain the queue, then wait for work or poll_interval."""
        while not stop.is_set():
            self._work.clear()
            try:
                leased, _ = self._ship()
            except UplinkError as exc:
                self._pause(self.next_delay(exc), stop)
                continue
            except QueueError:
                log.exception("alert queue failed; shipper retries in %.0fs", self.backoff_cap)
                self._pause(self.backoff_cap, stop)
                continue
            if leased == 0:
                self._work.wait(self.poll_interval)

    def drain(self, timeout: float) -> bool:
        """Ship everything now, retrying within `timeout` seconds; True when the queue is empty."""
        deadline = self._clock() + timeout
        while True:
            try:
                if self._ship()[0] == 0:
                    return True
            except UplinkRejected:
                return False  # the sensor itself is refused: waiting won't fix it
            except UplinkError as exc:
                delay = self.next_delay(exc)
                if self._clock() + delay >= deadline:
                    return False
                self._sleep(delay)
            if self._clock() >= deadline:
                return self.queue.depth() == 0

    # -- one batch -----------------------------------------------------------------------

    def _ship(self) -> tuple[int, int]:
        leased = self.queue.lease(self.max_batch, self.max_batch_bytes)
        if not leased:
            return 0, 0
        items = self._valid(leased)
        try:
            acked = self._deliver(items)
        except UplinkError as exc:
            self._record_failure(exc)
            raise
        if items:  # all-invalid batches never reached the network: no news about it
            self._record_success()
        return len(leased), acked

    def _valid(self, leased: list[QueuedAlert]) -> list[_Item]:
        """Wire records for `leased`; records that fail the wire schema are poisoned here."""
        items: list[_Item] = []
        for queued in leased:
            record = dict(queued.record)
            record.setdefault("sensor_id", self.sensor_id)
            try:
                items.append((queued, AlertRecord.model_validate(record)))
            except ValidationError as exc:
                first = exc.errors()[0]
                self._poison(queued, f"invalid record: {first['loc']}: {first['msg']}")
        return items

    def _deliver(self, items: list[_Item]) -> int:
        if not items:
            return 0
        # Counted before the attempt: a batch cut off mid-answer was still sent.
        self._unacked_sends += len(items)
        try:
            result = self.client.send(self._batch([record for _, record in items]))
        except UplinkRejected as exc:
            if exc.status not in CONTENT_REFUSALS:
                raise
            if len(items) == 1:
                self._poison(items[0][0], str(exc))
                return 0
            # Left half first: what is acked stays a prefix of what remains queued.
            mid = len(items) // 2
            return self._deliver(items[:mid]) + self._deliver(items[mid:])
        self.sent_total += len(items)
        if result.received != len(items):
            log.warning("collector received %d of %d alerts in batch %s",
                         result.received, len(items), result.batch_id)
        sent, self._unacked_sends = self._unacked_sends, 0
        return self.queue.ack([queued.seq for queued, _ in items], sent=sent,
                              duplicates=result.duplicates)

    def _batch(self, records: list[AlertRecord]) -> AlertBatch:
        return AlertBatch.model_validate({
            "schema": SCHEMA_VERSION,
            "batch_id": new_alert_id(),
            "sensor_id": self.sensor_id,
            "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "alerts": records,
            "counters": self._counters(),
        })

    def _counters(self) -> AgentCounters:
        return counters_snapshot(self.queue, unacked_sends=self._unacked_sends)

    def _poison(self, queued: QueuedAlert, reason: str) -> None:
        self.queue.move_to_poison([queued.seq], reason)
        log.warning("alert %s moved to poison: %s", queued.alert_id, reason)

    # -- state and waiting -------------------------------------------------------------

    def _record_success(self) -> None:
        if self._state in ("down", "refused"):
            log.info("uplink restored after %d failed attempts", self.failures)
        elif self._state == "unknown":
            log.debug("uplink up")
        self._state = "up"
        self.failures = 0

    def _record_failure(self, exc: UplinkError) -> None:
        self.failures += 1
        state = "refused" if isinstance(exc, UplinkRejected) else "down"
        if state == self._state:
            return
        self._state = state
        if state == "refused":
            log.error("collector refuses this sensor (%s); check its token and URL", exc)
        else:
            log.warning("uplink down (%s); alerts stay queued, retrying with backoff", exc)

    def _pause(self, delay: float, stop: threading.Event) -> None:
        # The real sleep is replaced by a wait on `stop` so shutdown is prompt;
        # an injected sleep (tests) is called as given.
        if self._sleep is time.sleep:
            stop.wait(delay)
        else:
            self._sleep(delay)


def counters_snapshot(queue: AlertQueue, unacked_sends: int = 0) -> AgentCounters:
    """The queue's accounting as sent upstream with each batch (and exported as metrics)."""
    totals = queue.counters()
    return AgentCounters(
        queued=queue.depth(), sent=totals["sent"] + unacked_sends,
        acknowledged=totals["acked"], evicted=totals["evicted"],
        appended=totals["appended"], duplicates=totals["duplicates"],
        poison=totals["poison"], corrupt=totals["corrupt"],
        queue_bytes=queue.queue_bytes(), oldest_queued_age=queue.oldest_age(),
    )
