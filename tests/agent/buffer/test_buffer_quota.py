"""agent.buffer: the byte quota evicts least-severe-oldest alerts first and counts every one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.buffer.quota import DEFAULT_MAX_BYTES, DEFAULT_SEVERITY, row_cost, severity_of
from agent.buffer.sqlite import migrate
from agent.buffer.store import AlertQueue


def rec(n: int, severity: int | None = 3) -> dict[str, object]:
    r: dict[str, object] = {"alert_id": f"id-{n:04d}", "event_type": "alert"}
    if severity is not None:
        r["alert"] = {"severity": severity}
    return r


def one_cost(tmp_path: Path) -> int:
    with AlertQueue(tmp_path / "probe.db") as q:
        q.append([rec(0)])
        return q.queue_bytes()


def test_default_quota_is_256_mb(tmp_path: Path) -> None:
    with AlertQueue(tmp_path / "q.db") as q:
        assert q.max_bytes == DEFAULT_MAX_BYTES == 256 * 1024 * 1024


def test_severity_defaults_to_suricata_default() -> None:
    assert severity_of({"alert": {}}) == DEFAULT_SEVERITY
    assert severity_of({}) == DEFAULT_SEVERITY
    assert severity_of({"alert": {"severity": "1"}}) == DEFAULT_SEVERITY
    assert severity_of({"alert": {"severity": 1}}) == 1


def test_queue_bytes_tracks_append_ack_and_poison(tmp_path: Path) -> None:
    with AlertQueue(tmp_path / "q.db") as q:
        q.append([rec(1), rec(2), rec(3)])
        a, b, c = q.lease(3, 10**9)
        assert q.queue_bytes() == sum(row_cost(x.size) for x in (a, b, c))
        q.ack([a.seq])
        q.move_to_poison([b.seq], "bad")
        assert q.queue_bytes() == row_cost(c.size)


def test_queue_bytes_is_recomputed_on_open(tmp_path: Path) -> None:
    with AlertQueue(tmp_path / "q.db") as q:
        q.append([rec(1), rec(2)])
        before = q.queue_bytes()
    with AlertQueue(tmp_path / "q.db") as q:
        assert q.queue_bytes() == before


def test_over_quota_evicts_least_severe_first(tmp_path: Path) -> None:
    cost = one_cost(tmp_path)
    with AlertQueue(tmp_path / "q.db", max_bytes=cost * 3) as q:
        q.append([rec(1, 1), rec(2, 3), rec(3, 2)])
        q.append([rec(4, 1)])
        assert [x.alert_id for x in q.lease(10, 10**9)] == ["id-0001", "id-0003", "id-0004"]
        assert q.counters()["evicted"] == 1


def test_same_severity_evicts_oldest_first(tmp_path: Path) -> None:
    cost = one_cost(tmp_path)
    with AlertQueue(tmp_path / "q.db", max_bytes=cost * 2) as q:
        q.append([rec(1, 2)])
        q.append([rec(2, 2)])
        q.append([rec(3, 2)])
        assert [x.alert_id for x in q.lease(10, 10**9)] == ["id-0002", "id-0003"]


def test_a_new_low_severity_alert_can_itself_be_evicted(tmp_path: Path) -> None:
    cost = one_cost(tmp_path)
    with AlertQueue(tmp_path / "q.db", max_bytes=cost * 2) as q:
        q.append([rec(1, 1), rec(2, 1)])
        assert q.append([rec(3, 4)]) == 1  # committed, then evicted: counted, not silent
        assert [x.alert_id for x in q.lease(10, 10**9)] == ["id-0001", "id-0002"]
        assert q.counters()["evicted"] == 1


def test_leased_alerts_are_never_evicted_and_not_charged(tmp_path: Path) -> None:
    cost = one_cost(tmp_path)
    with AlertQueue(tmp_path / "q.db", max_bytes=cost * 2) as q:
        q.append([rec(1, 4), rec(2, 4)])
        leased = q.lease(2, 10**9)  # maybe on the wire right now
        q.append([rec(3, 1)])
        assert [x.alert_id for x in q.lease(10, 10**9)] == ["id-0001", "id-0002", "id-0003"]
        q.ack([x.seq for x in leased])
        assert q.counters()["evicted"] == 0
        # id-0003 is still in the last lease; the bound applies to the rest again.
        q.append([rec(4, 4), rec(5, 2), rec(6, 2)])
        assert [x.alert_id for x in q.lease(10, 10**9)] == ["id-0003", "id-0005", "id-0006"]


def test_evicted_count_survives_reopen(tmp_path: Path) -> None:
    cost = one_cost(tmp_path)
    with AlertQueue(tmp_path / "q.db", max_bytes=cost) as q:
        q.append([rec(1), rec(2), rec(3)])
    with AlertQueue(tmp_path / "q.db") as q:
        assert q.counters()["evicted"] == 2


def test_migration_from_v1_backfills_severity(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    con = sqlite3.connect(path)
    from agent.buffer.tables import MIGRATIONS
    con.executescript(MIGRATIONS[0][1] + "PRAGMA user_version = 1;")
    con.execute("INSERT INTO queue (alert_id, record, size, enqueued_at) VALUES "
                "('a', '{\"alert\":{\"severity\":1}}', 10, 0), ('b', '{}', 2, 0)")
    con.commit()
    con.close()
    assert migrate(path) == 1
    con = sqlite3.connect(path)
    assert con.execute("SELECT alert_id, severity FROM queue ORDER BY seq").fetchall() == [
        ("a", 1), ("b", 3)]
    con.close()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=30),
       st.integers(min_value=1, max_value=10))
def test_quota_keeps_the_most_severe(tmp_path_factory, severities: list[int],
                                     room: int) -> None:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("quota")
    cost = one_cost(tmp)
    with AlertQueue(tmp / "q.db", max_bytes=cost * room) as q:
        for i, sev in enumerate(severities):
            q.append([rec(i, sev)])
        kept = q.lease(1000, 10**9)
        evicted = q.counters()["evicted"]
    assert len(kept) + evicted == len(severities)
    assert len(kept) == min(room, len(severities))
    kept_ids = {x.alert_id for x in kept}
    dropped = [s for i, s in enumerate(severities) if f"id-{i:04d}" not in kept_ids]
    # Nothing kept is less severe (a higher number) than anything evicted.
    if dropped:
        assert max(x.record["alert"]["severity"] for x in kept) <= min(dropped)  # type: ignore[index]
