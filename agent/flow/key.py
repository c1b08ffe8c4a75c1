"""Flow keys: which packets belong to the same bidirectional flow.

Mirrors Suricata's flow-hash.c comparisons: a flow is protocol + IP version +
VLAN ids (vlan.use-for-tracking, on by default) + the two endpoints, in
either order. For TCP/UDP an endpoint is (address, port). ICMP has no ports:
Suricata compares the ICMP type and the "counterpart" type (an echo request
and its reply share a flow); for ICMPv6 the type's code is part of it too,
because Suricata's sp/dp overlay (type, code). This module computes keys;
it does not store flows.
"""

from __future__ import annotations

from typing import Any

from agent.decode.icmp import ICMPV4_COUNTERPART, ICMPV6_COUNTERPART
from agent.decode.packet import IPPROTO_ICMP, IPPROTO_ICMPV6, ICMPEmbedded, Packet

FlowKey = tuple[Any, ...]


def packet_key(pkt: Packet) -> FlowKey:
    """The direction-independent key of a decoded TCP/UDP/ICMP packet."""
    proto = pkt.proto
    a: tuple[int, Any]
    b: tuple[int, Any]
    if proto == IPPROTO_ICMP and pkt.icmp is not None:
        itype = pkt.icmp.type
        a = (pkt.src_addr, itype)
        b = (pkt.dst_addr, ICMPV4_COUNTERPART.get(itype, 0))
    elif proto == IPPROTO_ICMPV6 and pkt.icmp is not None:
        itype = pkt.icmp.type
        a = (pkt.src_addr, (itype, pkt.icmp.code))
        b = (pkt.dst_addr, (ICMPV6_COUNTERPART.get(itype, 0), 0))
    else:
        a = (pkt.src_addr, pkt.sp)
        b = (pkt.dst_addr, pkt.dp)
    if a > b:
        a, b = b, a
    return (proto, pkt.ip_version, pkt.vlan_ids, a, b)


def embedded_key(pkt: Packet, emb: ICMPEmbedded) -> FlowKey:
    """The key of the TCP/UDP flow an ICMPv4 destination-unreachable quotes."""
    a = (emb.src_addr, emb.sp)
    b = (emb.dst_addr, emb.dp)
    if a > b:
        a, b = b, a
    return (emb.proto, 4, pkt.vlan_ids, a, b)
