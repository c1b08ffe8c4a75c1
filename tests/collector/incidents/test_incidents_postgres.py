"""Incidents on PostgreSQL (127.0.0.1:5432): grouping with retries, triage, the feed's filters.

Skipped (by the `pg_url` fixture) when no driver is installed or the server does not answer.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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


def test_grouping_triage_and_filters_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    app = create_app(temp_config(tmp_path, admin_token=ADMIN_TOKEN, database_url=pg_url))
    with TestClient(app) as client:
        token = enroll(app)
        auth = {"Authorization": f"Bearer {token}"}
        storm = [sample_alert(i) for i in range(300)]
        batches = [sample_batch(storm[i:i + 100], batch_id=f"b{i}") for i in range(0, 300, 100)]

        def send(batch: dict[str, Any]) -> dict[str, Any]:
            answer = client.post(BATCHES_PATH, json=batch, headers=auth)
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        # Every batch twice, concurrently: the tenant lock serializes the twins.
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(send, batches + batches))
        assert results[:3] == results[3:]  # a twin answers what the first was answered
        assert sum(r["stored"] for r in results[:3]) == 300
        [incident] = client.get("/api/v1/incidents", headers=admin_headers()).json()["incidents"]
        assert incident["count"] == 300
        moved = client.post(f"/api/v1/incidents/{incident['id']}/suppress",
                            json={"scope": "source"}, headers=admin_headers())
        assert moved.json()["incident"]["state"] == "resolved_fp"
        feed = client.get("/api/v1/alerts", headers=admin_headers(),
                          params={"state": "resolved_fp", "q": "BEACON", "limit": 1000}).json()
        assert len(feed["alerts"]) == 300
        assert client.get("/api/v1/alerts", headers=admin_headers(),
                          params={"state": "new"}).json()["alerts"] == []
