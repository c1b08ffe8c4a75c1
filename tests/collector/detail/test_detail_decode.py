"""collector/detail/decode.py: hex dumps, reading the evidence fields, and the cached dissector."""

from __future__ import annotations

import base64
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import rdpcap

from collector.detail.decode import (
    Dissector,
    NoEvidence,
    PacketDecoder,
    find_tshark,
    hexdump,
    hexdump_text,
    is_bare_ip,
    one_packet_pcap,
    payload_view,
    read_packet,
)
from collector.detail.schemas import ProtoLayer

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None,
                                  reason="tshark is not installed (Debian package tshark)")

FRAME = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
              / IP(src="192.168.1.23", dst="203.0.113.9")
              / TCP(sport=49152, dport=80, flags="PA") / Raw(b"GET / HTTP/1.1\r\n\r\n"))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- hex dump -------------------------------------------------------------------


def test_hexdump_is_16_bytes_a_line_in_two_groups() -> None:
    # 0x00..0x13: 16 bytes on the first line, 4 on the second.
    lines = hexdump(bytes(range(20)))
    assert [line.offset for line in lines] == [0, 16]
    assert lines[0].hex == "00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f"
    assert lines[1].hex == "10 11 12 13"


def test_hexdump_ascii_keeps_printables_only() -> None:
    # 'G' 'E' 'T' ' ' CR LF NUL DEL 0xff '~'
    [line] = hexdump(b"GET \r\n\x00\x7f\xff~")
    assert line.ascii == "GET .....~"


def test_hexdump_text_aligns_a_short_last_line() -> None:
    text = hexdump_text(hexdump(b"A" * 16 + b"BC"))
    first, second = text.splitlines()
    assert first == "0000  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  AAAAAAAAAAAAAAAA"
    assert second == "0010  42 43" + " " * 43 + "  BC"


def test_hexdump_of_nothing_is_empty() -> None:
    assert hexdump(b"") == [] and hexdump_text([]) == ""


# --- reading the evidence fields ------------------------------------------------------


def test_read_packet_decodes_base64_and_linktype() -> None:
    assert read_packet({"packet": b64(FRAME), "packet_info": {"linktype": 12}}) == (FRAME, 12)


def test_read_packet_without_packet_info_is_ethernet() -> None:
    assert read_packet({"packet": b64(FRAME)}) == (FRAME, 1)


@pytest.mark.parametrize(("eve", "why"), [
    ({}, "carries no packet"),
    ({"packet": 5}, "not a base64 string"),
    ({"packet": "%%%"}, "not valid base64"),
    ({"packet": "QUJD"[:3]}, "not valid base64"),
    ({"packet": ""}, "packet is empty"),
    ({"packet": "A" * 400_000}, "larger than"),
    ({"packet": "QUJD", "packet_info": {"linktype": "1"}}, "not a link type number"),
    ({"packet": "QUJD", "packet_info": {"linktype": True}}, "not a link type number"),
    ({"packet": "QUJD", "packet_info": {"linktype": -1}}, "not a link type number"),
    ({"packet": "QUJD", "packet_info": [1]}, "not a link type number"),
])
def test_unreadable_packets_say_why(eve: dict[str, Any], why: str) -> None:
    with pytest.raises(NoEvidence, match=why):
        read_packet(eve)


def test_payload_view_dumps_and_keeps_suricatas_printable() -> None:
    view = payload_view({"payload": b64(b"GET /"), "payload_printable": "GET /"})
    assert view.available and view.length == 5 and view.printable == "GET /"
    assert view.hexdump[0].hex == "47 45 54 20 2f"


def test_payload_view_without_payload() -> None:
    view = payload_view({"payload_printable": "x"})
    assert not view.available and "carries no payload" in (view.reason or "")


def test_one_packet_pcap_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "one.pcap"
    path.write_bytes(one_packet_pcap(FRAME, 1, 1714497181.25))
    [pkt] = rdpcap(str(path))
    assert bytes(pkt) == FRAME and float(pkt.time) == pytest.approx(1714497181.25)


def test_bare_ip_is_told_from_ethernet() -> None:
    ip_only = FRAME[14:]
    assert is_bare_ip(ip_only) and not is_bare_ip(FRAME)
    ipv6 = bytes.fromhex("6000000000000640") + bytes(32)  # 40-byte header, no payload
    assert is_bare_ip(ipv6) and not is_bare_ip(ipv6 + b"\x00")


# --- dissection and its cache -----------------------------------------------------------


class CountingDissector(Dissector):
    """A real Dissector that counts how often tshark is asked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = 0

    def dissect(self, frame: bytes, linktype: int, ts: float = 0.0) -> list[ProtoLayer]:
        self.calls += 1
        return super().dissect(frame, linktype, ts)


@needs_tshark
def test_views_are_cached_per_alert_and_evicted_lru() -> None:
    dissector = CountingDissector(find_tshark())
    decoder = PacketDecoder(dissector, cache_size=2)
    eve = {"packet": b64(FRAME), "packet_info": {"linktype": 1}}
    first = decoder.packet_view("a", eve)
    assert decoder.packet_view("a", eve) is first and dissector.calls == 1
    decoder.packet_view("b", eve)
    decoder.packet_view("a", eve)  # "a" is now the most recent
    decoder.packet_view("c", eve)  # evicts "b"
    assert dissector.calls == 3
    decoder.packet_view("a", eve)
    decoder.packet_view("b", eve)
    assert dissector.calls == 4


def test_without_tshark_the_hex_dump_remains() -> None:
    view = PacketDecoder(Dissector(None)).packet_view("a", {"packet": b64(FRAME)})
    assert view.available and view.layers == []
    assert view.dissection_error == "tshark is not installed on the collector"
    assert b"".join(bytes.fromhex(line.hex.replace(" ", "")) for line in view.hexdump) == FRAME


@needs_tshark
def test_a_timeout_is_reported_and_not_cached() -> None:
    dissector = CountingDissector(find_tshark(), timeout=0.001)
    decoder = PacketDecoder(dissector)
    view = decoder.packet_view("a", {"packet": b64(FRAME)})
    assert view.layers == [] and "no answer within 0.001 s" in (view.dissection_error or "")
    decoder.packet_view("a", {"packet": b64(FRAME)})
    assert dissector.calls == 2


@needs_tshark
def test_dissection_from_several_threads_at_once() -> None:
    decoder = PacketDecoder(Dissector(find_tshark(), max_concurrent=1))
    results: dict[int, list[str]] = {}

    def decode(n: int) -> None:
        view = decoder.packet_view(f"alert-{n}", {"packet": b64(FRAME)})
        results[n] = [layer.name for layer in view.layers]

    threads = [threading.Thread(target=decode, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {n: ["frame", "eth", "ip", "tcp", "http"] for n in range(3)}
