"""agent.buffer.store: append / lease / ack / poison / counters on a real SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from agent.buffer.store import AlertQueue
from agent.buffer.tables import SCHEMA_VERSION
from yamori.errors import QueueError


def rec(n: int, **extra: object) -> dict[str, object]:
    return {"alert_id": f"id-{n:04d}", "event_type": "alert", "n": n, **extra}


@pytest.fixture
def queue(tmp_path: Path):
    q = AlertQueue(tmp_path / "queue.db")
    yield q
    q.close()


def test_append_returns_number_of_new_records(queue: AlertQueue) -> None:
    assert queue.append([rec(1), rec(2), rec(3)]) == 3
    assert queue.depth() == 3


def test_lease_returns_oldest_first_with_record_and_size(queue: AlertQueue) -> None:
    queue.append([rec(1), rec(2)])
    queue.append([rec(3)])
    leased = queue.lease(10, 1_000_000)
    assert [q.alert_id for q in leased] == ["id-0001", "id-0002", "id-0003"]
    assert leased[0].record == rec(1)
    assert all(q.size > 0 for q in leased)
    assert [q.seq for q in leased] == sorted(q.seq for q in leased)


def test_lease_respects_max_records(queue: AlertQueue) -> None:
    queue.append([rec(i) for i in range(10)])
    assert [q.record["n"] for q in queue.lease(4, 1_000_000)] == [0, 1, 2, 3]


def test_lease_respects_max_bytes(queue: AlertQueue) -> None:
    queue.append([rec(i) for i in range(10)])
    one = queue.lease(1, 1_000_000)[0].size
    assert len(queue.lease(10, one * 3)) == 3


def test_lease_returns_an_oversized_record_alone(queue: AlertQueue) -> None:
    queue.append([rec(1, blob="x" * 5000), rec(2)])
    leased = queue.lease(10, 100)
    assert [q.alert_id for q in leased] == ["id-0001"]


def test_lease_does_not_remove(queue: AlertQueue) -> None:
    queue.append([rec(1)])
    queue.lease(10, 1_000_000)
    assert queue.depth() == 1


def test_ack_deletes_only_given_seqs(queue: AlertQueue) -> None:
    queue.append([rec(i) for i in range(5)])
    leased = queue.lease(2, 1_000_000)
    assert queue.ack([q.seq for q in leased]) == 2
    assert [q.record["n"] for q in queue.lease(10, 1_000_000)] == [2, 3, 4]


def test_ack_of_unknown_seq_is_ignored(queue: AlertQueue) -> None:
    queue.append([rec(1)])
    assert queue.ack([999]) == 0
    assert queue.depth() == 1


def test_duplicate_alert_id_is_ignored(queue: AlertQueue) -> None:
    queue.append([rec(1)])
    assert queue.append([rec(1, changed=True), rec(2)]) == 1
    leased = queue.lease(10, 1_000_000)
    assert [q.alert_id for q in leased] == ["id-0001", "id-0002"]
    assert "changed" not in leased[0].record


def test_duplicate_within_one_append_is_stored_once(queue: AlertQueue) -> None:
    assert queue.append([rec(1), rec(1)]) == 1


def test_record_without_alert_id_is_refused_and_nothing_written(queue: AlertQueue) -> None:
    with pytest.raises(ValueError):
        queue.append([rec(1), {"event_type": "alert"}])
    assert queue.depth() == 0


def test_queue_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    with AlertQueue(path) as q:
        q.append([rec(1), rec(2)])
        q.ack([q.lease(1, 1_000_000)[0].seq])
    with AlertQueue(path) as q:
        assert [x.alert_id for x in q.lease(10, 1_000_000)] == ["id-0002"]
        assert q.counters()["appended"] == 2
        assert q.counters()["acked"] == 1


def test_seqs_are_not_reused_after_ack(queue: AlertQueue) -> None:
    queue.append([rec(1)])
    first = queue.lease(1, 1_000_000)[0].seq
    queue.ack([first])
    queue.append([rec(2)])
    assert queue.lease(1, 1_000_000)[0].seq > first


def test_counters_track_appended_acked_and_poison(queue: AlertQueue) -> None:
    queue.append([rec(1), rec(2), rec(3)])
    a, b, _ = queue.lease(3, 1_000_000)
    queue.ack([a.seq])
    queue.move_to_poison([b.seq], "422: bad")
    assert queue.counters() == {"appended": 3, "acked": 1, "poison": 1, "evicted": 0,
                                "corrupt": 0, "sent": 0, "duplicates": 0}


def test_poisoned_record_is_kept_with_reason(queue: AlertQueue) -> None:
    queue.append([rec(1)])
    seq = queue.lease(1, 1_000_000)[0].seq
    assert queue.move_to_poison([seq], "422: bad") == 1
    assert queue.depth() == 0
    [kept] = queue.poisoned()
    assert (kept.alert_id, kept.record, kept.reason) == ("id-0001", rec(1), "422: bad")


def test_oldest_age_uses_enqueue_time(tmp_path: Path) -> None:
    now = [1000.0]
    with AlertQueue(tmp_path / "q.db", clock=lambda: now[0]) as q:
        assert q.oldest_age() is None
        q.append([rec(1)])
        now[0] = 1012.5
        q.append([rec(2)])
        assert q.oldest_age(1020.0) == 20.0


def test_max_depth_evicts_oldest_and_counts(tmp_path: Path) -> None:
    with AlertQueue(tmp_path / "q.db", max_depth=3) as q:
        q.append([rec(i) for i in range(5)])
        assert [x.record["n"] for x in q.lease(10, 1_000_000)] == [2, 3, 4]
        assert q.counters()["evicted"] == 2


def test_file_uses_wal_and_full_sync(queue: AlertQueue) -> None:
    with queue._db() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_schema_version_recorded(queue: AlertQueue) -> None:
    con = sqlite3.connect(queue.path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_newer_schema_is_refused_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(QueueError, match="newer"):
        AlertQueue(path)
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_closed_queue_raises_queue_error(tmp_path: Path) -> None:
    q = AlertQueue(tmp_path / "q.db")
    q.close()
    with pytest.raises(QueueError):
        q.depth()


def test_writer_and_shipper_threads_lose_nothing(queue: AlertQueue) -> None:
    acked: list[str] = []
    done = threading.Event()

    def writer() -> None:
        for i in range(200):
            queue.append([rec(i)])
        done.set()

    def shipper() -> None:
        while not (done.is_set() and queue.depth() == 0):
            leased = queue.lease(7, 1_000_000)
            queue.ack([x.seq for x in leased])
            acked.extend(x.alert_id for x in leased)

    threads = [threading.Thread(target=writer), threading.Thread(target=shipper)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=20)
    assert acked == [f"id-{i:04d}" for i in range(200)]


def test_leased_text_is_the_compact_json_queued(queue: AlertQueue) -> None:
    queue.append([rec(1, note="é")])
    leased = queue.lease(1, 1_000_000)[0]
    assert leased.text == '{"alert_id":"id-0001","event_type":"alert","n":1,"note":"é"}'
    assert leased.size == len(leased.text.encode())


def test_poisoned_row_that_is_not_json_is_shown_as_text(queue: AlertQueue,
                                                        tmp_path: Path) -> None:
    queue.append([rec(1)])
    con = sqlite3.connect(tmp_path / "queue.db")
    with con:
        con.execute("UPDATE queue SET record = '{oops'")
    con.close()
    queue.move_to_poison([queue.lease(1, 1_000_000)[0].seq], "unreadable")
    assert queue.poisoned()[0].record == {"text": "{oops"}
