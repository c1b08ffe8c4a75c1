"""Property tests: decoding is total over arbitrary bytes for every link type."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Dot1Q, Ether

from agent.decode import LINKTYPES, decode_packet
from agent.decode.packet import LINKTYPE_ETHERNET, Packet

_linktypes = st.sampled_from(sorted(LINKTYPES) + [147, 9999])


@settings(max_examples=600)
@given(raw=st.binary(max_size=200), linktype=_linktypes)
def test_decode_never_raises(raw: bytes, linktype: int) -> None:
    pkt = decode_packet(Packet(ts=0.0, raw=raw, linktype=linktype))
    assert pkt.payload is not None


_FRAME = bytes(
    Ether() / Dot1Q(vlan=3) / IP(src="10.1.1.1", dst="10.2.2.2") / TCP(sport=1, dport=2) / b"abc"
)


@settings(max_examples=400)
@given(
    cut=st.integers(0, len(_FRAME)), pos=st.integers(0, len(_FRAME) - 1), byte=st.integers(0, 255)
)
def test_mutated_frames_never_raise(cut: int, pos: int, byte: int) -> None:
    raw = bytearray(_FRAME)
    raw[pos] = byte
    decode_packet(Packet(ts=0.0, raw=bytes(raw[:cut]), linktype=LINKTYPE_ETHERNET))


@given(sport=st.integers(0, 65535), dport=st.integers(0, 65535), data=st.binary(max_size=64))
def test_scapy_frames_round_trip(sport: int, dport: int, data: bytes) -> None:
    frame = Ether() / IP(src="192.0.2.1", dst="198.51.100.7") / TCP(sport=sport, dport=dport) / data
    pkt = decode_packet(Packet(ts=0.0, raw=bytes(frame)))
    assert (pkt.sp, pkt.dp, pkt.payload, pkt.events) == (sport, dport, data, [])
