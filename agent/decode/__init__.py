"""Packet decoding: raw frame bytes -> a filled-in Packet, layer by layer.

`decode_packet` walks three explicit dispatch tables, like scapy's
bind_layers lines or Suricata's decode-*.c switch statements:

    LINKTYPES[pcap linktype]   -> link decoder,      returns (ethertype, offset)
    ETHERTYPES[ethertype]      -> network decoder,   returns (ipproto, offset, end)
    IPPROTOS[ip protocol]      -> transport decoder, fills the packet

A decoder that finds a malformed header adds a DecodeEvent and returns None,
which stops decoding at that layer; decode_packet never raises on traffic.
Unknown link/ether/IP types stop decoding quietly (no event), as Suricata
does for protocols it has no decoder for. This package does not track flows,
reassemble fragments or streams, or validate checksums (checksum.py offers
that on demand).
"""

from __future__ import annotations

from collections.abc import Callable

from agent.decode import ethernet, icmp, ipv4, ipv6, tcp, udp
from agent.decode.events import DecodeEvent
from agent.decode.packet import (
    IPPROTO_ICMP,
    IPPROTO_ICMPV6,
    IPPROTO_TCP,
    IPPROTO_UDP,
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
    Packet,
)

LinkDecoder = Callable[[Packet], "tuple[int, int] | None"]
NetworkDecoder = Callable[[Packet, int], "tuple[int, int, int] | None"]
TransportDecoder = Callable[[Packet, int, int], None]

LINKTYPES: dict[int, LinkDecoder] = {
    LINKTYPE_NULL: ethernet.decode_null,
    LINKTYPE_ETHERNET: ethernet.decode_ethernet,
    LINKTYPE_RAW: ethernet.decode_raw,
    LINKTYPE_LINUX_SLL: ethernet.decode_sll,
    LINKTYPE_IPV4: ethernet.decode_raw_ipv4,
    LINKTYPE_IPV6: ethernet.decode_raw_ipv6,
}

ETHERTYPES: dict[int, NetworkDecoder] = {
    ethernet.ETHERTYPE_IPV4: ipv4.decode,
    ethernet.ETHERTYPE_IPV6: ipv6.decode,
}

IPPROTOS: dict[int, TransportDecoder] = {
    IPPROTO_TCP: tcp.decode,
    IPPROTO_UDP: udp.decode,
    IPPROTO_ICMP: icmp.decode_v4,
    IPPROTO_ICMPV6: icmp.decode_v6,
}

__all__ = ["ETHERTYPES", "IPPROTOS", "LINKTYPES", "decode_packet"]


def decode_packet(pkt: Packet) -> Packet:
    """Decode `pkt.raw` according to `pkt.linktype`, filling `pkt` in place."""
    link = LINKTYPES.get(pkt.linktype)
    if link is None:
        pkt.events.append(DecodeEvent.UNKNOWN_LINKTYPE)
        return pkt
    l2 = link(pkt)
    if l2 is None:
        return pkt
    network = ETHERTYPES.get(l2[0])
    if network is None:
        return pkt
    l3 = network(pkt, l2[1])
    if l3 is None:
        return pkt
    proto, off, end = l3
    # ICMPv4 inside IPv6 (or ICMPv6 inside IPv4) is not valid ICMP.
    if (proto == IPPROTO_ICMP and pkt.ip_version != 4) or (
        proto == IPPROTO_ICMPV6 and pkt.ip_version != 6
    ):
        return pkt
    transport = IPPROTOS.get(proto)
    if transport is not None:
        transport(pkt, off, end)
    return pkt
