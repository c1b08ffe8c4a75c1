"""Fixtures for the incident, triage and feed-filter tests.

`console`: a collector on a temporary SQLite file (TestClient), with sensors
pi-001 and pi-002 of tenant tanaka-kogyo and pi-101 of suzuki-shoten, signed
in as the analyst `aiko` through the `current_user` dependency override; its
methods build alerts at chosen event times, send batches, switch the
signed-in user and read the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from collector.auth.deps import current_user
from collector.auth.principal import Principal
from collector.main import create_app
from collector.testing import enroll, sample_alert, sample_batch, temp_config
from uplink.schema import BATCHES_PATH

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC).timestamp()
TENANT_OF = {"pi-001": "tanaka-kogyo", "pi-002": "tanaka-kogyo", "pi-101": "suzuki-shoten"}


@dataclass
class Console:
    app: FastAPI
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def sign_in(self, principal: Principal | None) -> None:
        """Act as `principal` from now on (None: nobody is signed in)."""
        if principal is None:
            self.app.dependency_overrides.pop(current_user, None)
        else:
            self.app.dependency_overrides[current_user] = lambda: principal

    def as_analyst(self, name: str = "aiko") -> None:
        self.sign_in(Principal(name, "analyst"))

    def as_customer(self, tenant: str | None, name: str = "tanaka-san") -> None:
        self.sign_in(Principal(name, "customer", tenant=tenant))

    @staticmethod
    def alert(n: int = 0, at: float = T0, sid: int = 2019401, gid: int = 1, rev: int = 3,
              src: str = "192.168.1.23", dest: str = "203.0.113.9", severity: int = 2,
              signature: str = "ET POLICY Suspicious beacon",
              category: str = "A Network Trojan was detected") -> dict[str, Any]:
        """An EVE alert record raised at epoch `at`, with a fresh alert_id."""
        record = sample_alert(n, timestamp=datetime.fromtimestamp(at, UTC).isoformat(),
                              src_ip=src, dest_ip=dest)
        record["alert_id"] = f"a-{n}-{uuid.uuid4().hex[:12]}"
        record["alert"].update(signature_id=sid, gid=gid, rev=rev, severity=severity,
                               signature=signature, category=category)
        return record

    def send(self, sensor: str, alerts: list[dict[str, Any]],
             batch_id: str | None = None) -> dict[str, Any]:
        """POST a batch from `sensor`; returns the BatchResult."""
        answer = self.client.post(
            BATCHES_PATH, json=sample_batch(alerts, sensor_id=sensor, batch_id=batch_id),
            headers={"Authorization": f"Bearer {self.tokens[sensor]}"})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def get(self, path: str, **params: Any) -> Response:
        return self.client.get(path, params=params)

    def incidents(self, **params: Any) -> list[dict[str, Any]]:
        answer = self.get("/api/v1/incidents", **params)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["incidents"])

    def incident(self, incident_id: int, **params: Any) -> dict[str, Any]:
        answer = self.get(f"/api/v1/incidents/{incident_id}", **params)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def feed(self, **params: Any) -> list[dict[str, Any]]:
        answer = self.get("/api/v1/alerts", **params)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["alerts"])

    def feed_ids(self, **params: Any) -> list[int]:
        return [a["id"] for a in self.feed(**params)]

    def act(self, incident_id: int, action: str, body: dict[str, Any]) -> Response:
        return self.client.post(f"/api/v1/incidents/{incident_id}/{action}", json=body)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    app = create_app(temp_config(tmp_path, page_size_max=1000))
    with TestClient(app) as client:
        found = Console(app, client)
        for sensor, tenant in TENANT_OF.items():
            found.tokens[sensor] = enroll(app, sensor, tenant)
        found.as_analyst()
        yield found
