"""The TPACKET_V3 live source on a veth pair whose far end lives in a test namespace.

Frames are injected inside the namespace the test created and arrive only on
the veth end the source captures from (it has no IP address), so no traffic
leaves the test's own link. Needs root and iproute2; skipped otherwise.
"""

import os
import shutil
import subprocess
import sys
import threading

import pytest

from agent.capture.live import LiveSource
from agent.capture.tpacket import RingSpec
from agent.decode import decode_packet
from agent.decode.packet import Packet

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None,
    reason="live capture test needs root and iproute2 (ip netns, veth)")

MARKER = b"yamori-ring-marker"


def inject(ns: str, iface: str, frames: str, count: int) -> None:
    """sendp `count` copies of each scapy frame expression in `frames`, inside `ns`."""
    script = ("from scapy.all import Ether, Dot1Q, IP, UDP, TCP, Raw, sendp\n"
              f"frames = [{frames}]\n"
              f"sendp(frames * {count}, iface={iface!r}, verbose=False)\n")
    subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", script],
                   check=True, capture_output=True, timeout=120)


UDP_FRAME = (f"Ether(dst='02:00:00:00:00:02')/IP(src='198.18.0.1', dst='198.18.0.2')"
             f"/UDP(sport=40000, dport=9999)/Raw({MARKER!r})")
TCP_FRAME = (f"Ether(dst='02:00:00:00:00:02')/IP(src='198.18.0.1', dst='198.18.0.2')"
             f"/TCP(sport=40000, dport=8080)/Raw({MARKER!r})")
VLAN_FRAME = (f"Ether(dst='02:00:00:00:00:02')/Dot1Q(vlan=42, prio=5)"
              f"/IP(src='198.18.0.1', dst='198.18.0.2')/UDP(sport=40000, dport=9999)"
              f"/Raw({MARKER!r})")


class Collector:
    """Reads marker frames from a source in a thread until `want` arrived or `timeout` passed."""

    def __init__(self, source: LiveSource, want: int, timeout: float = 20.0) -> None:
        self.source, self.want = source, want
        self.got: list[Packet] = []
        self._timer = threading.Timer(timeout, source.stop)
        self._worker = threading.Thread(target=self._run)
        self._timer.start()
        self._worker.start()

    def _run(self) -> None:
        for pkt in self.source.packets():
            if MARKER in pkt.raw:
                self.got.append(pkt)
            if len(self.got) >= self.want:
                self.source.stop()

    def finish(self) -> list[Packet]:
        self._worker.join(30)
        self.source.stop()
        self._timer.cancel()
        self._worker.join(5)
        assert not self._worker.is_alive()
        return self.got


def test_outer_vlan_tag_is_put_back_into_the_frame(veth: tuple[str, str, str]) -> None:
    ns, outer, inner = veth
    source = LiveSource(outer, bpf="udp port 9999")
    try:
        reader = Collector(source, 2)
        inject(ns, inner, VLAN_FRAME, 2)
        got = reader.finish()
    finally:
        source.close()
    assert len(got) == 2
    raw = got[0].raw
    assert raw[12:14] == b"\x81\x00"  # TPID 802.1Q, after dst+src MAC
    assert raw[14:16] == ((5 << 13) | 42).to_bytes(2, "big")  # PCP 5, VID 42
    decode_packet(got[0])
    assert got[0].vlan_ids == (42,)


def test_bpf_filter_passes_only_matching_frames(veth: tuple[str, str, str]) -> None:
    ns, outer, inner = veth
    source = LiveSource(outer, bpf="tcp port 8080")
    try:
        reader = Collector(source, 6, timeout=5.0)  # 6: would catch a leak past the filter
        inject(ns, inner, f"{UDP_FRAME}, {TCP_FRAME}", 3)
        got = reader.finish()
        stats = source.stats()
    finally:
        source.close()
    assert len(got) == 3
    assert all(pkt.raw[23] == 6 for pkt in got)  # IPv4 protocol byte: TCP only
    assert stats["kernel_packets"] == 3  # the UDP frames never reached the ring


def test_no_kernel_drops_at_a_modest_rate(veth: tuple[str, str, str]) -> None:
    ns, outer, inner = veth
    source = LiveSource(outer, bpf="udp port 9999")
    try:
        reader = Collector(source, 2000)
        inject(ns, inner, UDP_FRAME, 2000)
        got = reader.finish()
        stats = source.stats()
    finally:
        source.close()
    assert len(got) == 2000
    assert stats["kernel_drops"] == 0 and stats["kernel_packets"] == 2000
    assert stats["packets"] == 2000


def test_an_overloaded_tiny_ring_counts_its_drops(veth: tuple[str, str, str]) -> None:
    ns, outer, inner = veth
    tiny = RingSpec(block_size=4096, block_count=2, block_timeout_ms=10)
    source = LiveSource(outer, bpf="udp port 9999", ring=tiny)
    try:
        inject(ns, inner, UDP_FRAME, 500)  # nobody reads while 500 frames arrive
        got = Collector(source, 500, timeout=2.0).finish()
        stats = source.stats()
    finally:
        source.close()
    assert stats["kernel_drops"] > 0 and stats["kernel_freezes"] > 0
    # Nothing is lost without being counted: delivered + dropped == sent.
    assert len(got) + stats["kernel_drops"] == 500 == stats["kernel_packets"]
