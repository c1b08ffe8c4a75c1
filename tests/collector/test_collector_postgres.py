"""The collector against PostgreSQL at 127.0.0.1:5432, database `test` (trust auth).

Runs only when a PostgreSQL driver (psycopg 3 or psycopg2) is importable and
the server answers; each run works in its own schema and drops it afterwards.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from collector.main import create_app
from collector.testing import (
    ADMIN_TOKEN,
    admin_headers,
    enroll,
    sample_alert,
    sample_batch,
    temp_config,
)
from uplink.schema import BATCHES_PATH


def test_ingest_and_feed_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    app = create_app(temp_config(tmp_path, admin_token=ADMIN_TOKEN, database_url=pg_url))
    with TestClient(app) as client:
        token = enroll(app)
        alert = sample_alert(1, flow_id=2**62)
        alert["alert"]["signature_id"] = 2**32 - 1  # Suricata sids are uint32
        batch = sample_batch([alert, sample_alert(2)])
        headers = {"Authorization": f"Bearer {token}"}
        first = client.post(BATCHES_PATH, json=batch, headers=headers)
        again = client.post(BATCHES_PATH, json=batch, headers=headers)
        feed = client.get("/api/v1/alerts", params={"sid": 2**32 - 1},
                          headers=admin_headers()).json()
        health = client.get("/healthz").json()
    assert first.status_code == 200 and first.json()["stored"] == 2
    assert again.json() == first.json()
    assert [a["flow_id"] for a in feed["alerts"]] == [2**62]
    assert health == {"status": "ok", "db": "ok"}
