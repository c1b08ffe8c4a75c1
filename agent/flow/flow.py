"""The Flow record: one bidirectional conversation, as the flow table keeps it.

The flow table (table.py) creates and expires flows and assigns each packet
its direction; this module holds the record only. Detection keeps per-flow
state (flowbits, thresholds) in `Flow.storage`, keyed by keyword name, so
the flow stage never needs to know about rule keywords.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.flow.tcp_state import TcpSession


@dataclass(slots=True)
class Flow:
    flow_id: int  # Suricata-style 64-bit id, stable for the flow's life
    proto: int
    client_ip: str  # the side that started the flow ("to_server" direction)
    client_port: int
    server_ip: str
    server_port: int
    start_ts: float
    last_ts: float
    pkts_toserver: int = 0
    pkts_toclient: int = 0
    bytes_toserver: int = 0
    bytes_toclient: int = 0
    # TCP: the stream state name ("syn_sent", "established", "closed" …);
    # other protocols: "new" until both directions were seen, then "established".
    state: str = "new"
    app_proto: str | None = None
    storage: dict[str, Any] = field(default_factory=dict)
    # Kept by the flow table (table.py); detection may read, never write them.
    ip_version: int = 4
    vlan_ids: tuple[int, ...] = ()
    key: tuple[Any, ...] = ()
    toserver_seen: bool = False  # Suricata's FLOW_TO_DST_SEEN
    toclient_seen: bool = False  # Suricata's FLOW_TO_SRC_SEEN
    tcp: TcpSession | None = None  # None until a session is started (SYN, or midstream)
