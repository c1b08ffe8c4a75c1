"""uplink.shipper run(): the next batch is prepared while one is on the wire, order and
exactly-once kept through failures (fake collector on 127.0.0.1)."""

from __future__ import annotations

import threading
import time
from typing import Any

from agent.buffer.store import AlertQueue
from uplink.client import UplinkClient
from uplink.ids import new_alert_id
from uplink.shipper import Shipper
from uplink.testing import FakeCollector, make_alert


def run_until_empty(shipper: Shipper, queue: AlertQueue, limit: float = 30) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=shipper.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + limit
    while queue.depth() and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(timeout=10)


def spy_leases(queue: AlertQueue) -> list[int]:
    calls: list[int] = []
    real = queue.lease

    def lease(max_records: int, max_bytes: int, after_seq: int = 0) -> Any:
        calls.append(after_seq)
        return real(max_records, max_bytes, after_seq)

    queue.lease = lease  # type: ignore[method-assign]
    return calls


def fault_on_request(collector: FakeCollector, client: UplinkClient, n: int) -> None:
    """Make request number n (1-based) fail with 503 and n+1 be reset."""
    real = client.send_body
    count = [0]

    def send_body(body: bytes) -> Any:
        count[0] += 1
        if count[0] == n:
            with collector.lock:
                collector.behaviour.fail_503, collector.behaviour.reset = 1, 1
        return real(body)

    client.send_body = send_body  # type: ignore[method-assign]


def make(queue: AlertQueue, collector: FakeCollector) -> tuple[Shipper, UplinkClient]:
    client = UplinkClient(collector.url, "s3cret", timeout=5)
    return Shipper(queue, client, "pi-01", max_batch=10, backoff_base=0.01, backoff_cap=0.05,
                   poll_interval=0.01, backlog_factor=1), client


def test_next_batch_is_leased_while_one_is_on_the_wire(queue, collector) -> None:
    ids = [new_alert_id() for _ in range(50)]
    queue.append([make_alert(a) for a in ids])
    leases = spy_leases(queue)
    shipper, _ = make(queue, collector)
    run_until_empty(shipper, queue)
    assert collector.seen.alert_ids == ids
    assert any(after > 0 for after in leases)


def test_failure_mid_backlog_keeps_order_and_stores_each_once(queue, collector) -> None:
    ids = [new_alert_id() for _ in range(120)]
    queue.append([make_alert(a) for a in ids])
    shipper, client = make(queue, collector)
    fault_on_request(collector, client, 4)
    run_until_empty(shipper, queue)
    assert collector.seen.alert_ids == ids
    assert collector.seen.duplicates == 0
    assert queue.depth() == 0
    assert queue.counters()["acked"] == 120


def test_poison_is_isolated_while_pipelining(queue, collector) -> None:
    ids = [new_alert_id() for _ in range(40)]
    queue.append([make_alert(a, sid=0 if i == 15 else 2019401) for i, a in enumerate(ids)])
    collector.behaviour.reject_sid0 = True
    shipper, _ = make(queue, collector)
    run_until_empty(shipper, queue)
    assert collector.seen.alert_ids == ids[:15] + ids[16:]
    assert [p.alert_id for p in queue.poisoned()] == [ids[15]]


def test_prepared_batch_is_dropped_when_run_stops(queue, collector) -> None:
    queue.append([make_alert(new_alert_id()) for _ in range(30)])
    shipper, _ = make(queue, collector)
    run_until_empty(shipper, queue)
    assert shipper._ahead is None
