"""DetectEngine: run the loaded rules over one decoded packet and return its alerts.

Owns Suricata's per-packet detection flow (detect.c, detect-engine-alert.c)
for the subset this engine implements:

- rules are ordered as Suricata's sigorder does: action (pass first), then
  flowbits use (set, set+read, read, none), then priority, then load order;
- per protocol candidate lists make selection cheap;
- header: protocol, ports (a rule with ports never matches a packet without
  them), addresses; `<>` rules are two signatures (both may alert);
- IP-only rules (no payload, flow or packet keywords; no negated address)
  are evaluated once per flow direction, as Suricata's IP-only engine does;
- a packet whose decoding stopped early (decode events) is only seen by
  IP-only rules;
- rules with content need a payload; flowbits set/unset/toggle run when a
  rule matched, so later rules on the same packet see them;
- finalize (PacketAlertFinalize): each match, in rule order, goes through
  its threshold/detection_filter (threshold.py) first: a suppressed match
  has no effect, a silent one still applies its action; noalert matches
  are dropped, at most packet_alert_max alerts, a matching pass rule stops
  the alerts after it (and passes the whole flow when it is IP-only);
- threshold.config suppressions by address (threshold_config.py) are
  checked before the rule's threshold: a suppressed match is silent.

It does not decode packets, track flows or write EVE.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.decode.packet import Packet
from agent.detect.alert import Alert, make_alert
from agent.detect.inspect import contents_match
from agent.detect.rule import Header, Rule
from agent.detect.threshold import ALERT, SILENT, SUPPRESS, ThresholdTable
from agent.detect.threshold_config import Suppression, SuppressKey
from agent.engines.base import EngineSettings

PACKET_ALERT_MAX = 15
_ACTION_RANK = {"pass": 0, "drop": 1, "reject": 2, "alert": 3}
_PORT_PROTOS = (6, 17, 132)
_IPONLY_KEY = "detect.iponly_done"  # flow.storage: directions already IP-only inspected
_PASS_KEY = "detect.flow_pass"


def order_key(rule: Rule) -> tuple[int, int, int]:
    return (_ACTION_RANK[rule.action], -rule.flowbits_order, rule.priority)


class DetectEngine:
    """The builtin detection engine for one rule set."""

    def __init__(self, rules: list[Rule], settings: EngineSettings,
                 suppressions: Mapping[SuppressKey, tuple[Suppression, ...]] | None = None
                 ) -> None:
        self.rules = sorted(rules, key=order_key)  # stable: load order breaks ties
        self.packet_alert_max = _alert_max(settings)
        self._by_proto: dict[tuple[int, int], list[Rule]] = {}
        self.thresholds = ThresholdTable()
        self.suppressions = dict(suppressions or {})  # (gid, sid) -> threshold.config entries

    def _candidates(self, pkt: Packet) -> list[Rule]:
        key = (pkt.ip_version, pkt.proto)
        rules = self._by_proto.get(key)
        if rules is None:
            rules = [r for r in self.rules if r.header.proto.matches(*key)]
            self._by_proto[key] = rules
        return rules

    def inspect(self, pkt: Packet) -> list[Alert]:
        """Alerts for this packet, in Suricata's order."""
        if pkt.ip_version == 0:
            return []
        flow = pkt.flow
        if flow is not None and flow.storage.get(_PASS_KEY):
            return []
        iponly = _take_iponly_turn(pkt)
        matched: list[tuple[Rule, int]] = []
        for rule in self._candidates(pkt):
            if rule.ip_only and not iponly:
                continue
            if pkt.invalid and not rule.ip_only:
                continue
            hits = _header_hits(rule, pkt)
            if hits and _body_matches(rule, pkt):
                # Post-match actions (flowbits) run before and regardless of
                # thresholding, as Suricata's DetectRunPostMatch does.
                for post in rule.postmatches:
                    for _ in range(hits):
                        post.fn(pkt, post.value)
                matched.extend((rule, side) for side in range(hits))
        return self._finalize(pkt, matched)

    def _finalize(self, pkt: Packet, matched: list[tuple[Rule, int]]) -> list[Alert]:
        """PacketAlertFinalize: thresholds, pass, noalert and packet_alert_max."""
        alerts: list[Alert] = []
        passed = False
        for rule, side in matched:
            verdict = self._threshold_verdict(rule, side, pkt)
            if verdict == SUPPRESS:
                continue
            if rule.action == "pass":
                passed = True
                if rule.ip_only and pkt.flow is not None:
                    pkt.flow.storage.setdefault(_PASS_KEY, True)
            if verdict == SILENT or rule.noalert:
                continue
            if len(alerts) < self.packet_alert_max:
                if passed:
                    break
                alerts.append(make_alert(rule, pkt))
        return alerts

    def _threshold_verdict(self, rule: Rule, side: int, pkt: Packet) -> int:
        suppressions = self.suppressions.get((rule.gid, rule.sid)) if self.suppressions else None
        if suppressions and any(s.matches(pkt) for s in suppressions):
            return SILENT  # PacketAlertHandle: suppressed, but the action still applies
        if rule.threshold is None:
            return ALERT
        return self.thresholds.verdict(rule.threshold, rule.sid, rule.gid, side, pkt)


def _alert_max(settings: EngineSettings) -> int:
    raw = settings.extra.get("packet-alert-max") or settings.extra.get("detect.packet-alert-max")
    try:
        value = int(raw) if raw is not None else PACKET_ALERT_MAX
    except ValueError:
        return PACKET_ALERT_MAX
    return value if 0 < value <= 65535 else PACKET_ALERT_MAX


def _take_iponly_turn(pkt: Packet) -> bool:
    """True when IP-only rules get to see this packet (first one per flow direction)."""
    if pkt.flow is None:
        return True
    done: set[bool] = pkt.flow.storage.setdefault(_IPONLY_KEY, set())
    if pkt.to_server in done:
        return False
    done.add(pkt.to_server)
    return True


def _header_hits(rule: Rule, pkt: Packet) -> int:
    """How many of the rule's signatures (1, or 2 for `<>`) match the packet header."""
    if rule.to_server_only and not pkt.to_server:
        return 0
    if rule.to_client_only and pkt.to_server:
        return 0
    h = rule.header
    hits = int(_side_match(h, pkt, False))
    if h.bidirectional:
        hits += int(_side_match(h, pkt, True))
    return hits


def _side_match(h: Header, pkt: Packet, swapped: bool) -> bool:
    src, sp, dst, dp = (h.dst, h.dp, h.src, h.sp) if swapped else (h.src, h.sp, h.dst, h.dp)
    if pkt.proto in _PORT_PROTOS and (pkt.tcp is not None or pkt.udp is not None):
        if not (dp.matches(pkt.dp) and sp.matches(pkt.sp)):
            return False
    elif not (sp.is_any and dp.is_any):
        return False
    return dst.matches(pkt.ip_version, pkt.dst_addr) and src.matches(pkt.ip_version, pkt.src_addr)


def _body_matches(rule: Rule, pkt: Packet) -> bool:
    for m in rule.matches:
        if not m.fn(pkt, m.value):
            return False
    if rule.contents:
        return bool(pkt.payload) and contents_match(rule.contents, pkt.payload)
    return True


__all__ = ["Alert", "DetectEngine", "order_key"]
