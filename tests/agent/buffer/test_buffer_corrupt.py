"""agent.buffer: an unreadable queue file is moved aside, counted, and replaced."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from agent.buffer.store import AlertQueue


def test_non_sqlite_file_is_moved_aside_and_counted(tmp_path: Path, caplog) -> None:
    path = tmp_path / "queue.db"
    path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.ERROR), AlertQueue(path) as q:
        assert q.depth() == 0
        assert q.counters()["corrupt"] == 1
    aside = list(tmp_path.glob("queue.db.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == b"this is not a database" * 100
    assert "unreadable" in caplog.text


def test_corrupt_count_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    path.write_bytes(b"\x00garbage" * 512)
    AlertQueue(path).close()
    with AlertQueue(path) as q:
        assert q.counters()["corrupt"] == 1


def test_failing_quick_check_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    with AlertQueue(path) as q:
        q.append([{"alert_id": f"a{i}", "pad": "x" * 500} for i in range(200)])
    _scribble_over_pages(path)
    with AlertQueue(path) as q:
        assert q.counters()["corrupt"] == 1
        assert q.depth() == 0
    assert list(tmp_path.glob("queue.db.corrupt-*"))


def test_second_corruption_in_same_second_keeps_both_files(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    for _ in range(2):
        path.write_bytes(b"junk" * 1000)
        AlertQueue(path).close()
    aside = [
        p for p in tmp_path.glob("queue.db.corrupt-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert len(aside) == 2


def test_healthy_file_is_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    with AlertQueue(path) as q:
        q.append([{"alert_id": "a"}])
    with AlertQueue(path) as q:
        assert q.depth() == 1
        assert q.counters()["corrupt"] == 0
    assert not list(tmp_path.glob("*.corrupt-*"))


def _scribble_over_pages(path: Path) -> None:
    # Fold the WAL into the main file first so the damage is in what is read.
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    # Keep the 100-byte header (still "a database"), smash b-tree pages 2..n.
    for offset in range(page, len(data), 97):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
