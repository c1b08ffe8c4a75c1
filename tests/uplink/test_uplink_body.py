"""uplink.client.batch_body and send_body: records spliced as text into the AlertBatch envelope."""

from __future__ import annotations

import gzip
import json

from hypothesis import given
from hypothesis import strategies as st

from uplink.client import UplinkClient, batch_body
from uplink.ids import new_alert_id
from uplink.schema import AgentCounters, AlertBatch
from uplink.testing import FakeCollector, make_alert

# Text that JSON must escape (quotes, backslashes, control and non-ASCII characters).
TEXT = st.text(max_size=40)


def texts(records: list[dict[str, object]]) -> list[str]:
    return [json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in records]


@given(batch_id=st.text(min_size=1, max_size=64), sensor_id=st.text(min_size=1, max_size=128),
       sent_at=TEXT, notes=st.lists(TEXT, max_size=5))
def test_body_validates_as_the_batch_it_describes(batch_id: str, sensor_id: str, sent_at: str,
                                                  notes: list[str]) -> None:
    records = [make_alert(f"id-{i}", note=note) for i, note in enumerate(notes)]
    body = batch_body(batch_id, sensor_id, sent_at, texts(records))
    expected = AlertBatch.model_validate({"schema": 1, "batch_id": batch_id,
                                          "sensor_id": sensor_id, "sent_at": sent_at,
                                          "alerts": records})
    assert AlertBatch.model_validate_json(body) == expected


@given(queued=st.integers(0, 10**9), age=st.none() | st.floats(0, 1e6))
def test_body_carries_the_counters(queued: int, age: float | None) -> None:
    counters = AgentCounters(queued=queued, oldest_queued_age=age)
    body = batch_body("b-1", "pi-01", "2026-01-05T02:13:00+00:00", [], counters)
    assert AlertBatch.model_validate_json(body).counters == counters


def test_records_are_sent_byte_for_byte() -> None:
    record = '{"alert_id":"x","note":"\\u00e9 kept as written"}'
    assert record.encode() in batch_body("b", "s", "t", [record])


def test_send_body_delivers_and_gzips() -> None:
    records = [make_alert(new_alert_id(), note="z" * 200) for _ in range(20)]
    with FakeCollector() as collector:
        client = UplinkClient(collector.url, "s3cret", timeout=5)
        result = client.send_body(batch_body("b-2", "pi-01", "now", texts(records)))
        client.close()
        request = collector.seen.requests[0]
    assert (result.received, result.stored, result.duplicates) == (20, 20, 0)
    assert request["headers"]["Content-Encoding"] == "gzip"
    assert collector.seen.alert_ids == [r["alert_id"] for r in records]


def test_gzip_level_is_configurable() -> None:
    body = batch_body("b", "s", "t", texts([make_alert(new_alert_id(), note="q" * 5000)]))
    fast = UplinkClient("http://127.0.0.1:9", "t", gzip_level=1).compress(body)[0]
    small = UplinkClient("http://127.0.0.1:9", "t", gzip_level=9).compress(body)[0]
    assert gzip.decompress(fast) == gzip.decompress(small) == body
    assert len(small) <= len(fast)
