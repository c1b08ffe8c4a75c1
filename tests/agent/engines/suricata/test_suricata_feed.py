"""eve.json -> queue with a committed bookmark: exactly once across crashes and rotation."""

from __future__ import annotations

import json
import os
from pathlib import Path

from agent.buffer.store import AlertQueue
from agent.engines.suricata.feed import CURSOR_NAME, Enricher, EveFeed, decode_bookmark


def _alert(n: int) -> bytes:
    record = {"timestamp": f"2024-05-01T02:13:{n % 60:02d}.0+0900", "event_type": "alert",
              "flow_id": n, "alert": {"signature_id": 1, "gid": 1}}
    return json.dumps(record).encode() + b"\n"


def _stats() -> bytes:
    return b'{"timestamp":"2024-05-01T02:13:00.0+0900","event_type":"stats","stats":{}}\n'


def _flows(queue: AlertQueue) -> list[int]:
    return [q.record["flow_id"] for q in queue.lease(10_000, 10**9)]


def _feed(eve: Path, queue: AlertQueue) -> EveFeed:
    return EveFeed(eve, queue, Enricher("pi-1", "tanaka"), rotated=[eve.with_suffix(".json.1")])


def test_alerts_get_yamori_fields_beside_suricatas(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_alert(1) + _stats())
    with AlertQueue(tmp_path / "q.sqlite") as queue:
        assert _feed(eve, queue).poll() == 1
        record = queue.lease(1, 10**9)[0].record
    assert record["sensor_id"] == "pi-1" and record["tenant"] == "tanaka"
    assert record["alert_id"] and record["alert"] == {"signature_id": 1, "gid": 1}


def test_a_new_feed_resumes_after_the_committed_bookmark(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_alert(1) + _alert(2))
    with AlertQueue(tmp_path / "q.sqlite") as queue:
        _feed(eve, queue).poll()  # then the agent "crashes": no close
        with eve.open("ab") as fh:
            fh.write(_alert(3))
        _feed(eve, queue).poll()
        assert _flows(queue) == [1, 2, 3]


def test_a_bookmark_in_the_rotated_file_finishes_it_first(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_alert(1))
    with AlertQueue(tmp_path / "q.sqlite") as queue:
        _feed(eve, queue).poll()
        with eve.open("ab") as fh:
            fh.write(_alert(2))  # written, not yet read, when the agent died
        os.replace(eve, tmp_path / "eve.json.1")
        eve.write_bytes(_alert(3))
        _feed(eve, queue).poll()
        assert _flows(queue) == [1, 2, 3]
        mark = decode_bookmark(queue.get_cursor(CURSOR_NAME))
        assert mark is not None and mark.inode == eve.stat().st_ino


def test_a_torn_line_is_counted_and_the_next_record_kept(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_alert(1)[:25] + _alert(2) + b"not json\n" + _alert(3))
    with AlertQueue(tmp_path / "q.sqlite") as queue:
        feed = _feed(eve, queue)
        feed.poll()
        assert _flows(queue) == [2, 3]
        assert feed.malformed == 2


def test_an_unreadable_cursor_reads_from_the_start(tmp_path: Path) -> None:
    assert decode_bookmark("garbage") is None
    assert decode_bookmark(None) is None
