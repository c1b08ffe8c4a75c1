"""uplink.shipper: what goes on the wire (queued text, sensor_id) and backlog batch sizes."""

from __future__ import annotations

import random
import sqlite3

from agent.buffer.store import AlertQueue
from uplink.client import UplinkClient
from uplink.ids import new_alert_id
from uplink.shipper import BACKLOG_BYTES_CAP, Shipper
from uplink.testing import FakeCollector, make_alert


def shipper_for(queue: AlertQueue, collector: FakeCollector, **kw: object) -> Shipper:
    client = UplinkClient(collector.url, "s3cret", timeout=5)
    return Shipper(queue, client, "pi-01", sleep=lambda _s: None, rng=random.Random(0),
                   **kw)  # type: ignore[arg-type]


def test_record_with_its_own_sensor_id_keeps_it(queue, collector) -> None:
    queue.append([make_alert(new_alert_id(), sensor_id="engine-said")])
    shipper_for(queue, collector).ship_once()
    assert collector.seen.batches[0]["alerts"][0]["sensor_id"] == "engine-said"


def test_extra_eve_fields_travel_unchanged(queue, collector) -> None:
    extra = {"http": {"hostname": "例え.jp", "status": 200}, "note": None}
    queue.append([make_alert(new_alert_id(), **extra)])
    shipper_for(queue, collector).ship_once()
    sent = collector.seen.batches[0]["alerts"][0]
    assert (sent["http"], sent["note"]) == (extra["http"], None)


def test_unparseable_queue_row_is_poisoned_not_fatal(queue, collector, tmp_path) -> None:
    good = new_alert_id()
    queue.append([make_alert("broken"), make_alert(good)])
    con = sqlite3.connect(tmp_path / "queue.db")
    with con:
        con.execute("UPDATE queue SET record = '{not json' WHERE alert_id = 'broken'")
    con.close()
    assert shipper_for(queue, collector).ship_once() == 1
    assert collector.seen.alert_ids == [good]
    assert [p.alert_id for p in queue.poisoned()] == ["broken"]


def test_batches_grow_while_a_backlog_is_queued(queue, collector) -> None:
    queue.append([make_alert(new_alert_id()) for _ in range(100)])
    shipper = shipper_for(queue, collector, max_batch=10, backlog_factor=4)
    assert shipper.drain(timeout=10)
    sizes = [len(b["alerts"]) for b in collector.seen.batches]
    # 100 queued >= 40: a 40; 60 >= 40: a 40; then 20 < 40 is normal-sized.
    assert sizes == [40, 40, 10, 10]


def test_backlog_factor_one_keeps_batches_fixed(queue, collector) -> None:
    queue.append([make_alert(new_alert_id()) for _ in range(30)])
    shipper = shipper_for(queue, collector, max_batch=10, backlog_factor=1)
    assert shipper.drain(timeout=10)
    assert [len(b["alerts"]) for b in collector.seen.batches] == [10, 10, 10]


def test_backlog_batch_bytes_stay_under_the_cap(queue, collector) -> None:
    shipper = shipper_for(queue, collector, max_batch=1, max_batch_bytes=3_000_000,
                          backlog_factor=4)
    queue.append([make_alert(new_alert_id()) for _ in range(4)])
    assert shipper._batch_limits() == (4, BACKLOG_BYTES_CAP)
