"""Read classic pcap and pcapng capture files into Packet records.

The reader is written by hand with precompiled `struct.Struct`s rather than
using scapy's: scapy builds a full packet object per frame and is far
slower, and pcapng files can mix link types per interface, which we keep
per packet. Supported: classic pcap (both byte orders, micro- and nanosecond
magic) and pcapng (SHB, IDB with if_tsresol/if_tsoffset, EPB, SPB, OPB; both
byte orders; several sections). Compressed (.gz) files are not supported.

A file that is neither format raises CaptureError on open. A file that ends
mid-record ends iteration with a logged warning, as tcpdump/Suricata do.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from agent.capture import _pcapng
from agent.capture._pcapng import PCAPNG_SHB, read_exact
from agent.decode.packet import Packet
from yamori.errors import CaptureError

log = logging.getLogger(__name__)

_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_READ_BUFFER = 1 << 20


class PcapFileSource:
    """A capture file as a packet source; `realtime` replays recorded gaps."""

    def __init__(self, path: Path, realtime: bool = False) -> None:
        self.path = Path(path)
        self.realtime = realtime
        try:
            self._fh: BinaryIO = open(self.path, "rb", buffering=_READ_BUFFER)  # noqa: SIM115
        except OSError as exc:
            raise CaptureError(f"cannot open capture file {self.path}: {exc}") from exc
        head = self._fh.read(4)
        self._format = self._detect(head)
        self._head = head

    def _detect(self, head: bytes) -> str:
        if head in _PCAP_MAGIC:
            return "pcap"
        if head == PCAPNG_SHB:
            return "pcapng"
        self._fh.close()
        shown = head.hex() or "empty file"
        raise CaptureError(f"{self.path} is not a pcap or pcapng file (starts with {shown})")

    def packets(self) -> Iterator[Packet]:
        """Yield the file's packets with 1-based pcap_cnt."""
        if self._format == "pcap":
            records = _classic_records(self._fh, self._head, self.path)
        else:
            records = _pcapng.records(self._fh, self.path)
        pacer = _Pacer() if self.realtime else None
        cnt = 0
        for ts, raw, linktype in records:
            cnt += 1
            if pacer is not None:
                pacer.wait(ts)
            yield Packet(ts=ts, raw=raw, linktype=linktype, pcap_cnt=cnt)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> PcapFileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _classic_records(
    fh: BinaryIO, magic: bytes, path: Path
) -> Iterator[tuple[float, bytes, int]]:
    """Records of a classic pcap file whose 4 magic bytes were already read."""
    order, resolution = _PCAP_MAGIC[magic]
    rest = read_exact(fh, 20)
    if rest is None:
        log.warning("%s: truncated pcap file header", path)
        return
    linktype = struct.unpack(order + "HHiIII", rest)[5] & 0xFFFF  # upper bits: FCS info
    rec = struct.Struct(order + "IIII")  # ts_sec, ts_frac, incl_len, orig_len
    while True:
        hdr = fh.read(16)
        if len(hdr) < 16:
            if hdr:
                log.warning("%s: truncated record header at end of file", path)
            return
        sec, frac, incl, _orig = rec.unpack(hdr)
        raw = fh.read(incl)
        if len(raw) < incl:
            log.warning("%s: truncated packet data at end of file", path)
            return
        yield sec + frac * resolution, raw, linktype


class _Pacer:
    """Sleeps so packets come out with their recorded inter-packet gaps."""

    def __init__(self) -> None:
        self._first_ts: float | None = None
        self._start = 0.0

    def wait(self, ts: float) -> None:
        now = time.monotonic()
        if self._first_ts is None:
            self._first_ts, self._start = ts, now
            return
        delay = (ts - self._first_ts) - (now - self._start)
        if delay > 0:
            time.sleep(delay)
