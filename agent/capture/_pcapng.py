"""pcapng block parsing for pcapfile.py (kept apart to keep each module small).

Understands Section Header, Interface Description (link type, if_tsresol,
if_tsoffset), Enhanced Packet, Simple Packet and the obsolete Packet block;
other blocks are skipped. Every section may switch byte order and restarts
the interface list. Not a public API.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
_SHB = 0x0A0D0D0A
_IDB = 0x00000001
_OPB = 0x00000002  # obsolete Packet Block
_SPB = 0x00000003
_EPB = 0x00000006
_BOM_LE = b"\x4d\x3c\x2b\x1a"
_BOM_BE = b"\x1a\x2b\x3c\x4d"
_OPT_TSRESOL = 9
_OPT_TSOFFSET = 14
_MAX_BLOCK = 256 * 1024 * 1024  # refuse absurd lengths from corrupt files


@dataclass(slots=True)
class _Interface:
    linktype: int
    snaplen: int
    resolution: float = 1e-6
    offset: int = 0


def read_exact(fh: BinaryIO, n: int) -> bytes | None:
    """Read exactly n bytes, or None at a (possibly partial) end of file."""
    data = fh.read(n)
    return data if len(data) == n else None


def records(fh: BinaryIO, path: Path) -> Iterator[tuple[float, bytes, int]]:
    """(ts, raw, linktype) of every packet, after the first 4 bytes were read."""
    order = "<"
    ifaces: list[_Interface] = []
    last_ts = 0.0
    btype = _SHB
    while True:
        block = _read_block(fh, btype, order, path)
        if block is None:
            return
        if btype == _SHB:
            order, ifaces = _section_order(block), []
        elif btype == _IDB:
            ifaces.append(_interface(block, order))
        elif btype in (_EPB, _OPB, _SPB):
            rec = _packet(btype, block, order, ifaces, last_ts)
            if rec is None:
                log.warning("%s: packet block for an undeclared interface", path)
            else:
                last_ts = rec[0]
                yield rec
        head = fh.read(4)
        if len(head) < 4:
            if head:
                log.warning("%s: truncated block header at end of file", path)
            return
        btype = _SHB if head == PCAPNG_SHB else struct.unpack(order + "I", head)[0]


def _read_block(fh: BinaryIO, btype: int, order: str, path: Path) -> bytes | None:
    """The block body (after type and length, without the trailing length)."""
    raw_len = read_exact(fh, 4)
    if raw_len is None:
        log.warning("%s: truncated block at end of file", path)
        return None
    if btype == _SHB:
        # The byte-order magic follows the length, so peek it to read the length.
        bom = read_exact(fh, 4)
        if bom is None:
            log.warning("%s: truncated section header", path)
            return None
        order = "<" if bom == _BOM_LE else ">"
        prefix = bom
    else:
        prefix = b""
    total = struct.unpack(order + "I", raw_len)[0]
    if total < 12 + len(prefix) or total > _MAX_BLOCK:
        log.warning("%s: corrupt block length %d, stopping", path, total)
        return None
    rest = read_exact(fh, total - 12 - len(prefix) + 4)
    if rest is None:
        log.warning("%s: truncated block at end of file", path)
        return None
    return prefix + rest[:-4]


def _section_order(body: bytes) -> str:
    return "<" if body[0:4] == _BOM_LE else ">"


def _interface(body: bytes, order: str) -> _Interface:
    linktype, _res, snaplen = struct.unpack_from(order + "HHI", body, 0)
    iface = _Interface(linktype, snaplen)
    for code, value in _options(body, 8, order):
        if code == _OPT_TSRESOL and value:
            v = value[0]
            iface.resolution = 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0**-v
        elif code == _OPT_TSOFFSET and len(value) == 8:
            iface.offset = struct.unpack(order + "q", value)[0]
    return iface


def _options(body: bytes, off: int, order: str) -> Iterator[tuple[int, bytes]]:
    opt = struct.Struct(order + "HH")
    while off + 4 <= len(body):
        code, length = opt.unpack_from(body, off)
        if code == 0:  # opt_endofopt
            return
        yield code, body[off + 4 : off + 4 + length]
        off += 4 + ((length + 3) & ~3)


def _packet(
    btype: int, body: bytes, order: str, ifaces: list[_Interface], last_ts: float
) -> tuple[float, bytes, int] | None:
    if btype == _SPB:
        # No timestamp in an SPB; keep time monotonic rather than jump to 1970.
        if not ifaces or len(body) < 4:
            return None
        orig = struct.unpack_from(order + "I", body, 0)[0]
        caplen = min(orig, len(body) - 4, ifaces[0].snaplen or orig)
        return last_ts, body[4 : 4 + caplen], ifaces[0].linktype
    if btype == _EPB:
        if len(body) < 20:
            return None
        if_id, ts_hi, ts_lo, caplen, _orig = struct.unpack_from(order + "IIIII", body, 0)
    else:
        if len(body) < 20:
            return None
        if_id, _drops, ts_hi, ts_lo, caplen, _orig = struct.unpack_from(
            order + "HHIIII", body, 0
        )
    if if_id >= len(ifaces):
        return None
    iface = ifaces[if_id]
    ts = ((ts_hi << 32) | ts_lo) * iface.resolution + iface.offset
    return ts, body[20 : 20 + caplen], iface.linktype
