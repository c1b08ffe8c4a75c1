"""Tamper-evident export: a tenant's alerts for a period, hash-chained, verified; any changed,
removed, inserted or reordered line, or a cut-short file, is detected."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collector.db import Database, open_database
from collector.export import ExportError, chain_hash, export_tenant, verify_export
from collector.repo.alerts import insert_alert_rows

MAY = datetime(2026, 5, 1, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def exported(store_url: str, kit: Any, tmp_path: Path) -> tuple[Database, Path]:
    database = open_database(store_url)
    with database.session() as session:
        kit.add_sensor(session, "pi-001", "tanaka-kogyo")
        kit.add_sensor(session, "pi-002", "suzuki-shoji")
        rows = []
        for n in range(5):
            made = MAY + timedelta(days=3 * n, hours=n)
            rows.append(kit.row(kit.uuid7_at(made, n), made, "pi-001", "tanaka-kogyo"))
            rows.append(kit.row(kit.uuid7_at(made, 100 + n), made, "pi-002", "suzuki-shoji"))
        late = JUNE + timedelta(hours=1)  # outside the period
        rows.append(kit.row(kit.uuid7_at(late), late, "pi-001", "tanaka-kogyo"))
        insert_alert_rows(session, rows)
        session.commit()
        path = tmp_path / "tanaka-2026-05.jsonl"
        with path.open("w", encoding="utf-8") as out:
            summary = export_tenant(session, "tanaka-kogyo", MAY, JUNE, out)
    assert summary.count == 5
    yield database, path
    database.dispose()


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def rewrite(path: Path, new_lines: list[str]) -> None:
    path.write_text("".join(new_lines), encoding="utf-8")


def test_export_holds_the_tenants_period_and_verifies(exported: tuple[Database, Path]) -> None:
    _, path = exported
    summary = verify_export(path)
    records = [json.loads(line) for line in lines(path)]
    assert [r["type"] for r in records] == ["header"] + ["alert"] * 5 + ["manifest"]
    alerts = [r["record"] for r in records[1:-1]]
    assert {a["tenant"] for a in alerts} == {"tanaka-kogyo"}
    assert [a["id"] for a in alerts] == sorted(a["id"] for a in alerts)
    assert alerts[0]["eve"]["alert"]["signature_id"] == 2019401
    assert summary.count == 5 and summary.head == records[-2]["hash"]
    assert records[0]["prev_hash"] == "0" * 64
    assert records[3]["hash"] == chain_hash(records[2]["hash"], records[3])


def test_a_changed_field_is_detected(exported: tuple[Database, Path]) -> None:
    _, path = exported
    content = lines(path)
    record = json.loads(content[2])
    record["record"]["eve"]["src_ip"] = "192.168.1.99"
    content[2] = json.dumps(record) + "\n"
    rewrite(path, content)
    with pytest.raises(ExportError, match="line 3: hash chain broken"):
        verify_export(path)


def test_a_changed_line_with_its_hash_recomputed_is_detected(exported: tuple[Database, Path]
                                                             ) -> None:
    _, path = exported
    content = lines(path)
    record = json.loads(content[2])
    record["record"]["eve"]["alert"]["severity"] = 4
    record["hash"] = chain_hash(record["prev_hash"], record)
    content[2] = json.dumps(record) + "\n"
    rewrite(path, content)
    with pytest.raises(ExportError, match="line 4: hash chain broken"):
        verify_export(path)


@pytest.mark.parametrize("edit", ["remove", "insert", "swap", "truncate", "drop-manifest"])
def test_removed_inserted_reordered_or_cut_lines_are_detected(
        exported: tuple[Database, Path], edit: str) -> None:
    _, path = exported
    content = lines(path)
    if edit == "remove":
        del content[3]
    elif edit == "insert":
        content.insert(3, content[2])
    elif edit == "swap":
        content[2], content[3] = content[3], content[2]
    elif edit == "truncate":
        content = content[:4]
    else:
        content = content[:-1]
    rewrite(path, content)
    with pytest.raises(ExportError):
        verify_export(path)


def test_removing_the_last_alert_and_fixing_the_manifest_still_fails(
        exported: tuple[Database, Path]) -> None:
    _, path = exported
    content = lines(path)
    manifest = json.loads(content[-1])
    del content[-2]
    manifest["count"] = 4
    content[-1] = json.dumps(manifest) + "\n"
    rewrite(path, content)
    with pytest.raises(ExportError, match="hash chain broken"):
        verify_export(path)


def test_empty_period_exports_a_valid_empty_chain(store_url: str, tmp_path: Path) -> None:
    database = open_database(store_url)
    path = tmp_path / "empty.jsonl"
    with database.session() as session, path.open("w", encoding="utf-8") as out:
        export_tenant(session, "nobody", MAY, JUNE, out)
    assert verify_export(path).count == 0
    database.dispose()


def test_export_and_verify_of_many_alerts_is_quick(tmp_path: Path, kit: Any) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'many.sqlite'}")
    with database.session() as session:
        kit.add_sensor(session)
        rows = [kit.row(kit.uuid7_at(MAY + timedelta(seconds=n), n), MAY + timedelta(seconds=n))
                for n in range(20_000)]
        insert_alert_rows(session, rows)
        session.commit()
        path = tmp_path / "many.jsonl"
        started = time.perf_counter()
        with path.open("w", encoding="utf-8") as out:
            export_tenant(session, "tanaka-kogyo", MAY, JUNE, out)
        wrote = time.perf_counter() - started
    started = time.perf_counter()
    assert verify_export(path).count == 20_000
    verified = time.perf_counter() - started
    print(f"export of 20k alerts: wrote {wrote:.2f} s, verified {verified:.2f} s")  # noqa: T201
    assert wrote < 10 and verified < 10
    database.dispose()
