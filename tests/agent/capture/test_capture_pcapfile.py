"""PcapFileSource: classic pcap and pcapng, both byte orders, truncation, garbage."""

from __future__ import annotations

import logging
import struct
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import PcapNgWriter, PcapWriter

from agent.capture.pcapfile import PcapFileSource
from agent.decode.packet import LINKTYPE_ETHERNET, LINKTYPE_RAW
from yamori.errors import CaptureError

FRAMES = [bytes(Ether() / IP() / UDP(dport=53 + i) / b"x") for i in range(3)]


def _classic(path: Path, endian: str, nano: bool, linktype: int = 1) -> Path:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for i, frame in enumerate(FRAMES):
        frac = 500_000_000 if nano else 500_000
        out += struct.pack(endian + "IIII", 1000 + i, frac, len(frame), len(frame)) + frame
    path.write_bytes(out)
    return path


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
def test_classic_pcap(tmp_path: Path, endian: str, nano: bool) -> None:
    src = PcapFileSource(_classic(tmp_path / "a.pcap", endian, nano))
    pkts = list(src.packets())
    src.close()
    assert [p.raw for p in pkts] == FRAMES
    assert [p.pcap_cnt for p in pkts] == [1, 2, 3]
    assert pkts[1].ts == pytest.approx(1001.5) and pkts[0].linktype == LINKTYPE_ETHERNET


def test_scapy_written_pcap(tmp_path: Path) -> None:
    path = tmp_path / "s.pcap"
    with PcapWriter(str(path)) as w:
        for f in FRAMES:
            w.write(Ether(f))
    assert [p.raw for p in PcapFileSource(path).packets()] == FRAMES


def test_scapy_written_pcapng(tmp_path: Path) -> None:
    path = tmp_path / "s.pcapng"
    with PcapNgWriter(str(path)) as w:
        for i, f in enumerate(FRAMES):
            pkt = Ether(f)
            pkt.time = 2000 + i
            w.write(pkt)
    pkts = list(PcapFileSource(path).packets())
    assert [p.raw for p in pkts] == FRAMES and pkts[2].ts == pytest.approx(2002)


def _block(endian: str, btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    total = len(body) + 12
    return struct.pack(endian + "II", btype, total) + body + struct.pack(endian + "I", total)


def _pcapng(endian: str) -> bytes:
    shb = _block(endian, 0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    tsresol = struct.pack(endian + "HH", 9, 1) + bytes([9]) + b"\x00" * 3  # nanoseconds
    idb0 = _block(endian, 1, struct.pack(endian + "HHI", LINKTYPE_ETHERNET, 0, 0) + tsresol)
    idb1 = _block(endian, 1, struct.pack(endian + "HHI", LINKTYPE_RAW, 0, 0))
    ip = bytes(IP() / UDP())
    ts_ns = 1_700_000_000_250_000_000
    epb = _block(
        endian,
        6,
        struct.pack(endian + "IIIII", 0, ts_ns >> 32, ts_ns & 0xFFFFFFFF, len(FRAMES[0]), 99)
        + FRAMES[0],
    )
    epb_raw = _block(
        endian, 6, struct.pack(endian + "IIIII", 1, 0, 3_000_000, len(ip), len(ip)) + ip
    )
    spb = _block(endian, 3, struct.pack(endian + "I", len(FRAMES[1])) + FRAMES[1])
    unknown = _block(endian, 0x0BAD, b"ignored")
    return shb + idb0 + idb1 + epb + unknown + epb_raw + spb


@pytest.mark.parametrize("endian", ["<", ">"])
def test_pcapng_interfaces_and_resolution(tmp_path: Path, endian: str) -> None:
    path = tmp_path / "x.pcapng"
    path.write_bytes(_pcapng(endian))
    pkts = list(PcapFileSource(path).packets())
    assert [p.linktype for p in pkts] == [LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_ETHERNET]
    assert pkts[0].ts == pytest.approx(1_700_000_000.25)
    assert pkts[1].ts == pytest.approx(3.0)  # default microsecond resolution
    assert pkts[2].raw == FRAMES[1] and [p.pcap_cnt for p in pkts] == [1, 2, 3]


def test_truncated_pcap_stops_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _classic(tmp_path / "t.pcap", "<", False)
    path.write_bytes(path.read_bytes()[:-5])
    with caplog.at_level(logging.WARNING):
        pkts = list(PcapFileSource(path).packets())
    assert len(pkts) == 2 and "truncated" in caplog.text


def test_truncated_pcapng_stops_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.pcapng"
    path.write_bytes(_pcapng("<")[:-7])
    with caplog.at_level(logging.WARNING):
        pkts = list(PcapFileSource(path).packets())
    assert len(pkts) == 2 and "truncated" in caplog.text


def test_not_a_capture_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello world")
    with pytest.raises(CaptureError, match="not a pcap or pcapng"):
        PcapFileSource(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="cannot open"):
        PcapFileSource(tmp_path / "absent.pcap")


def test_realtime_reproduces_gaps(tmp_path: Path) -> None:
    import time

    path = tmp_path / "gap.pcap"
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for usec in (0, 200_000):
        out += struct.pack("<IIII", 10, usec, len(FRAMES[0]), len(FRAMES[0])) + FRAMES[0]
    path.write_bytes(out)
    start = time.monotonic()
    assert len(list(PcapFileSource(path, realtime=True).packets())) == 2
    assert time.monotonic() - start >= 0.19
