"""Follow Suricata's eve.json as it grows, with a bookmark.

Owns: splitting the file into complete JSON lines, the (device, inode,
offset) bookmark after each record, rotation (inode change) and truncation,
and resuming a bookmark that points into an already rotated file (found among
the `rotated` paths by its identity: that file is finished first).
A partial last line without its newline is left for the next read; a line
that is not a JSON object is skipped and counted. When a writer was killed
mid-line and the next record was appended to the fragment, the record is
recovered from the fragment's tail. Nothing here raises on bad data. It does
not commit the bookmark anywhere: the caller stores it with the alerts it
queued, and resumes from it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EveRecord = dict[str, Any]
_READ_SIZE = 1 << 16
# Every EVE record Suricata writes starts with its timestamp.
_RECORD_START = b'{"timestamp":'


@dataclass(slots=True, frozen=True)
class Bookmark:
    """Where the next unread line starts, in which file."""

    device: int
    inode: int
    offset: int


def split_lines(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete lines (newline removed) and the unfinished rest of `buffer`."""
    *lines, rest = buffer.split(b"\n")
    return lines, rest


def parse_record(line: bytes) -> EveRecord | None:
    """The JSON object on one EVE line, None if it is not one."""
    text = line.strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def recover_record(line: bytes) -> EveRecord | None:
    """The whole record at the end of a line that starts with a torn one.

    A Suricata killed mid-write leaves a fragment without a newline; the next
    Suricata appends its first record to it. That record is whole, so it is
    parsed from the last record start in the line.
    """
    start = line.rfind(_RECORD_START)
    return parse_record(line[start:]) if start > 0 else None


class EveFollower:
    """Yield (record, bookmark) for each EVE line, following appends and rotation."""

    def __init__(self, path: Path, bookmark: Bookmark | None = None,
                 rotated: Sequence[Path] = ()) -> None:
        self.path = Path(path)
        self.bookmark = bookmark
        self.rotated = [Path(p) for p in rotated]  # where a rotated-away eve.json may be
        self.malformed = 0  # lines skipped because they were not a JSON object
        self.rotations = 0
        self._fh: Any = None
        self._ident: tuple[int, int] | None = None
        self._offset = 0
        self._pending = b""

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def poll(self) -> Iterator[tuple[EveRecord, Bookmark]]:
        """Everything complete that is readable now; returns when caught up."""
        if self._fh is None and not (self._open_rotated() or self._open(self.path)):
            return
        yield from self._drain()
        if self._rotated_or_truncated():
            yield from self._drain()  # finish the old file before switching
            self._reopen()
            yield from self._drain()

    def _open_rotated(self) -> bool:
        """Resume inside the rotated file the bookmark names, if it is not the current one."""
        mark = self.bookmark
        if mark is None or _identity(self.path) == (mark.device, mark.inode):
            return False
        for path in self.rotated:
            if _identity(path) == (mark.device, mark.inode):
                log.info("eve: finishing rotated %s from offset %d", path, mark.offset)
                return self._open(path)
        return False

    def _open(self, path: Path) -> bool:
        try:
            fh = path.open("rb")
        except OSError:
            return False
        st = os.fstat(fh.fileno())
        self._fh, self._ident, self._pending = fh, (st.st_dev, st.st_ino), b""
        self._offset = self._resume_offset(st)
        fh.seek(self._offset)
        return True

    def _resume_offset(self, st: os.stat_result) -> int:
        mark = self.bookmark
        if mark is None or (mark.device, mark.inode) != (st.st_dev, st.st_ino):
            # A bookmark for another file means that file was rotated away
            # (or is gone): the current file is all new to us.
            return 0
        return mark.offset if mark.offset <= st.st_size else 0

    def _reopen(self) -> None:
        self.close()
        self.rotations += 1
        self.bookmark = None
        self._open(self.path)

    def _rotated_or_truncated(self) -> bool:
        try:
            st = self.path.stat()
        except OSError:
            return False  # rotated away and not yet re-created: keep the old one
        if (st.st_dev, st.st_ino) != self._ident:
            return True
        return st.st_size < self._offset + len(self._pending)

    def _drain(self) -> Iterator[tuple[EveRecord, Bookmark]]:
        while self._fh is not None:
            chunk = self._fh.read(_READ_SIZE)
            if not chunk:
                return
            lines, self._pending = split_lines(self._pending + chunk)
            yield from self._records(lines)

    def _records(self, lines: list[bytes]) -> Iterator[tuple[EveRecord, Bookmark]]:
        assert self._ident is not None
        for line in lines:
            self._offset += len(line) + 1
            record = parse_record(line)
            if record is None and line.strip():
                self.malformed += 1
                log.debug("eve: skipped a malformed line at offset %d", self._offset)
                record = recover_record(line)
            if record is None:
                continue
            self.bookmark = Bookmark(self._ident[0], self._ident[1], self._offset)
            yield record, self.bookmark


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino
