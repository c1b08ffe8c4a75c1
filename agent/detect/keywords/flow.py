"""The `flow` keyword (detect-flow.c): direction and state of the packet's flow.

Options: to_server/from_client, to_client/from_server, established,
not_established, stateless (at most three, no conflicting pairs). As in
Suricata, a bare direction only restricts the rule's direction (the engine
checks it, packets without a flow count as to_server); any other option makes
the rule need a flow and counts each option against the packet's flags.
only_stream/no_stream/only_frag/no_frag are not supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.decode.packet import Packet
from agent.detect.registry import Keyword
from agent.detect.rule import PacketMatch, RuleBuilder
from yamori.errors import RuleParseError

_RX = re.compile(r"^\s*([A-Za-z_]+)\s*(?:,\s*([A-Za-z_]+))?\s*(?:,\s*([A-Za-z_]+))?\s*$")
_ALIASES = {"from_client": "to_server", "from_server": "to_client"}
_KNOWN = {"to_server", "to_client", "established", "not_established", "stateless"}
_UNSUPPORTED = {"only_stream", "no_stream", "only_frag", "no_frag"}
_CONFLICTS = [{"to_server", "to_client"}, {"established", "not_established"},
              {"established", "stateless"}]


@dataclass(slots=True, frozen=True)
class FlowOptions:
    to_server: bool = False
    to_client: bool = False
    established: bool = False
    not_established: bool = False
    stateless: bool = False


def match(pkt: Packet, value: FlowOptions) -> bool:
    if pkt.flow is None:
        return False
    if value.to_server and not pkt.to_server:
        return False
    if value.to_client and pkt.to_server:
        return False
    if value.established and not pkt.established:
        return False
    return not (value.not_established and pkt.established)


def parse(text: str | None) -> FlowOptions:
    m = _RX.match(text or "")
    if m is None:
        raise RuleParseError(f"invalid flow option {text!r}")
    seen: set[str] = set()
    for raw in filter(None, m.groups()):
        word = raw.lower()
        if word in _UNSUPPORTED:
            raise RuleParseError(f"flow:{word}", unsupported=f"flow:{word}")
        word = _ALIASES.get(word, word)
        if word not in _KNOWN or word in seen:
            raise RuleParseError(f"invalid or repeated flow option {raw!r}")
        seen.add(word)
    if any(pair <= seen for pair in _CONFLICTS):
        raise RuleParseError(f"conflicting flow options {text!r}")
    return FlowOptions(**{w: True for w in seen})


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.once("flow")
    opts = parse(text)
    builder.to_server_only = opts.to_server
    builder.to_client_only = opts.to_client
    if opts.established or opts.not_established or opts.stateless:
        builder.flow_seen = True
        builder.matches.append(PacketMatch("flow", match, opts))


KEYWORD = Keyword("flow", "flow direction and state", setup,
                  "https://docs.suricata.io/en/latest/rules/flow-keywords.html#flow")
