"""802.1Q / 802.1ad (QinQ) VLAN tags: skip them and record their ids.

Follows Suricata's decode-vlan.c: at most three tags (VLAN_MAX_LAYERS); a
fourth is an event and decoding stops. This module does not decide what comes
after the tags; it hands the inner EtherType back to the dispatcher.
"""

from __future__ import annotations

import struct

from agent.decode.events import DecodeEvent
from agent.decode.packet import Packet

ETHERTYPE_8021Q = 0x8100
ETHERTYPE_8021AD = 0x88A8  # service tag (QinQ outer)
ETHERTYPE_8021QINQ = 0x9100  # pre-standard QinQ, still seen in the wild
VLAN_TYPES = frozenset((ETHERTYPE_8021Q, ETHERTYPE_8021AD, ETHERTYPE_8021QINQ))
VLAN_MAX_LAYERS = 3

# TCI (PCP:3 DEI:1 VID:12), inner EtherType
_TAG = struct.Struct("!HH")


def skip_tags(pkt: Packet, etype: int, off: int) -> tuple[int, int] | None:
    """Walk the VLAN tags starting at `off`; return (inner ethertype, offset)."""
    raw = pkt.raw
    ids: list[int] = []
    while etype in VLAN_TYPES:
        if len(raw) - off < 4:
            pkt.events.append(DecodeEvent.VLAN_HEADER_TOO_SMALL)
            return None
        if len(ids) == VLAN_MAX_LAYERS:
            pkt.events.append(DecodeEvent.VLAN_TOO_MANY_LAYERS)
            return None
        tci, etype = _TAG.unpack_from(raw, off)
        ids.append(tci & 0x0FFF)
        off += 4
    if ids:
        pkt.vlan_ids = tuple(ids)
    return etype, off
