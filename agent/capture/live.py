"""Live capture from a Linux interface through an AF_PACKET raw socket.

Basic and dependency-free: one SOCK_RAW socket bound to ETH_P_ALL on the
interface, promiscuous mode through PACKET_ADD_MEMBERSHIP (dropped when the
socket closes), a poll timeout so `stop()` is noticed while the link is idle.
Frames are Ethernet (LINKTYPE_ETHERNET). Not done here: BPF filters (setting
one raises CaptureError), TPACKET ring buffers, fanout, VLAN tag
re-insertion (the kernel strips the outer tag into ancillary data).
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import time
from collections.abc import Callable, Iterator

from agent.decode.packet import LINKTYPE_ETHERNET, Packet
from yamori.errors import CaptureError

log = logging.getLogger(__name__)

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_OUTGOING = 4  # sll_pkttype of frames this host sent
POLL_TIMEOUT = 0.2  # seconds between stop checks while idle


class LiveSource:
    """Capture frames from `interface` until `stop()` is called."""

    def __init__(self, interface: str, bpf: str | None = None, snaplen: int = 65535,
                 should_stop: Callable[[], bool] | None = None) -> None:
        if bpf:
            raise CaptureError("BPF filters are not supported by the AF_PACKET source yet")
        self.interface = interface
        self.snaplen = snaplen
        self._stopped = False
        # Checked at every poll timeout too, so an idle link never delays a stop.
        self._should_stop = should_stop or (lambda: False)
        self._sock = _open_socket(interface)

    def stop(self) -> None:
        """Ask `packets()` to return at its next poll timeout."""
        self._stopped = True

    def packets(self) -> Iterator[Packet]:
        """Yield frames as they arrive; returns once stop() was called."""
        cnt = 0
        poller = select.poll()
        poller.register(self._sock, select.POLLIN)
        while not self._stopped and not self._should_stop():
            if not poller.poll(int(POLL_TIMEOUT * 1000)):
                continue
            try:
                raw, _addr = self._sock.recvfrom(self.snaplen)
            except BlockingIOError:
                continue
            except OSError as exc:
                raise CaptureError(f"capture on {self.interface} failed: {exc}") from exc
            cnt += 1
            yield Packet(ts=time.time(), raw=raw, linktype=LINKTYPE_ETHERNET, pcap_cnt=cnt)

    def close(self) -> None:
        self._stopped = True
        self._sock.close()


def _open_socket(interface: str) -> socket.socket:
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    except (OSError, AttributeError) as exc:
        raise CaptureError(f"cannot open AF_PACKET socket: {exc}") from exc
    try:
        sock.bind((interface, ETH_P_ALL))
        ifindex = socket.if_nametoindex(interface)
        # struct packet_mreq: ifindex, type, alen, address[8]
        mreq = struct.pack("iHH8s", ifindex, PACKET_MR_PROMISC, 0, b"")
        sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise CaptureError(f"cannot capture on interface {interface!r}: {exc}") from exc
    return sock
