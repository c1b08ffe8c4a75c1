"""Live capture from a Linux interface for the builtin engine: a TPACKET_V3 ring.

One AF_PACKET socket per interface with a memory-mapped V3 RX ring
(agent/capture/tpacket.py), promiscuous mode through PACKET_ADD_MEMBERSHIP
(dropped when the socket closes), an optional BPF filter compiled by libpcap
(agent/capture/bpf.py) and attached in the kernel, so filtered-out frames
never cost Python anything. The outer VLAN tag the kernel strips is put back
into the frame, so decode sees what was on the wire. Kernel drops are never
silent: `stats()` reports them, and each new batch of drops is logged.

Frames are Ethernet (LINKTYPE_ETHERNET) with the kernel's receive timestamp.
Not done here: fanout across processes, TX, non-Ethernet links.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable, Iterator

from agent.capture.bpf import compile_filter
from agent.capture.tpacket import (
    KernelStats,
    RingSpec,
    block_ready,
    open_ring_socket,
    read_stats,
    take_block,
)
from agent.decode.packet import LINKTYPE_ETHERNET, Packet

log = logging.getLogger(__name__)

POLL_TIMEOUT = 0.2  # seconds between stop checks while idle
STATS_EVERY = 1.0  # seconds between kernel counter reads while capturing


class LiveSource:
    """Capture frames from `interface` until `stop()` is called or `should_stop()` is true.

    A stop is a drain, not a cut: the frames the kernel already holds in the
    ring are still yielded (one pass round it) before `packets()` ends, so a
    SIGTERM never loses traffic the kernel accepted. Callers let the source
    end by itself (`drains_on_stop`) rather than breaking off mid-ring.
    """

    drains_on_stop = True

    def __init__(self, interface: str, bpf: str | None = None, snaplen: int = 65535,
                 should_stop: Callable[[], bool] | None = None,
                 ring: RingSpec | None = None, promisc: bool = True) -> None:
        self.interface = interface
        self.snaplen = snaplen
        self.bpf = bpf or None
        self.ring = ring or RingSpec()
        self._stopped = False
        # Checked at every poll timeout too, so an idle link never delays a stop.
        self._should_stop = should_stop or (lambda: False)
        program = compile_filter(self.bpf, snaplen).sock_filter_bytes() if self.bpf else None
        self._sock, self._map = open_ring_socket(interface, self.ring, program, promisc)
        self._kernel = KernelStats()
        self._delivered = 0
        self._next_stats = 0.0
        self._logged_drops = 0

    def stop(self) -> None:
        """Ask `packets()` to drain the frames the kernel holds and return."""
        self._stopped = True

    def packets(self) -> Iterator[Packet]:
        """Yield frames block by block as the kernel fills the ring."""
        poller = select.poll()
        poller.register(self._sock, select.POLLIN | select.POLLERR)
        block, offsets = 0, [i * self.ring.block_size for i in range(self.ring.block_count)]
        while not self._stopped and not self._should_stop():
            if not block_ready(self._map, offsets[block]):
                self._refresh_stats()
                poller.poll(int(POLL_TIMEOUT * 1000))
                continue
            yield from self._take(offsets[block])
            block = (block + 1) % len(offsets)
            if time.monotonic() >= self._next_stats:
                self._refresh_stats()
        yield from self._drain(block, offsets)

    def _drain(self, block: int, offsets: list[int]) -> Iterator[Packet]:
        """After a stop: the blocks the kernel has filled, then end."""
        if self._sock.fileno() == -1:
            return
        # The block being filled is handed over within block_timeout_ms of its
        # first frame; wait that long (twice) for it, never longer.
        deadline = time.monotonic() + 2 * self.ring.block_timeout_ms / 1000
        for _ in offsets:
            while not block_ready(self._map, offsets[block]):
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.005)
            yield from self._take(offsets[block])
            block = (block + 1) % len(offsets)

    def _take(self, offset: int) -> Iterator[Packet]:
        # Copy the block out and release it before the pipeline runs, so
        # the kernel can refill it while Python inspects these packets.
        frames = take_block(self._map, offset, self.snaplen)
        for frame in frames:
            self._delivered += 1
            yield Packet(ts=frame.ts, raw=frame.data, linktype=LINKTYPE_ETHERNET,
                         pcap_cnt=self._delivered)

    def stats(self) -> dict[str, int]:
        """Kernel and source counters since the source was opened.

        kernel_packets counts every frame that passed the filter, including
        kernel_drops (libpcap's ps_recv); kernel_freezes counts how often the
        ring filled up; packets counts frames handed to the pipeline.
        """
        self._refresh_stats(force=True)
        return {"kernel_packets": self._kernel.packets, "kernel_drops": self._kernel.drops,
                "kernel_freezes": self._kernel.freezes, "packets": self._delivered}

    def close(self) -> None:
        """Release the ring and the socket; safe to call twice."""
        self._stopped = True
        if self._sock.fileno() == -1:
            return
        try:
            self._refresh_stats(force=True)
        finally:
            self._map.close()
            self._sock.close()

    def _refresh_stats(self, force: bool = False) -> None:
        now = time.monotonic()
        if (not force and now < self._next_stats) or self._sock.fileno() == -1:
            return
        self._next_stats = now + STATS_EVERY
        read_stats(self._sock, self._kernel)
        if self._kernel.drops > self._logged_drops:
            log.warning("capture on %s: kernel dropped %d packets (ring full), %d in all",
                        self.interface, self._kernel.drops - self._logged_drops,
                        self._kernel.drops)
            self._logged_drops = self._kernel.drops
