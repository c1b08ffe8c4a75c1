"""The flow table: find or create each packet's flow, set its direction and state.

Follows Suricata 7 (flow-hash.c FlowGetFlowFromHash, flow.c
FlowHandlePacketUpdate, flow-manager timeouts):

* Only decoded TCP, UDP, ICMP and ICMPv6 packets get a flow; others (no IP,
  other protocols, later fragments, malformed transport headers) get None.
* The first packet's source is the client: to_server is True for packets
  whose source port (or, when both ports are equal, source address; for ICMP
  always the source address) is the client's (FlowGetPacketDirection).
* ICMPv4 error messages never create a flow (FlowCreateCheck) and do not
  count as "seen" in their direction (FlowUpdateSeenFlag); a destination
  unreachable quoting a tracked TCP/UDP flow is filed under that flow.
* `established`: TCP per tcp_state.py (session at ESTABLISHED or later,
  judged before this packet moves it). Other protocols once both directions
  were seen, including the packet that completes that: the first reply is
  itself established.
* Timeouts (flow-private.h defaults, seconds) by flow state new /
  established / closed: TCP 30/300/10, UDP 30/300, ICMP and others 30/300.
  A flow times out when int(last_ts) + timeout < int(now), as Suricata's
  timeout_at does; a packet arriving for a timed-out flow starts a new one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from agent.decode.icmp import ICMPV4_ERROR_TYPES
from agent.decode.packet import IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, Packet
from agent.flow import tcp_state
from agent.flow.flow import Flow
from agent.flow.key import FlowKey, embedded_key, packet_key

_FLOW_ID_MASK = (1 << 51) - 1


@dataclass(slots=True, frozen=True)
class Timeouts:
    """Idle timeouts in seconds for one protocol, by flow state."""

    new: int = 30
    established: int = 300
    closed: int = 0


DEFAULT_TIMEOUTS: dict[int, Timeouts] = {
    IPPROTO_TCP: Timeouts(30, 300, 10),
    IPPROTO_UDP: Timeouts(30, 300, 0),
    IPPROTO_ICMP: Timeouts(30, 300, 0),
}
_DEFAULT = Timeouts(30, 300, 0)


class FlowTable:
    """All live flows, keyed direction-independently."""

    def __init__(
        self, timeouts: dict[int, Timeouts] | None = None, midstream: bool = False
    ) -> None:
        self.timeouts = {**DEFAULT_TIMEOUTS, **(timeouts or {})}
        self.midstream = midstream  # Suricata's stream.midstream
        self._flows: dict[FlowKey, Flow] = {}
        self._created = 0

    def __len__(self) -> int:
        return len(self._flows)

    def __iter__(self) -> Iterator[Flow]:
        return iter(list(self._flows.values()))

    def update(self, pkt: Packet) -> Flow | None:
        """Attach `pkt` to its flow (creating it if needed); None if it has none."""
        if not _has_flow_layer(pkt):
            return None
        if pkt.proto == IPPROTO_ICMP and pkt.icmp.type in ICMPV4_ERROR_TYPES:  # type: ignore[union-attr]
            return self._update_icmp_error(pkt)
        key = packet_key(pkt)
        flow = self._lookup(key, pkt.ts)
        if flow is not None and pkt.tcp is not None:
            flow = self._maybe_reuse(flow, pkt)
        if flow is None:
            flow = self._create(key, pkt)
        self._handle(flow, pkt)
        return flow

    def expire(self, now: float) -> list[Flow]:
        """Remove and return the flows idle past their timeout at `now`."""
        sec = int(now)
        dead = [k for k, f in self._flows.items() if self._timed_out(f, sec)]
        return [self._flows.pop(k) for k in dead]

    def timeout_for(self, flow: Flow) -> int:
        """The idle timeout currently applying to `flow`."""
        t = self.timeouts.get(flow.proto, _DEFAULT)
        state = _flow_state(flow)
        if state == "established":
            return t.established
        return t.closed if state == "closed" else t.new

    def _timed_out(self, flow: Flow, sec: int) -> bool:
        return int(flow.last_ts) + self.timeout_for(flow) < sec

    def _lookup(self, key: FlowKey, ts: float) -> Flow | None:
        flow = self._flows.get(key)
        if flow is not None and self._timed_out(flow, int(ts)):
            del self._flows[key]  # evicted on lookup, as FlowGetFlowFromHash does
            return None
        return flow

    def _maybe_reuse(self, flow: Flow, pkt: Packet) -> Flow | None:
        tcp = pkt.tcp
        assert tcp is not None
        to_server = _direction(flow, pkt)
        if tcp_state.wants_new_flow(flow.tcp, tcp.flags, tcp.seq, to_server, self.midstream):
            del self._flows[flow.key]  # TcpReuseReplace: old flow times out now
            return None
        return flow

    def _update_icmp_error(self, pkt: Packet) -> Flow | None:
        if pkt.icmp_emb is None:
            return None
        flow = self._lookup(embedded_key(pkt, pkt.icmp_emb), pkt.ts)
        if flow is not None:
            self._handle(flow, pkt, counts_as_seen=False)
        return flow

    def _create(self, key: FlowKey, pkt: Packet) -> Flow:
        self._created += 1
        flow_id = hash((key, pkt.ts, self._created)) & _FLOW_ID_MASK or 1
        flow = Flow(
            flow_id=flow_id,
            proto=pkt.proto,
            client_ip=pkt.src_ip,
            client_port=pkt.sp,
            server_ip=pkt.dst_ip,
            server_port=pkt.dp,
            start_ts=pkt.ts,
            last_ts=pkt.ts,
            ip_version=pkt.ip_version,
            vlan_ids=pkt.vlan_ids,
            key=key,
        )
        self._flows[key] = flow
        return flow

    def _handle(self, flow: Flow, pkt: Packet, counts_as_seen: bool = True) -> None:
        """FlowHandlePacketUpdate, then the TCP state step (StreamTcpPacket)."""
        if pkt.ts > flow.last_ts:
            flow.last_ts = pkt.ts
        to_server = _direction(flow, pkt)
        _count(flow, pkt, to_server, counts_as_seen)
        if flow.proto == IPPROTO_TCP:
            established = tcp_state.is_established(flow.tcp)
        else:
            established = flow.toserver_seen and flow.toclient_seen
            if established:
                flow.state = "established"
        pkt.flow = flow
        pkt.to_server = to_server
        pkt.established = established
        if pkt.tcp is not None and flow.proto == IPPROTO_TCP:
            self._track_tcp(flow, pkt, to_server)

    def _track_tcp(self, flow: Flow, pkt: Packet, to_server: bool) -> None:
        tcp = pkt.tcp
        assert tcp is not None
        sess, reverse = tcp_state.track(flow.tcp, tcp.flags, tcp.seq, to_server, self.midstream)
        flow.tcp = sess
        if sess is not None:
            flow.state = sess.state.name.lower()
        if reverse:
            _reverse(flow)
            pkt.to_server = not pkt.to_server


def _has_flow_layer(pkt: Packet) -> bool:
    proto = pkt.proto
    if proto == IPPROTO_TCP:
        return pkt.tcp is not None
    if proto == IPPROTO_UDP:
        return pkt.udp is not None
    if proto == IPPROTO_ICMP:
        return pkt.icmp is not None and pkt.ip_version == 4
    if proto == IPPROTO_ICMPV6:
        return pkt.icmp is not None and pkt.ip_version == 6
    return False


def _direction(flow: Flow, pkt: Packet) -> bool:
    """FlowGetPacketDirection: True for to_server."""
    if pkt.proto in (IPPROTO_TCP, IPPROTO_UDP) and pkt.sp != pkt.dp:
        return flow.client_port == pkt.sp
    return flow.client_ip == pkt.src_ip


def _count(flow: Flow, pkt: Packet, to_server: bool, counts_as_seen: bool) -> None:
    size = len(pkt.raw)
    if to_server:
        flow.pkts_toserver += 1
        flow.bytes_toserver += size
        flow.toserver_seen = flow.toserver_seen or counts_as_seen
    else:
        flow.pkts_toclient += 1
        flow.bytes_toclient += size
        flow.toclient_seen = flow.toclient_seen or counts_as_seen


def _flow_state(flow: Flow) -> str:
    if flow.proto == IPPROTO_TCP:
        return tcp_state.flow_state(flow.tcp)
    return "established" if flow.state == "established" else "new"


def _reverse(flow: Flow) -> None:
    """FlowSwap: the flow's destination turns out to be its client."""
    flow.client_ip, flow.server_ip = flow.server_ip, flow.client_ip
    flow.client_port, flow.server_port = flow.server_port, flow.client_port
    flow.pkts_toserver, flow.pkts_toclient = flow.pkts_toclient, flow.pkts_toserver
    flow.bytes_toserver, flow.bytes_toclient = flow.bytes_toclient, flow.bytes_toserver
    flow.toserver_seen, flow.toclient_seen = flow.toclient_seen, flow.toserver_seen
