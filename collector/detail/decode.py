"""An alert's evidence: its `packet` dissected by tshark, and hex dumps of packet and payload.

Owns: reading Suricata's evidence fields out of a stored EVE record
(`packet` with `packet_info.linktype`, `payload`; base64, checked), the hex +
printable dump (16 bytes a line), and dissecting one frame with tshark through
pyshark. The frame is written as a one-packet pcap to a temporary file and
read with `FileCapture` in PDML mode (which gives every field's showname, the
line Wireshark shows), in an event loop of its own so that any thread may
call it, with a timeout, and at most `max_concurrent` tshark processes at a
time. Dissections are cached per alert in a small LRU: a stored alert never
changes. Does not own: where alerts come from, HTTP, or the rule text.

Evidence is data, as malformed packets are in the agent: a missing,
malformed or oversized packet, a missing tshark, or one that fails or times
out, is an answer (`available: false` with a reason, or a `dissection_error`
beside the hex dump), never an exception.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import shutil
import struct
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pyshark

from collector.detail.schemas import HexLine, PacketView, PayloadView, ProtoField, ProtoLayer

log = logging.getLogger(__name__)

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 12  # what Suricata logs for raw IP (libpcap's DLT_RAW on Linux)
PSEUDO_PACKET_NOTE = ("Suricata raised this alert on a pseudo-packet (flow end or stream "
                      "inspection): its `packet` is IP and TCP headers only, without the "
                      "Ethernet header its link type claims, so it is dissected as raw IP; "
                      "the triggering bytes are in the payload")
# Larger than any frame Suricata copies (64 KiB reassembled GRO frames included).
MAX_FRAME_BYTES = 256 * 1024
DEFAULT_TIMEOUT = 10.0
DEFAULT_CACHE_SIZE = 128
BYTES_PER_LINE = 16

_PCAP_HEADER = struct.Struct("<IHHiIII")  # magic, version, zone, sigfigs, snaplen, linktype
_PCAP_RECORD = struct.Struct("<IIII")  # seconds, microseconds, captured length, wire length
_PCAP_MAGIC = 0xA1B2C3D4
_ASCII = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))


class NoEvidence(Exception):
    """An evidence field that is absent or cannot be read; the message says which and why."""


class DissectionFailed(Exception):
    """tshark could not dissect a frame; the message says why, for the analyst.

    `transient` failures (a timeout under load) may not happen on the next
    try, so their answer is not cached.
    """

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


# --- hex dump -----------------------------------------------------------------


def hexdump(data: bytes) -> list[HexLine]:
    """16 bytes a line: offset, hex (two groups of 8) and printable ASCII ('.' for the rest)."""
    lines = []
    for offset in range(0, len(data), BYTES_PER_LINE):
        chunk = data[offset:offset + BYTES_PER_LINE]
        left, right = chunk[:8].hex(" "), chunk[8:].hex(" ")
        lines.append(HexLine(offset=offset, hex=f"{left}  {right}".rstrip(),
                             ascii=chunk.translate(_ASCII).decode("ascii")))
    return lines


def hexdump_text(lines: list[HexLine]) -> str:
    """The dump as text, one line per 16 bytes: `0010  47 45 …  GET /ind…`."""
    return "\n".join(f"{line.offset:04x}  {line.hex:<48}  {line.ascii}" for line in lines)


# --- reading the evidence fields -----------------------------------------------


def _base64_field(eve: Mapping[str, Any], name: str) -> bytes:
    text = eve.get(name)
    if text is None:
        raise NoEvidence(f"the alert carries no {name} (the sensor did not send one)")
    if not isinstance(text, str):
        raise NoEvidence(f"{name} is not a base64 string")
    if len(text) > 4 * ((MAX_FRAME_BYTES + 2) // 3):
        raise NoEvidence(f"{name} is larger than {MAX_FRAME_BYTES} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoEvidence(f"{name} is not valid base64: {exc}") from None
    if not data:
        raise NoEvidence(f"{name} is empty")
    return data


def read_packet(eve: Mapping[str, Any]) -> tuple[bytes, int]:
    """The frame and its pcap link type; Ethernet when `packet_info` is absent."""
    frame = _base64_field(eve, "packet")
    info = eve.get("packet_info", {})
    linktype = info.get("linktype", LINKTYPE_ETHERNET) if isinstance(info, dict) else None
    if isinstance(linktype, bool) or not isinstance(linktype, int) or not 0 <= linktype <= 0xFFFF:
        raise NoEvidence(f"packet_info.linktype is not a link type number: {linktype!r}")
    return frame, linktype


def is_bare_ip(frame: bytes) -> bool:
    """True when `frame` is exactly one IPv4 or IPv6 packet, without a link header.

    Suricata logs its flow-end pseudo-packets that way under link type 1. A
    real Ethernet frame starting like this would need a multicast destination
    MAC (0x4_/0x6_ with the group bit) and the IP length in bytes 2-3 or 4-5.
    """
    if len(frame) >= 20 and frame[0] >> 4 == 4 and frame[0] & 0x0F >= 5:
        return int.from_bytes(frame[2:4], "big") == len(frame)
    if len(frame) >= 40 and frame[0] >> 4 == 6:
        return 40 + int.from_bytes(frame[4:6], "big") == len(frame)
    return False


def payload_view(eve: Mapping[str, Any]) -> PayloadView:
    """The `payload` field dumped, with Suricata's own `payload_printable` when sent."""
    try:
        data = _base64_field(eve, "payload")
    except NoEvidence as why:
        return PayloadView(available=False, reason=str(why))
    printable = eve.get("payload_printable")
    return PayloadView(available=True, length=len(data), hexdump=hexdump(data),
                       printable=printable if isinstance(printable, str) else None)


def one_packet_pcap(frame: bytes, linktype: int, ts: float = 0.0) -> bytes:
    """A classic little-endian pcap file holding `frame` alone."""
    seconds = max(0, min(int(ts), 0xFFFFFFFF))
    micros = max(0, min(int((ts - int(ts)) * 1_000_000), 999_999))
    return (_PCAP_HEADER.pack(_PCAP_MAGIC, 2, 4, 0, 0, MAX_FRAME_BYTES, linktype)
            + _PCAP_RECORD.pack(seconds, micros, len(frame), len(frame)) + frame)


def eve_epoch(eve: Mapping[str, Any]) -> float:
    """The EVE timestamp as epoch seconds (0 when unreadable), for the frame's time."""
    try:
        return datetime.fromisoformat(str(eve.get("timestamp", ""))).timestamp()
    except (ValueError, OverflowError, OSError):
        return 0.0


# --- dissection ---------------------------------------------------------------


def find_tshark() -> str | None:
    """The tshark on PATH, or None."""
    return shutil.which("tshark")


class Dissector:
    """tshark through pyshark, one frame at a time, bounded in time and in processes."""

    def __init__(self, tshark: str | None, timeout: float = DEFAULT_TIMEOUT,
                 max_concurrent: int = 2) -> None:
        self.tshark = tshark
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def dissect(self, frame: bytes, linktype: int, ts: float = 0.0) -> list[ProtoLayer]:
        """The protocol tree of one frame; DissectionFailed says why there is none."""
        if self.tshark is None:
            raise DissectionFailed("tshark is not installed on the collector")
        with self._slots, tempfile.TemporaryDirectory(prefix="yamori-detail-") as tmp:
            path = Path(tmp) / "alert.pcap"
            path.write_bytes(one_packet_pcap(frame, linktype, ts))
            return self._run(path)

    def _run(self, path: Path) -> list[ProtoLayer]:
        loop = asyncio.new_event_loop()
        capture = pyshark.FileCapture(str(path), tshark_path=self.tshark, eventloop=loop)
        try:
            capture.load_packets(packet_count=1, timeout=self.timeout)
            if len(capture) == 0 and not capture.loaded:
                raise DissectionFailed(f"tshark gave no answer within {self.timeout:g} s",
                                       transient=True)
            if len(capture) == 0:
                raise DissectionFailed("tshark read no packet from it (unsupported link type?)")
            return _layers(capture[0])
        # pyshark lets tshark's failures through as its own exceptions, asyncio's
        # and OS errors; every one of them is the same answer for the analyst.
        except DissectionFailed:
            raise
        except Exception as exc:
            log.warning("tshark failed on %s: %r", path.name, exc)
            raise DissectionFailed(f"tshark could not dissect the packet: {exc}") from None
        finally:
            _close(capture, loop)


def _close(capture: Any, loop: asyncio.AbstractEventLoop) -> None:
    try:
        capture.close()
    except Exception as exc:  # a crashed tshark is reported when closing too
        log.debug("closing tshark: %r", exc)
    finally:
        # A close that raised leaves pyshark's process set filled, and its
        # __del__ would then try to close again on this (closed) loop.
        running: set[Any] = getattr(capture, "_running_processes", set())
        for process in running:
            if process.returncode is None:
                process.kill()
        running.clear()
        loop.close()


def _layers(packet: Any) -> list[ProtoLayer]:
    layers = [packet.frame_info, *packet.layers] if packet.frame_info is not None else packet.layers
    return [ProtoLayer(name=layer.layer_name, fields=_fields(layer)) for layer in layers]


def _fields(layer: Any) -> list[ProtoField]:
    out: list[ProtoField] = []
    seen: set[int] = set()
    for name in layer.field_names:
        container = layer.get_field(name)
        if container is None or id(container) in seen:
            continue
        seen.add(id(container))
        # Hidden fields (ip.addr, tcp.port …) exist for filters; Wireshark's tree omits them.
        out += [_field(f) for f in container.all_fields if not f.hide]
    return out


def _field(f: Any) -> ProtoField:
    show = f.show or ""
    return ProtoField(name=f.name or "", showname=f.showname or show, value=show,
                      pos=_int(f.pos), size=_int(f.size))


def _int(text: Any) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


# --- the per-alert view, cached ---------------------------------------------------


class PacketDecoder:
    """Turns an alert's `packet` into a PacketView, remembering the last few."""

    def __init__(self, dissector: Dissector, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.dissector = dissector
        self.cache_size = cache_size
        self._cache: OrderedDict[str, PacketView] = OrderedDict()
        self._lock = threading.Lock()

    def packet_view(self, key: str, eve: Mapping[str, Any]) -> PacketView:
        """The packet of the alert `key` (its alert_id), dumped and dissected."""
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        view, final = self._view(eve)
        if final:
            with self._lock:
                self._cache[key] = view
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return view

    def _view(self, eve: Mapping[str, Any]) -> tuple[PacketView, bool]:
        """The view, and whether it may be cached (a timeout may not happen next time)."""
        try:
            frame, linktype = read_packet(eve)
        except NoEvidence as why:
            return PacketView(available=False, reason=str(why)), True
        view = PacketView(available=True, linktype=linktype, length=len(frame),
                          hexdump=hexdump(frame))
        if linktype == LINKTYPE_ETHERNET and is_bare_ip(frame):
            linktype, view.note = LINKTYPE_RAW, PSEUDO_PACKET_NOTE
        try:
            view.layers = self.dissector.dissect(frame, linktype, eve_epoch(eve))
        except DissectionFailed as why:
            view.dissection_error = str(why)
            return view, not why.transient
        return view, True
