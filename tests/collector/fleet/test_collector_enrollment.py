"""Enrollment tokens, POST /api/v1/enroll, re-enrollment and revocation (TestClient, SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collector.fleet.testing import admin_headers, fleet_config, heartbeat_body
from collector.main import create_app
from collector.models import EnrollmentToken, Sensor
from collector.repo.enrollment import issue_token
from collector.repo.sensors import token_digest
from collector.state import AppState
from collector.testing import sample_alert, sample_batch
from uplink.schema import BATCHES_PATH, ENROLL_PATH, HEARTBEAT_PATH

TOKENS = "/api/v1/enrollment-tokens"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    app = create_app(fleet_config(tmp_path, ca_cert_file=str(ca)))
    with TestClient(app) as test_client:
        yield test_client


def state(client: TestClient) -> AppState:
    return client.app.state.collector  # type: ignore[attr-defined, no-any-return]


def new_token(client: TestClient, tenant: str = "tanaka-kogyo", **body: Any) -> str:
    answer = client.post(TOKENS, json={"tenant": tenant, **body}, headers=admin_headers())
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def enroll(client: TestClient, token: str, hostname: str = "pi-box",
           sensor_id: str | None = None) -> Any:
    body: dict[str, Any] = {"token": token, "hostname": hostname}
    if sensor_id is not None:
        body["sensor_id"] = sensor_id
    return client.post(ENROLL_PATH, json=body)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_api_needs_the_admin_token(client: TestClient) -> None:
    assert client.post(TOKENS, json={"tenant": "t"}).status_code == 401
    assert client.post(TOKENS, json={"tenant": "t"},
                       headers=admin_headers("wrong")).status_code == 401


def test_admin_api_is_off_without_an_admin_token_file(tmp_path: Path) -> None:
    app = create_app(fleet_config(tmp_path, admin_token_file=""))
    with TestClient(app) as c:
        assert c.post(TOKENS, json={"tenant": "t"}, headers=admin_headers()).status_code == 403


def test_only_the_token_digest_is_stored(client: TestClient) -> None:
    token = new_token(client)
    with state(client).database.session() as session:
        row = session.get(EnrollmentToken, token_digest(token))
        assert row is not None and row.tenant == "tanaka-kogyo"
        assert session.query(EnrollmentToken).count() == 1


def test_enroll_answers_credential_tenant_and_ca(client: TestClient) -> None:
    answer = enroll(client, new_token(client), hostname="pi-box")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert (data["sensor_id"], data["tenant"], data["rotated"]) == ("pi-box", "tanaka-kogyo", False)
    assert data["ca_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert len(data["credential"]) >= 43


def test_credential_authenticates_ingest(client: TestClient) -> None:
    data = enroll(client, new_token(client)).json()
    answer = client.post(BATCHES_PATH, json=sample_batch([sample_alert()], data["sensor_id"]),
                         headers=bearer(data["credential"]))
    assert answer.status_code == 200, answer.text


def test_token_is_single_use(client: TestClient) -> None:
    token = new_token(client)
    assert enroll(client, token, "box-a").status_code == 200
    assert enroll(client, token, "box-b").status_code == 401


def test_expired_token_is_refused(client: TestClient) -> None:
    with state(client).database.session() as session:
        issued = issue_token(session, "t", 60, now=datetime.now(UTC) - timedelta(seconds=61))
    assert enroll(client, issued.token).status_code == 401


def test_unknown_token_is_refused(client: TestClient) -> None:
    assert enroll(client, "ye1_not-a-token").status_code == 401


def test_requested_sensor_id_is_used(client: TestClient) -> None:
    data = enroll(client, new_token(client), "raspberrypi", sensor_id="tanaka-01").json()
    assert data["sensor_id"] == "tanaka-01"


def test_taken_hostname_in_another_tenant_gets_a_suffix(client: TestClient) -> None:
    enroll(client, new_token(client, "a"), "raspberrypi")
    data = enroll(client, new_token(client, "b"), "raspberrypi").json()
    assert data["sensor_id"].startswith("raspberrypi-") and data["tenant"] == "b"


def test_sensor_id_of_another_tenant_is_409_and_token_stays_usable(client: TestClient) -> None:
    enroll(client, new_token(client, "a"), "box", sensor_id="shared-id")
    token = new_token(client, "b")
    assert enroll(client, token, "box", sensor_id="shared-id").status_code == 409
    assert enroll(client, token, "box", sensor_id="b-id").status_code == 200


def test_reenrollment_rotates_the_credential(client: TestClient) -> None:
    first = enroll(client, new_token(client), "pi-box").json()
    second = enroll(client, new_token(client), "pi-box").json()
    assert (second["sensor_id"], second["rotated"]) == (first["sensor_id"], True)
    batch = sample_batch([sample_alert()], first["sensor_id"])
    assert client.post(BATCHES_PATH, json=batch,
                       headers=bearer(first["credential"])).status_code == 401
    assert client.post(BATCHES_PATH, json=batch,
                       headers=bearer(second["credential"])).status_code == 200


def test_revoked_sensor_is_refused_on_ingest_and_heartbeat(client: TestClient) -> None:
    data = enroll(client, new_token(client)).json()
    sid, cred = data["sensor_id"], data["credential"]
    assert client.post(HEARTBEAT_PATH, json=heartbeat_body(sid),
                       headers=bearer(cred)).status_code == 200
    answer = client.post(f"/api/v1/sensors/{sid}/revoke", headers=admin_headers())
    assert answer.status_code == 200 and answer.json()["revoked_at"]
    assert client.post(HEARTBEAT_PATH, json=heartbeat_body(sid),
                       headers=bearer(cred)).status_code == 401
    assert client.post(BATCHES_PATH, json=sample_batch([sample_alert()], sid),
                       headers=bearer(cred)).status_code == 401


def test_revoke_needs_admin_and_a_known_sensor(client: TestClient) -> None:
    assert client.post("/api/v1/sensors/x/revoke").status_code == 401
    assert client.post("/api/v1/sensors/x/revoke", headers=admin_headers()).status_code == 404


def test_reenrollment_lifts_a_revocation(client: TestClient) -> None:
    sid = enroll(client, new_token(client), "pi-box").json()["sensor_id"]
    client.post(f"/api/v1/sensors/{sid}/revoke", headers=admin_headers())
    again = enroll(client, new_token(client), "pi-box").json()
    with state(client).database.session() as session:
        sensor = session.get(Sensor, sid)
        assert sensor is not None and sensor.revoked_at is None
    assert client.post(HEARTBEAT_PATH, json=heartbeat_body(sid),
                       headers=bearer(again["credential"])).status_code == 200


def test_enroll_body_rejects_unknown_fields(client: TestClient) -> None:
    answer = client.post(ENROLL_PATH, json={"token": "x", "hostname": "h", "tenant": "evil"})
    assert answer.status_code == 422
