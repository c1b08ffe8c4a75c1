"""Helpers for ruleset tests (the collector's, the CLI's, the agent's update loop).

Owns: packing a signed test bundle from rule text (`signed_bundle`), `Box`
(an enrolled sensor with the cumulative counters its heartbeats carry) and
`Fleet` (a TestClient on a collector, driven like the vendor and the boxes
drive it: publish, admin calls, heartbeats with a RulesetStatus and engine
counters, reporting an offer as running) and `StepClock` (a stand-in for the
heartbeat route's `utcnow` that moves a heartbeat interval per reading, so
canary windows pass without sleeping). Does not own: any production behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from collector.fleet.testing import admin_headers, heartbeat_body
from collector.testing import enroll
from rules.bundle import pack
from uplink.schema import HEARTBEAT_PATH

RULE = 'alert tcp any any -> any {port} (msg:"test {sid}"; sid:{sid}; rev:1;)\n'
CLASSIFICATION = b"config classification: trojan-activity,A Network Trojan was Detected,1\n"
RULESETS_PATH = "/api/v1/rulesets"


def signed_bundle(workdir: Path, version: str, key: Ed25519PrivateKey,
                  rules: str | None = None) -> Path:
    """Pack and sign a one-file ruleset as `<workdir>/bundle-<version>.tar.gz`."""
    src = workdir / f"src-{version}"
    src.mkdir(parents=True, exist_ok=True)
    (src / "yamori.rules").write_text(rules or RULE.format(port=23, sid=1000001))
    (src / "classification.config").write_bytes(CLASSIFICATION)
    out = workdir / f"bundle-{version}.tar.gz"
    pack(src, out, version, key, now=datetime(2026, 11, 22, tzinfo=UTC))
    return out


@dataclass
class StepClock:
    """Each call returns a time `step` seconds after the previous one."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    step: float = 60.0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=self.step)
        return self.now


@dataclass
class Box:
    """An enrolled sensor and the cumulative counters its heartbeats carry."""

    sensor_id: str
    tenant: str
    token: str
    packets: int = 0
    alerts: int = 0
    detect_seconds: float = 0.0
    ruleset: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Fleet:
    """A collector under test (TestClient) and where it keeps bundles."""

    client: TestClient
    rules_dir: Path

    def enroll(self, sensor_id: str, tenant: str = "tanaka-kogyo") -> Box:
        return Box(sensor_id, tenant, enroll(self.client.app, sensor_id, tenant))  # type: ignore[arg-type]

    def publish(self, bundle: Path, channel: str | None = None) -> Any:
        params = {"channel": channel} if channel else {}
        return self.client.post(RULESETS_PATH, content=bundle.read_bytes(), params=params,
                                headers=admin_headers())

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers=admin_headers(), **kwargs)

    def status(self) -> dict[str, Any]:
        answer = self.admin("GET", RULESETS_PATH)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def beat(self, box: Box, packets: int = 0, alerts: int = 0, detect_seconds: float = 0.0,
             **ruleset: Any) -> dict[str, Any]:
        """One heartbeat after `packets`/`alerts` more; `ruleset` updates its RulesetStatus."""
        box.packets += packets
        box.alerts += alerts
        box.detect_seconds += detect_seconds
        box.ruleset.update(ruleset)
        health = {"decoder.pkts": box.packets, "detect.alert": box.alerts,
                  "detect.seconds": box.detect_seconds}
        body = heartbeat_body(box.sensor_id, engine_health=health, packets=box.packets,
                              ruleset=dict(box.ruleset) or None)
        answer = self.client.post(HEARTBEAT_PATH, json=body, headers=box.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def run_offer(self, box: Box, offer: dict[str, Any], packets: int = 0, alerts: int = 0,
                  detect_seconds: float = 0.0) -> dict[str, Any]:
        """Report running what `offer` named, as the agent does after a swap."""
        return self.beat(box, packets, alerts, detect_seconds, state="ok",
                         running=offer["effective_version"], bundle=offer["version"],
                         offered=offer["effective_version"], reason=None)
