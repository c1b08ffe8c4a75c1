"""uplink.shipper: queue -> fake collector on 127.0.0.1, through outages and refusals."""

from __future__ import annotations

import logging
import random
import threading
import time

import pytest

from agent.buffer.store import AlertQueue
from uplink.client import UplinkClient
from uplink.ids import new_alert_id
from uplink.shipper import Shipper
from uplink.testing import make_alert
from yamori.errors import UplinkRejected, UplinkUnavailable


class FakeTime:
    """Injected clock + sleep: sleeping advances the clock, nothing really waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_shipper(queue, collector, fake_time, **kw) -> Shipper:
    client = UplinkClient(collector.url, "s3cret", timeout=5)
    return Shipper(queue, client, "pi-01", sleep=fake_time.sleep, clock=fake_time.clock,
                   rng=random.Random(0), **kw)


def fill(queue: AlertQueue, n: int, poison_at: tuple[int, ...] = ()) -> list[str]:
    ids = [new_alert_id() for _ in range(n)]
    queue.append([make_alert(a, sid=0 if i in poison_at else 2019401)
                  for i, a in enumerate(ids)])
    return ids


def test_drain_delivers_everything_in_order(queue, collector, fake_time) -> None:
    ids = fill(queue, 25)
    shipper = make_shipper(queue, collector, fake_time, max_batch=10)
    assert shipper.drain(timeout=10) is True
    assert collector.seen.alert_ids == ids
    assert len(collector.seen.batches) == 3
    assert queue.depth() == 0
    assert queue.counters()["acked"] == 25


def test_ship_once_returns_number_acked(queue, collector, fake_time) -> None:
    fill(queue, 3)
    assert make_shipper(queue, collector, fake_time).ship_once() == 3
    assert make_shipper(queue, collector, fake_time).ship_once() == 0


def test_records_get_the_sensor_id(queue, collector, fake_time) -> None:
    fill(queue, 1)
    make_shipper(queue, collector, fake_time).ship_once()
    batch = collector.seen.batches[0]
    assert batch["sensor_id"] == "pi-01"
    assert batch["alerts"][0]["sensor_id"] == "pi-01"


def test_batch_carries_fresh_uuid7_batch_id_and_counters(queue, collector, fake_time) -> None:
    fill(queue, 2)
    shipper = make_shipper(queue, collector, fake_time, max_batch=1)
    shipper.drain(timeout=10)
    first, second = collector.seen.batches
    assert first["batch_id"] != second["batch_id"]
    assert first["batch_id"][14] == "7"  # UUID version nibble
    assert first["counters"]["queued"] == 2
    assert second["counters"]["acknowledged"] == 1
    assert second["counters"]["appended"] == 2


def test_unavailable_leaves_batch_queued(queue, collector, fake_time) -> None:
    fill(queue, 4)
    collector.behaviour.fail_503 = 1
    with pytest.raises(UplinkUnavailable):
        make_shipper(queue, collector, fake_time).ship_once()
    assert queue.depth() == 4


def test_outage_then_recovery_delivers_each_alert_exactly_once(
    queue, collector, fake_time
) -> None:
    ids = fill(queue, 40)
    collector.behaviour.fail_503 = 3
    collector.behaviour.reset = 2
    shipper = make_shipper(queue, collector, fake_time, max_batch=7)
    assert shipper.drain(timeout=600) is True
    assert set(collector.seen.alert_ids) == set(ids)
    assert len(collector.seen.alert_ids) == len(ids)  # stored once each
    assert collector.seen.alert_ids == ids  # and in the sensor's order
    assert len(fake_time.sleeps) == 5


def test_retry_after_is_honoured_by_drain(queue, collector, fake_time) -> None:
    fill(queue, 2)
    collector.behaviour.throttle_429 = 1
    collector.behaviour.retry_after = "1"
    shipper = make_shipper(queue, collector, fake_time, backoff_base=0.01)
    assert shipper.drain(timeout=10) is True
    assert fake_time.sleeps and fake_time.sleeps[0] >= 1.0


def test_retry_after_is_honoured_by_run(queue, collector, fake_time) -> None:
    ids = fill(queue, 3)
    collector.behaviour.throttle_429 = 2
    stop = threading.Event()
    shipper = make_shipper(queue, collector, fake_time, backoff_base=0.01, poll_interval=0.01)

    def sleep(seconds: float) -> None:
        fake_time.sleep(seconds)
        if len(collector.seen.alert_ids) == len(ids):
            stop.set()

    shipper._sleep = sleep
    worker = threading.Thread(target=shipper.run, args=(stop,))
    worker.start()
    _wait_for(lambda: len(collector.seen.alert_ids) == 3)
    stop.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert fake_time.sleeps[:2] and all(s >= 1.0 for s in fake_time.sleeps[:2])


def test_backoff_grows_across_failures(queue, collector, fake_time) -> None:
    fill(queue, 1)
    collector.behaviour.fail_503 = 8
    shipper = make_shipper(queue, collector, fake_time, backoff_base=1.0, backoff_cap=30)
    assert shipper.drain(timeout=1000) is True
    assert max(fake_time.sleeps) > 1.0  # jitter bound doubled past the base
    assert all(s <= 30 for s in fake_time.sleeps)


def test_poison_records_are_isolated_and_the_rest_delivered(queue, collector, fake_time) -> None:
    ids = fill(queue, 20, poison_at=(3, 15))
    collector.behaviour.reject_sid0 = True
    shipper = make_shipper(queue, collector, fake_time)
    assert shipper.drain(timeout=10) is True
    good = [a for i, a in enumerate(ids) if i not in (3, 15)]
    assert collector.seen.alert_ids == good
    assert {p.alert_id for p in queue.poisoned()} == {ids[3], ids[15]}
    assert queue.counters()["poison"] == 2
    assert "422" in queue.poisoned()[0].reason


def test_single_rejected_record_is_moved_to_poison(queue, collector, fake_time) -> None:
    [bad] = fill(queue, 1, poison_at=(0,))
    collector.behaviour.reject_sid0 = True
    assert make_shipper(queue, collector, fake_time).ship_once() == 0
    assert queue.depth() == 0
    assert [p.alert_id for p in queue.poisoned()] == [bad]


def test_locally_invalid_record_is_poisoned_without_sending(queue, collector, fake_time) -> None:
    broken = make_alert(new_alert_id())
    del broken["src_ip"]
    queue.append([broken])
    ids = fill(queue, 2)
    assert make_shipper(queue, collector, fake_time).ship_once() == 2
    assert collector.seen.alert_ids == ids
    assert "src_ip" in queue.poisoned()[0].reason


def test_refused_sensor_never_poisons(queue, collector, fake_time) -> None:
    fill(queue, 5)
    collector.behaviour.token = "rotated"
    shipper = make_shipper(queue, collector, fake_time)
    with pytest.raises(UplinkRejected):
        shipper.ship_once()
    assert shipper.drain(timeout=10) is False
    assert queue.depth() == 5
    assert queue.counters()["poison"] == 0


def test_state_changes_are_logged_once(queue, collector, fake_time, caplog) -> None:
    fill(queue, 1)
    collector.behaviour.fail_503 = 6
    shipper = make_shipper(queue, collector, fake_time)
    with caplog.at_level(logging.INFO, logger="uplink.shipper"):
        assert shipper.drain(timeout=1000) is True
    levels = [r.levelname for r in caplog.records]
    assert levels == ["WARNING", "INFO"]
    assert "restored after 6" in caplog.records[1].getMessage()


def test_run_ships_new_work_when_notified(queue, collector) -> None:
    client = UplinkClient(collector.url, "s3cret", timeout=5)
    shipper = Shipper(queue, client, "pi-01", poll_interval=30)
    stop = threading.Event()
    worker = threading.Thread(target=shipper.run, args=(stop,))
    worker.start()
    try:
        time.sleep(0.1)  # let it find the queue empty and start waiting
        ids = fill(queue, 3)
        shipper.notify()
        _wait_for(lambda: collector.seen.alert_ids == ids)
    finally:
        stop.set()
        shipper.notify()
        worker.join(timeout=5)
    assert not worker.is_alive()


def test_run_stops_promptly_during_backoff(queue, collector) -> None:
    fill(queue, 1)
    collector.behaviour.fail_503 = 1000
    client = UplinkClient(collector.url, "s3cret", timeout=5)
    shipper = Shipper(queue, client, "pi-01", backoff_base=60, backoff_cap=60)
    shipper.failures = 10  # so the next delay is long
    stop = threading.Event()
    worker = threading.Thread(target=shipper.run, args=(stop,))
    worker.start()
    _wait_for(lambda: len(collector.seen.requests) >= 1)
    started = time.monotonic()
    stop.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert time.monotonic() - started < 2
    assert queue.depth() == 1


def _wait_for(cond, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
