"""Concurrent twins of one batch over a real socket: every alert stored exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from collector.testing import (
    ADMIN_TOKEN,
    admin_headers,
    enroll,
    sample_alert,
    sample_batch,
    serve_in_thread,
    temp_config,
)
from uplink.schema import BATCHES_PATH


def test_concurrent_retries_store_each_alert_once(tmp_path: Path) -> None:
    with serve_in_thread(temp_config(tmp_path, admin_token=ADMIN_TOKEN)) as live:
        token = enroll(live.app)
        alerts = [sample_alert(i) for i in range(200)]
        batches = [sample_batch(alerts) for _ in range(6)]  # same alerts, distinct batch_ids

        def send(batch: dict[str, Any]) -> dict[str, Any]:
            answer = httpx.post(live.url + BATCHES_PATH, json=batch, timeout=30,
                                headers={"Authorization": f"Bearer {token}"})
            answer.raise_for_status()
            return dict(answer.json())

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(send, batches))
        total = httpx.get(live.url + "/api/v1/alerts", params={"limit": 1000},
                          headers=admin_headers()).json()
    assert sum(r["stored"] for r in results) == 200
    assert all(r["stored"] + r["duplicates"] == 200 for r in results)
    assert len(total["alerts"]) == 200
