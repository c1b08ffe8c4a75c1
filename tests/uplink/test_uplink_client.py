"""uplink.client against a real HTTP server on 127.0.0.1 (the fake collector)."""

from __future__ import annotations

import gzip
import json
import socket
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uplink.client import UplinkClient, parse_retry_after
from uplink.ids import new_alert_id
from uplink.schema import AlertBatch, AlertRecord
from uplink.testing import FakeCollector, make_alert
from yamori.errors import UplinkRejected, UplinkUnavailable


@pytest.fixture
def collector():
    with FakeCollector() as fake:
        yield fake


@pytest.fixture
def client(collector: FakeCollector):
    c = UplinkClient(collector.url, "s3cret", timeout=5)
    yield c
    c.close()


def batch(n: int = 2, sid: int = 2019401, pad: str = "") -> AlertBatch:
    alerts = [AlertRecord.model_validate(make_alert(new_alert_id(), sid, note=pad))
              for _ in range(n)]
    return AlertBatch(batch_id=new_alert_id(), sensor_id="pi-01",
                      sent_at="2026-01-05T02:13:00+00:00", alerts=alerts)


def test_send_returns_batch_result(client: UplinkClient, collector: FakeCollector) -> None:
    b = batch(3)
    result = client.send(b)
    assert (result.batch_id, result.received, result.stored, result.duplicates) == (
        b.batch_id, 3, 3, 0)
    assert collector.seen.alert_ids == [a.alert_id for a in b.alerts]


def test_resending_a_batch_reports_duplicates(client: UplinkClient) -> None:
    b = batch(2)
    client.send(b)
    assert client.send(b).duplicates == 2


def test_bearer_token_is_sent(client: UplinkClient, collector: FakeCollector) -> None:
    client.send(batch(1))
    assert collector.seen.requests[0]["headers"]["Authorization"] == "Bearer s3cret"


def test_small_body_is_plain_json(client: UplinkClient, collector: FakeCollector) -> None:
    client.send(batch(1))
    assert "Content-Encoding" not in collector.seen.requests[0]["headers"]


def test_body_above_threshold_is_gzipped(client: UplinkClient, collector: FakeCollector) -> None:
    b = batch(20, pad="x" * 200)
    client.send(b)
    request = collector.seen.requests[0]
    assert request["headers"]["Content-Encoding"] == "gzip"
    assert request["size"] < len(b.model_dump_json())
    assert len(collector.seen.alert_ids) == 20


def test_encoded_body_uses_wire_alias_schema(client: UplinkClient) -> None:
    body, headers = client.encode(batch(1))
    assert json.loads(body)["schema"] == 1
    assert headers["Content-Type"] == "application/json"


def test_gzip_body_round_trips(client: UplinkClient) -> None:
    b = batch(30, pad="y" * 100)
    body, headers = client.encode(b)
    assert headers["Content-Encoding"] == "gzip"
    assert AlertBatch.model_validate_json(gzip.decompress(body)) == b


def test_connections_are_reused(client: UplinkClient, collector: FakeCollector) -> None:
    for _ in range(3):
        client.send(batch(1))
    # one keep-alive connection => every request came from the same client port
    assert len({r["peer"] for r in collector.seen.requests}) == 1


def test_503_is_unavailable(client: UplinkClient, collector: FakeCollector) -> None:
    collector.behaviour.fail_503 = 1
    with pytest.raises(UplinkUnavailable):
        client.send(batch(1))


def test_429_carries_retry_after(client: UplinkClient, collector: FakeCollector) -> None:
    collector.behaviour.throttle_429 = 1
    with pytest.raises(UplinkUnavailable) as info:
        client.send(batch(1))
    assert info.value.retry_after == 1.0


def test_connection_reset_is_unavailable(client: UplinkClient, collector: FakeCollector) -> None:
    collector.behaviour.reset = 1
    with pytest.raises(UplinkUnavailable):
        client.send(batch(1))
    assert client.send(batch(1)).stored == 1  # the session recovers


def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UplinkUnavailable):
        UplinkClient(f"http://127.0.0.1:{port}", "t", timeout=2).send(batch(1))


def test_422_is_rejected_with_collector_message(
    client: UplinkClient, collector: FakeCollector
) -> None:
    collector.behaviour.reject_sid0 = True
    with pytest.raises(UplinkRejected) as info:
        client.send(batch(1, sid=0))
    assert info.value.status == 422
    assert "signature_id must not be 0" in str(info.value)


def test_bad_token_is_rejected_401(collector: FakeCollector) -> None:
    with pytest.raises(UplinkRejected) as info:
        UplinkClient(collector.url, "wrong").send(batch(1))
    assert info.value.status == 401


def test_healthcheck_true_when_collector_up(client: UplinkClient) -> None:
    assert client.healthcheck() is True


def test_healthcheck_false_when_nothing_listens() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert UplinkClient(f"http://127.0.0.1:{port}", "t", timeout=2).healthcheck() is False


def test_tls_verification_on_by_default() -> None:
    assert UplinkClient("https://collector.example", "t")._session.verify is True
    assert UplinkClient("https://c.example", "t", ca_bundle="/ca.pem")._session.verify == "/ca.pem"


def test_retry_after_http_date() -> None:
    when = datetime(2026, 1, 5, 0, 0, 30, tzinfo=UTC)
    now = datetime(2026, 1, 5, 0, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after(format_datetime(when, usegmt=True), now) == 30.0


def test_retry_after_date_in_past_is_zero() -> None:
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0


@given(st.integers(0, 10**7))
def test_retry_after_delta_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == float(seconds)


@given(st.text(max_size=40))
def test_retry_after_never_raises_and_is_never_negative(text: str) -> None:
    value = parse_retry_after(text)
    assert value is None or value >= 0
