"""The `flags` / `tcp.flags` keyword (detect-tcp-flags.c): the TCP header flag byte.

Owns parsing `[modifier]FLAGS[,IGNORED]` exactly as Suricata's regex and
letter loops do, and the pure FlagsMatch. Letters are upper case only
(Suricata's regex is case sensitive): F S R P A U C E, with 1 and 2 as
aliases of C and E; `0` clears the flags seen so far (no flags set).
Modifiers: `+` all listed flags set (others allowed), `*` any listed flag
set, `!` not all listed flags set; at most one. Suricata has no `-`
modifier, so it is a parse error here too. Non-TCP packets never match.
It does not handle the prefilter or the stream engine's SYN needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.decode.packet import (
    TH_ACK,
    TH_CWR,
    TH_ECE,
    TH_FIN,
    TH_PUSH,
    TH_RST,
    TH_SYN,
    TH_URG,
    Packet,
)
from agent.detect.registry import Keyword
from agent.detect.rule import PacketMatch, RuleBuilder
from yamori.errors import RuleParseError

_RX = re.compile(r"^\s*(?:([+*!]))?\s*([SAPRFU120CE+*!]+)(?:\s*,\s*([SAPRFU12CE]+))?\s*$")
_BITS = {"S": TH_SYN, "A": TH_ACK, "F": TH_FIN, "R": TH_RST, "P": TH_PUSH, "U": TH_URG,
         "1": TH_CWR, "2": TH_ECE, "C": TH_CWR, "E": TH_ECE}
MOD_NONE, MOD_NOT, MOD_PLUS, MOD_ANY = "", "!", "+", "*"


@dataclass(slots=True, frozen=True)
class FlagsValue:
    flags: int
    modifier: str
    ignore_mask: int  # the bits compared: 0xff minus the ignored flags


def flags_match(pflags: int, value: FlagsValue) -> bool:
    """Suricata's FlagsMatch on a packet flag byte."""
    if not value.flags and pflags:
        # `flags:0` against a packet with any flag: only `!0` matches (mask not applied)
        return value.modifier == MOD_NOT
    flags = pflags & value.ignore_mask
    if value.modifier == MOD_ANY:
        return bool(flags & value.flags)
    if value.modifier == MOD_PLUS:
        return flags & value.flags == value.flags
    if value.modifier == MOD_NOT:
        return flags & value.flags != value.flags
    return flags == value.flags


def match(pkt: Packet, value: FlagsValue) -> bool:
    return pkt.tcp is not None and flags_match(pkt.tcp.flags, value)


def _parse_flag_chars(text: str, flags: int, modifier: str) -> tuple[int, str, int]:
    found = 0
    for ch in text:
        if ch in _BITS:
            flags |= _BITS[ch]
            found += 1
        elif ch == "0":
            flags = 0
            found += 1
        else:  # a modifier inside the flag letters (`S+`): one modifier in all
            if modifier:
                raise RuleParseError('"flags" supports only one modifier at a time')
            modifier = ch
    return flags, modifier, found


def parse(text: str | None) -> FlagsValue:
    m = _RX.match(text or "")
    if m is None:
        raise RuleParseError(f"invalid flags value {text!r}")
    modifier, letters, ignored = m.group(1) or "", m.group(2), m.group(3)
    flags, modifier, found = _parse_flag_chars(letters, 0, modifier)
    if not found:
        raise RuleParseError(f"flags {text!r} lists no flag")
    mask = 0xFF
    for ch in ignored or "":
        mask &= ~_BITS[ch]
    return FlagsValue(flags, modifier, mask)


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.matches.append(PacketMatch("flags", match, parse(text)))


_URL = "https://docs.suricata.io/en/latest/rules/header-keywords.html#tcp-flags"
KEYWORD = Keyword("flags", "TCP header flags", setup, _URL)
KEYWORD_TCP = Keyword("tcp.flags", "TCP header flags", setup, _URL)
