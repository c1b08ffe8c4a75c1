"""Rule text -> Rule: the header and the option list (Suricata's detect-parse.c).

Owns splitting a signature into header fields and `name:value;` options,
resolving the header (action, protocol, addresses, ports, direction),
dispatching each option to its keyword's setup, and the final checks (sid
present, content flags, IP-only classification). Anything the engine cannot
honour exactly raises RuleParseError with `unsupported` set. It does not read
files (loader.py) and does not match packets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.detect.addresses import parse_addresses
from agent.detect.content import finish_contents
from agent.detect.keywords import TABLE
from agent.detect.ports import parse_ports
from agent.detect.rule import Header, ProtoSpec, Rule, RuleBuilder
from yamori.errors import RuleParseError

_SID_RX = re.compile(r"[(;]\s*sid\s*:\s*\"?\s*(\d+)", re.IGNORECASE)

_PROTOS: dict[str, ProtoSpec] = {
    "ip": ProtoSpec("ip", frozenset()),
    "ipv4": ProtoSpec("ipv4", frozenset(), 4),
    "ip4": ProtoSpec("ipv4", frozenset(), 4),
    "ipv6": ProtoSpec("ipv6", frozenset(), 6),
    "ip6": ProtoSpec("ipv6", frozenset(), 6),
    "tcp": ProtoSpec("tcp", frozenset({6})),
    # tcp-pkt restricts tcp rules to packet payloads: what this engine inspects.
    "tcp-pkt": ProtoSpec("tcp", frozenset({6})),
    "udp": ProtoSpec("udp", frozenset({17})),
    "icmp": ProtoSpec("icmp", frozenset({1, 58})),
    "icmpv4": ProtoSpec("icmpv4", frozenset({1})),
    "icmpv6": ProtoSpec("icmpv6", frozenset({58})),
}
_ACTIONS = {"alert", "pass"}
_KNOWN_ACTIONS = {"drop", "reject", "rejectsrc", "rejectdst", "rejectboth", "config"}


@dataclass(slots=True)
class ParseContext:
    address_vars: dict[str, str]
    port_vars: dict[str, str]
    classifications: dict[str, tuple[str, int]]


def sniff_sid(text: str) -> int | None:
    """Best-effort sid of a rule that may not parse, for error reports."""
    m = _SID_RX.search(text)
    return int(m.group(1)) if m else None


def parse_rule(text: str, ctx: ParseContext, file: str | None = None,
               line: int | None = None) -> Rule:
    """Parse one rule; RuleParseError (with sid/file/line set) when it must be skipped."""
    try:
        return _parse(text.strip(), ctx, file, line)
    except RuleParseError as exc:
        exc.sid = exc.sid if exc.sid is not None else sniff_sid(text)
        exc.file, exc.line = file, line
        raise


def _parse(text: str, ctx: ParseContext, file: str | None, line: int | None) -> Rule:
    start = text.find("(")
    if start < 0 or not text.endswith(")"):
        raise RuleParseError("rule must have '( options )' after the header")
    header = _parse_header(text[:start], ctx)
    builder = RuleBuilder(ctx.classifications)
    for name, value in split_options(text[start + 1:-1]):
        keyword = TABLE.get(name.lower())
        if keyword is None:
            raise RuleParseError(f"unsupported keyword {name}", unsupported=name)
        keyword.setup(builder, value)
    return _finish(header, builder, text, file, line)


def header_tokens(text: str) -> list[str]:
    """Split the header on whitespace, keeping [bracketed, lists] whole."""
    tokens: list[str] = []
    cur, depth = "", 0
    for ch in text:
        if ch.isspace() and depth == 0:
            if cur:
                tokens.append(cur)
            cur = ""
            continue
        depth += (ch == "[") - (ch == "]")
        cur += ch
    if cur:
        tokens.append(cur)
    return tokens


def _parse_header(text: str, ctx: ParseContext) -> Header:
    tokens = header_tokens(text)
    if len(tokens) != 7:
        raise RuleParseError(f"header needs 7 fields, got {len(tokens)}")
    action, proto, src, sp, direction, dst, dp = tokens
    action = action.lower()
    if action not in _ACTIONS:
        if action in _KNOWN_ACTIONS:
            raise RuleParseError(f"action {action}", unsupported=action)
        raise RuleParseError(f"unknown action {action!r}")
    spec = _PROTOS.get(proto.lower())
    if spec is None:
        raise RuleParseError(f"protocol {proto}", unsupported=proto)
    if direction not in ("->", "<>"):
        raise RuleParseError(f"invalid direction {direction!r}")
    src_set = parse_addresses(src, ctx.address_vars)
    dst_set = parse_addresses(dst, ctx.address_vars)
    sp_set, dp_set = parse_ports(sp, ctx.port_vars), parse_ports(dp, ctx.port_vars)
    # Suricata treats `<>` with identical sides as one direction (SigHasSameSourceAndDestination).
    bidir = direction == "<>" and not (src_set == dst_set and sp_set == dp_set)
    return Header(action, spec, src_set, sp_set, dst_set, dp_set, bidir)


def split_options(body: str) -> list[tuple[str, str | None]]:
    """Split `name:value; name;` honouring backslash escapes (`\\;`)."""
    options: list[tuple[str, str | None]] = []
    cur: list[str] = []
    escape = False
    for ch in body:
        if ch == ";" and not escape:
            _add_option(options, "".join(cur))
            cur = []
            continue
        escape = (ch == "\\") and not escape
        cur.append(ch)
    if "".join(cur).strip():
        raise RuleParseError("last option is not terminated by ';'")
    return options


def _add_option(options: list[tuple[str, str | None]], raw: str) -> None:
    raw = raw.strip()
    if not raw:
        return
    name, sep, value = raw.partition(":")
    name = name.strip()
    if not name or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        raise RuleParseError(f"invalid option name {name!r}")
    options.append((name, value.strip() if sep else None))


def _finish(header: Header, b: RuleBuilder, text: str, file: str | None,
            line: int | None) -> Rule:
    if b.sid is None:
        raise RuleParseError("rule has no sid")
    contents = finish_contents(b.contents)
    fb_order = 3 if b.flowbits_set and b.flowbits_read else 4 if b.flowbits_set else \
        2 if b.flowbits_read else 1
    return Rule(
        header=header, sid=b.sid, gid=b.gid if b.gid is not None else 1,
        rev=b.rev or 0, msg=b.msg or "", classtype=b.classtype, category=b.category,
        priority=b.final_priority(), metadata=b.metadata, references=tuple(b.references),
        contents=contents, matches=tuple(b.matches), postmatches=tuple(b.postmatches),
        noalert=b.noalert, flowbits_order=fb_order,
        ip_only=_is_ip_only(b) and not (header.src.has_negation or header.dst.has_negation),
        to_server_only=b.to_server_only, to_client_only=b.to_client_only,
        text=text, file=file, line=line, threshold=b.threshold,
    )


def _is_ip_only(b: RuleBuilder) -> bool:
    """Suricata's SignatureIsIPOnly for the keywords this engine has (see engine.py)."""
    if b.contents or b.matches or b.to_server_only or b.to_client_only:
        return False
    return all(p.name == "flowbits:set" for p in b.postmatches)

