"""POST /api/v1/batches through TestClient against a temporary SQLite file."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collector.main import create_app
from collector.models import Alert, Sensor
from collector.state import AppState
from collector.testing import enroll, sample_alert, sample_batch, temp_config
from uplink.schema import BATCHES_PATH


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(temp_config(tmp_path, max_body_bytes=64 * 1024))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def token(client: TestClient) -> str:
    enroll(client.app, "pi-002", "other-tenant")  # type: ignore[arg-type]
    return enroll(client.app)  # type: ignore[arg-type]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client: TestClient, token: str, body: dict[str, Any]) -> Any:
    return client.post(BATCHES_PATH, json=body, headers=auth(token))


def stored(client: TestClient) -> list[Alert]:
    state: AppState = client.app.state.collector  # type: ignore[attr-defined]
    with state.database.session() as session:
        return list(session.query(Alert).order_by(Alert.id))


def test_missing_token_is_401(client: TestClient, token: str) -> None:
    answer = client.post(BATCHES_PATH, json=sample_batch([sample_alert()]))
    assert answer.status_code == 401
    assert "bearer" in answer.json()["error"]


def test_wrong_token_is_401(client: TestClient, token: str) -> None:
    assert post(client, token + "x", sample_batch([sample_alert()])).status_code == 401


def test_non_bearer_scheme_is_401(client: TestClient, token: str) -> None:
    answer = client.post(BATCHES_PATH, json=sample_batch([]),
                         headers={"Authorization": f"Basic {token}"})
    assert answer.status_code == 401


def test_batch_is_stored_and_answered(client: TestClient, token: str) -> None:
    batch = sample_batch([sample_alert(1), sample_alert(2)])
    answer = post(client, token, batch)
    assert answer.status_code == 200
    assert answer.json() == {"batch_id": batch["batch_id"], "received": 2, "stored": 2,
                             "duplicates": 0}
    assert [a.alert_id for a in stored(client)] == [a["alert_id"] for a in batch["alerts"]]


def test_stored_columns_come_from_the_record(client: TestClient, token: str) -> None:
    post(client, token, sample_batch([sample_alert(5)]))
    row = stored(client)[0]
    assert (row.signature_id, row.gid, row.rev, row.severity) == (2019401, 1, 3, 1)
    assert (row.src_ip, row.dest_port, row.proto, row.app_proto) == (
        "192.168.1.23", 443, "TCP", "tls")
    # 2024-05-01T02:13:05+09:00 == 2024-04-30T17:13:05Z
    assert row.ts_epoch == pytest.approx(1714497185.0)


def test_full_eve_record_is_kept(client: TestClient, token: str) -> None:
    post(client, token, sample_batch([sample_alert(1, http={"hostname": "x.example"})]))
    eve = json.loads(stored(client)[0].eve)
    assert eve["tls"] == {"sni": "c2.example"}
    assert eve["http"] == {"hostname": "x.example"}
    assert eve["alert"]["metadata"] == {"created_at": ["2024_01_01"]}


def test_tenant_and_sensor_come_from_the_token(client: TestClient, token: str) -> None:
    post(client, token, sample_batch([sample_alert(1, tenant="evil", sensor_id="pi-002")]))
    row = stored(client)[0]
    assert (row.tenant, row.sensor_id) == ("tanaka-kogyo", "pi-001")
    assert json.loads(row.eve)["tenant"] == "tanaka-kogyo"


def test_retried_batch_stores_nothing_twice(client: TestClient, token: str) -> None:
    batch = sample_batch([sample_alert(1), sample_alert(2)])
    first = post(client, token, batch).json()
    again = post(client, token, batch)
    assert again.status_code == 200
    assert again.json() == first
    assert len(stored(client)) == 2


def test_resent_alerts_in_a_new_batch_count_as_duplicates(client: TestClient, token: str) -> None:
    alerts = [sample_alert(1), sample_alert(2)]
    post(client, token, sample_batch(alerts))
    answer = post(client, token, sample_batch([*alerts, sample_alert(3)])).json()
    assert (answer["received"], answer["stored"], answer["duplicates"]) == (3, 1, 2)
    assert len(stored(client)) == 3


def test_repeated_alert_id_within_a_batch_is_stored_once(client: TestClient, token: str) -> None:
    alert = sample_alert(1)
    answer = post(client, token, sample_batch([alert, alert])).json()
    assert (answer["stored"], answer["duplicates"]) == (1, 1)


def test_replayed_batch_id_with_new_alerts_keeps_them(client: TestClient, token: str) -> None:
    batch = sample_batch([sample_alert(1)])
    post(client, token, batch)
    batch["alerts"].append(sample_alert(2))
    answer = post(client, token, batch).json()
    assert (answer["stored"], answer["duplicates"]) == (1, 1)
    assert len(stored(client)) == 2


def test_sensor_id_mismatch_is_403(client: TestClient, token: str) -> None:
    answer = post(client, token, sample_batch([sample_alert()], sensor_id="pi-002"))
    assert answer.status_code == 403
    assert stored(client) == []


def test_gzip_body_is_accepted(client: TestClient, token: str) -> None:
    body = gzip.compress(json.dumps(sample_batch([sample_alert(1)])).encode())
    answer = client.post(BATCHES_PATH, content=body, headers={
        **auth(token), "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert answer.status_code == 200
    assert answer.json()["stored"] == 1


def test_gzip_bomb_is_413(client: TestClient, token: str) -> None:
    # ~64 KiB on the wire limit, but 50 MiB once inflated.
    body = gzip.compress(b" " * (50 * 1024 * 1024))
    assert len(body) < 64 * 1024
    answer = client.post(BATCHES_PATH, content=body,
                         headers={**auth(token), "Content-Encoding": "gzip"})
    assert answer.status_code == 413


def test_corrupt_gzip_is_400(client: TestClient, token: str) -> None:
    answer = client.post(BATCHES_PATH, content=b"\x1f\x8bnot gzip at all",
                         headers={**auth(token), "Content-Encoding": "gzip"})
    assert answer.status_code == 400


def test_unknown_content_encoding_is_415(client: TestClient, token: str) -> None:
    answer = client.post(BATCHES_PATH, content=zlib.compress(b"{}"),
                         headers={**auth(token), "Content-Encoding": "br"})
    assert answer.status_code == 415


def test_oversize_body_is_413_with_a_clear_message(client: TestClient, token: str) -> None:
    alerts = [sample_alert(i, padding="x" * 1000) for i in range(80)]
    answer = post(client, token, sample_batch(alerts))
    assert answer.status_code == 413
    assert "65536 bytes" in answer.json()["error"]


def test_oversize_body_without_content_length_is_413(client: TestClient, token: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    answer = client.post(BATCHES_PATH, content=chunks(), headers=auth(token))
    assert answer.status_code == 413


def test_missing_field_is_422_naming_record_and_field(client: TestClient, token: str) -> None:
    broken = sample_alert(3)
    del broken["alert"]["signature_id"]
    alerts = [sample_alert(0), sample_alert(1), sample_alert(2), broken]
    answer = post(client, token, sample_batch(alerts))
    assert answer.status_code == 422
    assert "alerts[3].alert.signature_id: field required" in answer.json()["error"]
    assert stored(client) == []


def test_unknown_envelope_field_is_422(client: TestClient, token: str) -> None:
    answer = post(client, token, {**sample_batch([]), "extra": 1})
    assert answer.status_code == 422
    assert "extra" in answer.json()["error"]


def test_out_of_range_port_is_422_naming_it(client: TestClient, token: str) -> None:
    answer = post(client, token, sample_batch([sample_alert(0), sample_alert(1, src_port=70000)]))
    assert answer.status_code == 422
    assert "alerts[1].src_port" in answer.json()["error"]


def test_bad_timestamp_is_422_naming_it(client: TestClient, token: str) -> None:
    answer = post(client, token, sample_batch([sample_alert(0, timestamp="yesterday")]))
    assert answer.status_code == 422
    assert "alerts[0].timestamp" in answer.json()["error"]


def test_invalid_json_is_400(client: TestClient, token: str) -> None:
    answer = client.post(BATCHES_PATH, content=b"{not json", headers=auth(token))
    assert answer.status_code == 400


def test_ingest_marks_the_sensor_seen(client: TestClient, token: str) -> None:
    post(client, token, sample_batch([sample_alert()]))
    state: AppState = client.app.state.collector  # type: ignore[attr-defined]
    with state.database.session() as session:
        assert session.get(Sensor, "pi-001").last_seen_at is not None  # type: ignore[union-attr]
