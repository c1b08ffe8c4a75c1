"""TCP session tracking for the flow table: the state machine behind `flow:established`.

Follows Suricata 7's stream-tcp.c as far as flow semantics need it, without
sequence-number validation or reassembly:

* No session exists until a stream starter is seen (StreamTcpPacketStateNone):
  a SYN (without ACK) starts one in SYN_SENT. With `stream.midstream` off
  (Suricata's default) a SYN/ACK or a bare ACK first seen creates no session,
  so the flow never becomes established. With midstream on, an ACK picks the
  session up as ESTABLISHED and a SYN/ACK as SYN_RECV with the flow reversed
  (its destination is the client).
* SYN_SENT + SYN/ACK to client -> SYN_RECV; SYN_RECV + ACK to server ->
  ESTABLISHED (the 3rd handshake packet completes it).
* Closing, named from the server's side as Suricata does (StreamTcpHandleFin):
  client FIN -> CLOSE_WAIT, then server FIN -> LAST_ACK, then ACK -> CLOSED;
  server FIN -> FIN_WAIT1, client ACK -> FIN_WAIT2, client FIN -> TIME_WAIT
  (FIN_WAIT1 + client FIN without ACK -> CLOSING), then ACK -> CLOSED.
  An RST in any state after SYN_SENT -> CLOSED.
* Session reuse (TcpSessionPacketSsnReuse / TcpSessionReuseDoneEnoughSyn):
  a pure SYN on a flow that has no session, or whose session is NONE or at
  LAST_ACK or later, replaces the flow with a new one, unless it is a
  retransmission of the client's SYN (same ISN).

`established` for a packet is decided *before* the packet moves the state
(flow.c FlowHandlePacketUpdate runs before StreamTcpPacket): the SYN, the
SYN/ACK and the final handshake ACK are not established; the first packet
after the handshake is. Not done: 4-way handshakes, TFO, async-oneside.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from agent.decode.packet import TH_ACK, TH_FIN, TH_RST, TH_SYN


class TcpState(enum.IntEnum):
    """Suricata's enum TcpState, same order (the code compares states)."""

    NONE = 0
    SYN_SENT = 2
    SYN_RECV = 3
    ESTABLISHED = 4
    FIN_WAIT1 = 5
    FIN_WAIT2 = 6
    TIME_WAIT = 7
    LAST_ACK = 8
    CLOSE_WAIT = 9
    CLOSING = 10
    CLOSED = 11


# Flow-level state for timeouts (StreamTcpPacketSetState -> FlowUpdateState).
_FLOW_CLOSED = frozenset((TcpState.LAST_ACK, TcpState.TIME_WAIT, TcpState.CLOSED))


@dataclass(slots=True)
class TcpSession:
    state: TcpState = TcpState.NONE
    client_isn: int = 0
    server_isn: int = 0


def flow_state(sess: TcpSession | None) -> str:
    """'new', 'established' or 'closed': which timeout applies to the flow."""
    if sess is None or sess.state < TcpState.ESTABLISHED:
        return "new"
    return "closed" if sess.state in _FLOW_CLOSED else "established"


def is_established(sess: TcpSession | None) -> bool:
    """Suricata's FLOW_PKT_ESTABLISHED test for TCP: session state >= ESTABLISHED."""
    return sess is not None and sess.state >= TcpState.ESTABLISHED


def wants_new_flow(
    sess: TcpSession | None, flags: int, seq: int, to_server: bool, midstream: bool
) -> bool:
    """True when this packet starts a new session replacing the flow's old one."""
    if flags == TH_SYN:
        if sess is None or sess.state == TcpState.NONE:
            return True
        if to_server and seq == sess.client_isn:
            return False  # retransmitted SYN
        return sess.state >= TcpState.LAST_ACK
    if midstream and flags == TH_SYN | TH_ACK:
        if sess is None:
            return to_server
        if not to_server and seq == sess.server_isn:
            return False
        return sess.state >= TcpState.LAST_ACK or sess.state == TcpState.NONE
    return False


def track(
    sess: TcpSession | None, flags: int, seq: int, to_server: bool, midstream: bool
) -> tuple[TcpSession | None, bool]:
    """Advance the session with one packet; returns (session, reverse the flow?)."""
    if sess is None or sess.state == TcpState.NONE:
        return _start(flags, seq, to_server, midstream)
    if flags & TH_RST:
        sess.state = TcpState.CLOSED
        return sess, False
    sess.state = _next_state(sess, flags, seq, to_server)
    return sess, False


def _start(
    flags: int, seq: int, to_server: bool, midstream: bool
) -> tuple[TcpSession | None, bool]:
    if flags & TH_RST:
        return None, False
    if flags & (TH_SYN | TH_ACK) == TH_SYN | TH_ACK:
        if not midstream:
            return None, False
        # Picked up at the SYN/ACK: its sender is the server, so the flow turns
        # around when this packet was taken as going to the server.
        return TcpSession(TcpState.SYN_RECV, server_isn=seq), to_server
    if flags & TH_SYN:
        return TcpSession(TcpState.SYN_SENT, client_isn=seq), False
    if flags & TH_ACK and midstream:
        return TcpSession(TcpState.ESTABLISHED), False
    return None, False


def _next_state(sess: TcpSession, flags: int, seq: int, to_server: bool) -> TcpState:
    state = sess.state
    fin = bool(flags & TH_FIN)
    ack = bool(flags & TH_ACK)
    if state == TcpState.SYN_SENT:
        if not to_server and flags & (TH_SYN | TH_ACK) == TH_SYN | TH_ACK:
            sess.server_isn = seq
            return TcpState.SYN_RECV
    elif state == TcpState.SYN_RECV:
        if to_server and ack and not flags & TH_SYN:
            return TcpState.ESTABLISHED
    elif state == TcpState.ESTABLISHED:
        if fin:
            return TcpState.CLOSE_WAIT if to_server else TcpState.FIN_WAIT1
    elif state == TcpState.FIN_WAIT1:
        if to_server and fin:
            return TcpState.TIME_WAIT if ack else TcpState.CLOSING
        if to_server and ack:
            return TcpState.FIN_WAIT2
    elif state == TcpState.FIN_WAIT2:
        if to_server and fin:
            return TcpState.TIME_WAIT
    elif state == TcpState.CLOSE_WAIT:
        if not to_server and fin:
            return TcpState.LAST_ACK
    elif state in (TcpState.LAST_ACK, TcpState.TIME_WAIT, TcpState.CLOSING):
        if ack and not fin:
            return TcpState.CLOSED if state != TcpState.CLOSING else TcpState.TIME_WAIT
    return state
