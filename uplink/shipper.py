"""Moves alerts from the local queue to the collector: lease -> send -> ack, in order.

Owns delivery policy: batches are leased oldest first and acknowledged
(deleted) only after a 2xx, so delivery is at-least-once and order within the
sensor's stream is kept; the collector dedups on alert_id. A batch the
collector refuses for its content (400/413/422) is bisected until the
refused records are isolated; each is moved to the queue's poison table and
counted, and the rest are delivered. A refusal of the sensor itself (401,
403, 404 …) never poisons anything: it is logged and retried with backoff.
Failures back off exponentially with full jitter (backoff.py), honouring
Retry-After. State changes are logged once, not every retry. Records travel
as the JSON text they were queued as (validated against AlertRecord, never
re-dumped), and while the queue is deep (a backlog after an outage) batches
grow `backlog_factor` times, to cut the per-batch cost of a round trip and
two commits. In `run`, while a full batch waits behind the one on the wire,
the next is leased and validated meanwhile (the POST runs in a one-thread
sender), so the collector is not idle while the agent prepares; sends stay
strictly one at a time, in order, and a prepared batch is dropped (its
rows stay queued) whenever the one before it fails.

It does not encode HTTP (client.py) or store anything (agent/buffer). One
Shipper is driven by one thread at a time (`run` in the shipper thread, or
`drain` once that thread has stopped).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial

from pydantic import ValidationError

from agent.buffer.store import AlertQueue, QueuedAlert
from uplink.backoff import full_jitter
from uplink.client import UplinkClient, batch_body
from uplink.ids import new_alert_id
from uplink.schema import AgentCounters, AlertRecord
from yamori.errors import QueueError, UplinkError, UplinkRejected

log = logging.getLogger(__name__)

# Refusals that are about the batch's content, so splitting it can help.
CONTENT_REFUSALS = frozenset({400, 413, 422})
# Backlog batches stay under the collector's default 5 MiB body limit.
BACKLOG_BYTES_CAP = 4_000_000

_Item = tuple[QueuedAlert, str]  # the queued alert and its wire JSON text


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
        backlog_factor: int = 4,
        pipeline: bool = True,
    ) -> None:
        self.queue = queue
        self.client = client
        self.sensor_id = sensor_id
        self.max_batch = max_batch
        self.max_batch_bytes = max_batch_bytes
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.poll_interval = poll_interval
        self.backlog_factor = max(1, backlog_factor)
        self.pipeline = pipeline  # run(): prepare the next batch while one is on the wire
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._work = threading.Event()
        self._state = "unknown"
        self.failures = 0  # consecutive failed attempts; 0 while the uplink is up
        self.sent_total = 0  # alerts sent in 2xx-answered batches by this process
        self._unacked_sends = 0  # alerts put on the wire since the last ack (persisted then)
        self._sender: ThreadPoolExecutor | None = None  # set while `run` runs
        self._ahead: tuple[list[QueuedAlert], list[_Item]] | None = None  # the next batch

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
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="uplink-send") as sender:
            self._sender = sender if self.pipeline else None
            try:
                self._run(stop)
            finally:
                self._sender = None
                self._ahead = None  # its rows stay queued: the next lease starts over

    def _run(self, stop: threading.Event) -> None:
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
        ahead, self._ahead = self._ahead, None
        leased, items = ahead if ahead is not None else self._take(0)
        if not leased:
            return 0, 0
        meanwhile = None
        if self._sender is not None and self.queue.depth() - len(leased) >= self.max_batch:
            meanwhile = partial(self._prepare_next, leased[-1].seq)
        try:
            acked = self._deliver(items, meanwhile)
        except UplinkError as exc:
            self._ahead = None  # the failed batch goes first again
            self._record_failure(exc)
            raise
        if items:  # all-invalid batches never reached the network: no news about it
            self._record_success()
        return len(leased), acked

    def _take(self, after_seq: int) -> tuple[list[QueuedAlert], list[_Item]]:
        leased = self.queue.lease(*self._batch_limits(), after_seq=after_seq)
        return leased, self._valid(leased)

    def _prepare_next(self, after_seq: int) -> None:
        try:
            self._ahead = self._take(after_seq)
        except QueueError:
            log.warning("could not prepare the next batch; it will be leased later",
                        exc_info=True)

    def _batch_limits(self) -> tuple[int, int]:
        """(records, bytes) for the next lease: larger while a backlog is queued."""
        big = self.max_batch * self.backlog_factor
        if self.backlog_factor == 1 or self.queue.depth() < big:
            return self.max_batch, self.max_batch_bytes
        cap = max(self.max_batch_bytes, BACKLOG_BYTES_CAP)
        return big, min(self.max_batch_bytes * self.backlog_factor, cap)

    def _valid(self, leased: list[QueuedAlert]) -> list[_Item]:
        """Wire texts for `leased`; records that fail the wire schema are poisoned here."""
        items: list[_Item] = []
        for queued in leased:
            try:
                # From the text: a queue row that is not even JSON is poisoned, not fatal.
                model = AlertRecord.model_validate_json(queued.text)
            except ValidationError as exc:
                first = exc.errors()[0]
                self._poison(queued, f"invalid record: {first['loc']}: {first['msg']}")
                continue
            items.append((queued, self._wire_text(queued.text, model)))
        return items

    def _wire_text(self, text: str, model: AlertRecord) -> str:
        """`text` with this sensor's id added when the record carries none."""
        if "sensor_id" in model.model_fields_set:
            return text
        # A valid record is a JSON object, so its text starts with '{'.
        return '{"sensor_id":' + json.dumps(self.sensor_id) + "," + text.lstrip()[1:]

    def _deliver(self, items: list[_Item], meanwhile: Callable[[], None] | None = None) -> int:
        """Send `items` (calling `meanwhile` while they are on the wire) and ack them."""
        if not items:
            return 0
        # Counted before the attempt: a batch cut off mid-answer was still sent.
        self._unacked_sends += len(items)
        body = self._body([text for _, text in items])
        try:
            if meanwhile is None or self._sender is None:
                result = self.client.send_body(body)
            else:
                future = self._sender.submit(self.client.send_body, body)
                meanwhile()
                result = future.result()
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

    def _body(self, records: list[str]) -> bytes:
        sent_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        return batch_body(new_alert_id(), self.sensor_id, sent_at, records, self._counters())

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
