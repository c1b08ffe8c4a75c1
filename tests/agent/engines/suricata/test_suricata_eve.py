"""The EVE follower: line splitting, bookmarks, appends, rotation, truncation."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from agent.engines.suricata.eve import Bookmark, EveFollower, parse_record, split_lines

chunks = st.lists(st.binary(max_size=40), max_size=8)


@given(chunks)
def test_split_lines_loses_and_adds_nothing(parts: list[bytes]) -> None:
    data = b"".join(parts)
    lines, rest = split_lines(data)
    assert b"".join(line + b"\n" for line in lines) + rest == data


@given(chunks)
def test_split_lines_in_pieces_equals_all_at_once(parts: list[bytes]) -> None:
    pending, got = b"", []
    for part in parts:
        lines, pending = split_lines(pending + part)
        got += lines
    assert (got, pending) == split_lines(b"".join(parts))


@given(st.binary(max_size=200))
def test_parse_record_never_raises(line: bytes) -> None:
    record = parse_record(line)
    assert record is None or isinstance(record, dict)


def _line(n: int) -> bytes:
    return json.dumps({"event_type": "alert", "n": n}).encode() + b"\n"


def _ns(follower: EveFollower) -> list[int]:
    return [record["n"] for record, _ in follower.poll()]


def test_follows_appends(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_line(1))
    follower = EveFollower(eve)
    assert _ns(follower) == [1]
    with eve.open("ab") as fh:
        fh.write(_line(2) + _line(3))
    assert _ns(follower) == [2, 3]


def test_partial_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    whole = _line(1)
    eve.write_bytes(whole[:10])
    follower = EveFollower(eve)
    assert _ns(follower) == []
    with eve.open("ab") as fh:
        fh.write(whole[10:])
    assert _ns(follower) == [1] and follower.malformed == 0


def test_malformed_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_line(1) + b'{"event_type": "al\n' + b"[1,2]\n" + _line(2))
    follower = EveFollower(eve)
    assert _ns(follower) == [1, 2] and follower.malformed == 2


def test_bookmark_points_after_its_line(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_line(1) + _line(2))
    marks = [mark for _, mark in EveFollower(eve).poll()]
    st = os.stat(eve)
    assert marks[-1] == Bookmark(st.st_dev, st.st_ino, eve.stat().st_size)
    assert marks[0].offset == len(_line(1))


def test_resumes_from_bookmark(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_line(1) + _line(2))
    first = list(EveFollower(eve).poll())
    with eve.open("ab") as fh:
        fh.write(_line(3))
    assert _ns(EveFollower(eve, first[0][1])) == [2, 3]


def test_rotation_finishes_old_file_then_reads_new(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_line(1))
    follower = EveFollower(eve)
    assert _ns(follower) == [1]
    with eve.open("ab") as fh:
        fh.write(_line(2))  # written just before the rotation
    eve.rename(tmp_path / "eve.json.1")
    eve.write_bytes(_line(3))
    assert _ns(follower) == [2, 3] and follower.rotations == 1


def test_truncation_starts_over(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_line(1) + _line(2))
    follower = EveFollower(eve)
    assert _ns(follower) == [1, 2]
    eve.write_bytes(_line(3))  # truncate in place (copytruncate), same inode
    assert _ns(follower) == [3]


def test_bookmark_of_a_rotated_file_reads_new_file_from_start(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(_line(1))
    mark = list(EveFollower(eve).poll())[-1][1]
    eve.rename(tmp_path / "eve.json.1")
    eve.write_bytes(_line(2) + _line(3))
    assert _ns(EveFollower(eve, mark)) == [2, 3]


def test_missing_file_yields_nothing(tmp_path: Path) -> None:
    assert _ns(EveFollower(tmp_path / "absent.json")) == []
