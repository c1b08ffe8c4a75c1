"""Tamper-evident export of one tenant's alerts for a period (JSON lines, hash-chained).

Owns: the export format and `export_tenant` / `verify_export`. Every line is
a JSON object with a `type` ("header", then one "alert" per alert in id
order, then one "manifest"), its content, `prev_hash` (the previous line's
`hash`; 64 zeros for the header) and `hash` = sha256(prev_hash + the
canonical JSON of the line without its two hashes; canonical = sorted keys,
no spaces, UTF-8). The manifest carries the count of alerts and the chain
head (the last alert's hash). Changing, removing, inserting or reordering
any line breaks the chain or the manifest; cutting the file short loses the
manifest. Someone who rewrites the whole file can recompute every hash, so
the manifest's `hash` should be kept apart from the file (a ticket, the
audit log, a signature): `export_tenant` returns it for that.
Does not own: choosing which tenants may export (the caller) or signing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import Alert
from yamori.errors import YamoriError

FORMAT = 1
GENESIS = "0" * 64
_HASHES = ("prev_hash", "hash")


class ExportError(YamoriError):
    """An export file fails verification: the message names the line and what is wrong."""


@dataclass(slots=True, frozen=True)
class ExportSummary:
    """What an export holds: the alert count, the chain head and the manifest line's hash."""

    count: int
    head: str
    manifest_hash: str


def canonical(obj: dict[str, Any]) -> str:
    """The JSON text hashed for a line (its hashes left out)."""
    body = {key: value for key, value in obj.items() if key not in _HASHES}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, obj: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(obj)).encode("utf-8")).hexdigest()


def export_tenant(session: Session, tenant: str, since: datetime, until: datetime,
                  out: IO[str]) -> ExportSummary:
    """Write `tenant`'s alerts whose event time is in [since, until) to `out`, chained."""
    writer = _ChainWriter(out)
    writer.write({"type": "header", "format": FORMAT, "tenant": tenant,
                  "since": _iso(since), "until": _iso(until),
                  "created_at": _iso(datetime.now(UTC))})
    count = 0
    for alert in _alerts(session, tenant, since, until):
        writer.write({"type": "alert", "record": alert_record(alert)})
        count += 1
    head = writer.prev_hash
    manifest_hash = writer.write({"type": "manifest", "count": count, "head": head})
    return ExportSummary(count, head, manifest_hash)


def alert_record(alert: Alert) -> dict[str, Any]:
    """One alert as exported: the stored EVE record plus the collector's own fields."""
    return {"id": alert.id, "alert_id": alert.alert_id, "sensor_id": alert.sensor_id,
            "tenant": alert.tenant, "received_at": _iso(alert.received_at),
            "incident_id": alert.incident_id, "eve": json.loads(alert.eve)}


def verify_export(path: Path) -> ExportSummary:
    """Check an export file's chain and manifest; raises ExportError at the first fault."""
    prev_hash, count, manifest = GENESIS, 0, None
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            obj = _parse(line, number)
            if manifest is not None:
                raise ExportError(f"line {number}: a line after the manifest")
            if obj.get("prev_hash") != prev_hash or obj.get("hash") != chain_hash(prev_hash, obj):
                raise ExportError(f"line {number}: hash chain broken (changed, removed, "
                                  "inserted or reordered line)")
            _check_type(obj, number, count)
            if obj["type"] == "alert":
                count += 1
            elif obj["type"] == "manifest":
                manifest = obj
            prev_hash = obj["hash"]
    if manifest is None:
        raise ExportError("no manifest: the file is cut short")
    head = _alert_head(manifest, count)
    return ExportSummary(count, head, manifest["hash"])


def _check_type(obj: dict[str, Any], number: int, count: int) -> None:
    kind = obj.get("type")
    if number == 1 and kind != "header":
        raise ExportError("line 1: not the header")
    if number > 1 and kind not in ("alert", "manifest"):
        raise ExportError(f"line {number}: unexpected line type {kind!r}")


def _alert_head(manifest: dict[str, Any], count: int) -> str:
    if manifest.get("count") != count:
        raise ExportError(f"manifest counts {manifest.get('count')} alerts, the file has {count}")
    if manifest.get("head") != manifest["prev_hash"]:
        raise ExportError("manifest head is not the last alert's hash")
    return str(manifest["head"])


def _parse(line: str, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ExportError(f"line {number}: not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise ExportError(f"line {number}: not a JSON object")
    return obj


class _ChainWriter:
    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.prev_hash = GENESIS

    def write(self, obj: dict[str, Any]) -> str:
        obj["prev_hash"] = self.prev_hash
        obj["hash"] = chain_hash(self.prev_hash, obj)
        self.out.write(json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n")
        self.prev_hash = obj["hash"]
        return self.prev_hash


def _alerts(session: Session, tenant: str, since: datetime, until: datetime) -> Iterator[Alert]:
    query = (select(Alert)
             .where(Alert.tenant == tenant, Alert.ts_epoch >= since.timestamp(),
                    Alert.ts_epoch < until.timestamp())
             .order_by(Alert.id)
             .execution_options(yield_per=1000))
    yield from session.scalars(query)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()
