"""The Source protocol: where packets come from (a pcap file, a live interface).

A source yields Packet records with `ts`, `raw`, `linktype` and a 1-based
`pcap_cnt` filled in; it does not decode them (agent/decode does that).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from agent.decode.packet import Packet


class Source(Protocol):
    """A capture source. `packets()` ends when the source is exhausted or stopped."""

    def packets(self) -> Iterator[Packet]:
        """Yield captured packets in capture order."""
        ...

    def close(self) -> None:
        """Release the file or socket; safe to call twice."""
        ...
