"""The `flowbits` keyword (detect-flowbits.c): named boolean state kept on the flow.

set/unset/toggle run after the whole rule matched (Suricata's postmatch
list); isset/isnotset are pure checks; noalert suppresses the alert. Every
command needs a flow (no flow: no match, nothing set). Bits live in
`flow.storage["flowbits"]`. OR/AND name lists (`a|b`, `a&b`) are not
supported.
"""

from __future__ import annotations

import re

from agent.decode.packet import Packet
from agent.detect.registry import Keyword
from agent.detect.rule import PacketMatch, PostMatch, RuleBuilder
from yamori.errors import RuleParseError

STORAGE_KEY = "flowbits"
_NAME_RX = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _bits(pkt: Packet) -> set[str] | None:
    if pkt.flow is None:
        return None
    bits: set[str] = pkt.flow.storage.setdefault(STORAGE_KEY, set())
    return bits


def isset(pkt: Packet, name: str) -> bool:
    bits = _bits(pkt)
    return bits is not None and name in bits


def isnotset(pkt: Packet, name: str) -> bool:
    bits = _bits(pkt)
    return bits is not None and name not in bits


def do_set(pkt: Packet, name: str) -> None:
    bits = _bits(pkt)
    if bits is not None:
        bits.add(name)


def do_unset(pkt: Packet, name: str) -> None:
    bits = _bits(pkt)
    if bits is not None:
        bits.discard(name)


def do_toggle(pkt: Packet, name: str) -> None:
    bits = _bits(pkt)
    if bits is not None:
        bits.symmetric_difference_update({name})


_READS = {"isset": isset, "isnotset": isnotset}
_WRITES = {"set": do_set, "unset": do_unset, "toggle": do_toggle}


def setup(builder: RuleBuilder, text: str | None) -> None:
    cmd, _, name = (text or "").partition(",")
    cmd, name = cmd.strip().lower(), name.strip()
    if cmd == "noalert":
        if name:
            raise RuleParseError("flowbits:noalert takes no name")
        builder.noalert = True
        return
    if cmd not in _READS and cmd not in _WRITES:
        raise RuleParseError(f"invalid flowbits command {cmd!r}")
    if not _NAME_RX.match(name):
        if "|" in name or "&" in name:
            raise RuleParseError("flowbits name lists", unsupported="flowbits")
        raise RuleParseError(f"invalid flowbits name {name!r}")
    if cmd in _READS:
        builder.flowbits_read = True
        builder.matches.append(PacketMatch(f"flowbits:{cmd}", _READS[cmd], name))
    else:
        builder.flowbits_set = True
        builder.postmatches.append(PostMatch(f"flowbits:{cmd}", _WRITES[cmd], name))


KEYWORD = Keyword("flowbits", "flow-scoped named bits", setup,
                  "https://docs.suricata.io/en/latest/rules/flow-keywords.html#flowbits")
