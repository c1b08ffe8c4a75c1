"""Assembling one alert's detail, and the per-app parts that serve it.

Owns: `DetailServices` (the packet decoder with its cache and the rule index,
made once per app from its config on first use and kept on `app.state`, so
nothing lives in module globals and a test can put its own in place), and
`build_detail`, which puts the stored record, rule, evidence and related
alerts together. Does not own: who may see an alert (routes.py), queries
(related.py), dissection (decode.py) or rule files (rules.py).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

import rules as shipped_rules
from collector.config import CollectorConfig
from collector.detail.decode import Dissector, PacketDecoder, find_tshark, payload_view
from collector.detail.related import same_flow, same_host
from collector.detail.rules import RuleIndex
from collector.detail.schemas import AlertDetail, HostAlerts, RelatedAlert, RelatedAlerts
from collector.models import Alert
from collector.repo.alerts import public_alert

RELATED_LIMIT = 20
_STATE_KEY = "alert_detail"
_creating = threading.Lock()


@dataclass(slots=True)
class DetailServices:
    """What the detail routes use beyond the database."""

    decoder: PacketDecoder
    rules: RuleIndex
    related_limit: int = RELATED_LIMIT


def build_services(config: CollectorConfig) -> DetailServices:
    """yamori's own rules/local/*.rules and the newest bundle published under rules_dir."""
    index = RuleIndex([shipped_rules.RULES_DIR / "local"], bundle_dir=Path(config.rules_dir),
                      max_bundle_bytes=config.rules_max_bundle_bytes)
    return DetailServices(PacketDecoder(Dissector(find_tshark())), index)


def detail_services(request: Request) -> DetailServices:
    """This app's DetailServices, made on first use."""
    app_state = request.app.state
    services: DetailServices | None = getattr(app_state, _STATE_KEY, None)
    if services is None:
        with _creating:
            services = getattr(app_state, _STATE_KEY, None)
            if services is None:
                services = build_services(app_state.collector.config)
                setattr(app_state, _STATE_KEY, services)
    return services


def build_detail(session: Session, row: Alert, services: DetailServices) -> AlertDetail:
    """Everything known about the stored alert `row` (its tenant already checked)."""
    eve = json.loads(row.eve)
    return AlertDetail(
        id=row.id, alert_id=row.alert_id, sensor_id=row.sensor_id, tenant=row.tenant,
        received_at=row.received_at.isoformat(), eve=public_alert(row),
        rule=services.rules.lookup(row.gid, row.signature_id, row.rev),
        packet=services.decoder.packet_view(row.alert_id, eve),
        payload=payload_view(eve),
        related=_related(session, row, services.related_limit),
    )


def _related(session: Session, row: Alert, limit: int) -> RelatedAlerts:
    hosts = [HostAlerts(ip=ip, alerts=[related_line(r) for r in same_host(session, row, ip, limit)])
             for ip in dict.fromkeys((row.src_ip, row.dest_ip))]
    flow = [related_line(r) for r in same_flow(session, row, limit)]
    return RelatedAlerts(flow=flow, hosts=hosts, limit=limit)


def related_line(row: Alert) -> RelatedAlert:
    """The short form of another alert, with the links to its detail."""
    return RelatedAlert(
        id=row.id, timestamp=row.timestamp, sensor_id=row.sensor_id,
        signature_id=row.signature_id, signature=row.signature, severity=row.severity,
        src_ip=row.src_ip, src_port=row.src_port, dest_ip=row.dest_ip,
        dest_port=row.dest_port, proto=row.proto,
        href=f"/alerts/{row.id}", api=f"/api/v1/alerts/{row.id}")


def flatten(record: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Every field of a nested EVE record as (dotted.name, text), in record order."""
    rows: list[tuple[str, str]] = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows += flatten(value, f"{name}.")
        elif isinstance(value, str):
            rows.append((name, value))
        else:
            rows.append((name, json.dumps(value, ensure_ascii=False)))
    return rows
