"""Decode events: what was wrong with a packet, kept as data on the packet.

A truncated or inconsistent header adds an event and stops decoding at that
layer (Suricata's ENGINE_SET_INVALID_EVENT); the packet keeps flowing so rules
and counters can see it. Names follow Suricata's decoder event names.
"""

from __future__ import annotations

import enum


class DecodeEvent(enum.Enum):
    """One decoder anomaly. The value is Suricata's `decode-event` name."""

    PKT_TOO_SMALL = "pkt_too_small"
    UNKNOWN_LINKTYPE = "unknown_linktype"
    ETHERNET_PKT_TOO_SMALL = "ethernet.pkt_too_small"
    SLL_PKT_TOO_SMALL = "sll.pkt_too_small"
    NULL_PKT_TOO_SMALL = "null.pkt_too_small"
    NULL_UNSUPPORTED_TYPE = "null.unsupported_type"
    IPRAW_INVALID_IPV = "ipraw.invalid_ip_version"
    VLAN_HEADER_TOO_SMALL = "vlan.header_too_small"
    VLAN_TOO_MANY_LAYERS = "vlan.too_many_layers"
    IPV4_PKT_TOO_SMALL = "ipv4.pkt_too_small"
    IPV4_HLEN_TOO_SMALL = "ipv4.hlen_too_small"
    IPV4_IPLEN_SMALLER_THAN_HLEN = "ipv4.iplen_smaller_than_hlen"
    IPV4_TRUNC_PKT = "ipv4.trunc_pkt"
    IPV4_WRONG_IP_VER = "ipv4.wrong_ip_version"
    IPV4_FRAG_IGNORED = "ipv4.frag_ignored"
    IPV6_PKT_TOO_SMALL = "ipv6.pkt_too_small"
    IPV6_TRUNC_PKT = "ipv6.trunc_pkt"
    IPV6_TRUNC_EXTHDR = "ipv6.trunc_exthdr"
    IPV6_WRONG_IP_VER = "ipv6.wrong_ip_version"
    IPV6_FRAG_IGNORED = "ipv6.frag_ignored"
    TCP_PKT_TOO_SMALL = "tcp.pkt_too_small"
    TCP_HLEN_TOO_SMALL = "tcp.hlen_too_small"
    TCP_INVALID_OPTLEN = "tcp.invalid_optlen"
    UDP_PKT_TOO_SMALL = "udp.pkt_too_small"
    UDP_HLEN_TOO_SMALL = "udp.hlen_too_small"
    UDP_HLEN_INVALID = "udp.hlen_invalid"
    ICMPV4_PKT_TOO_SMALL = "icmpv4.pkt_too_small"
    ICMPV6_PKT_TOO_SMALL = "icmpv6.pkt_too_small"
