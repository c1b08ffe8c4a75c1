"""An AF_PACKET TPACKET_V3 receive ring, written with socket + mmap + struct.

Owns the kernel ABI: the socket options, the `tpacket_req3` ring request,
the block descriptor and `tpacket3_hdr` layouts (linux/if_packet.h), walking
a block the kernel handed to user space, re-inserting the 802.1Q tag the
kernel moved into `tp_vlan_tci`, and the reset-on-read PACKET_STATISTICS
counters. It knows nothing of Packet records, stop requests or pipelines
(agent/capture/live.py adds those).

Why hand-written rather than a library: the ABI is ~10 fixed-layout fields,
the ring needs no compiled code (mmap and struct are in the stdlib), so it
installs on arm64 and amd64 without a wheel or a compiler, and a V3 ring
hands Python whole blocks of packets per poll() instead of one recvfrom()
per packet. The measured comparison with libpcap is in bench/capture_live.py.
"""

from __future__ import annotations

import mmap
import socket
import struct
from dataclasses import dataclass

from yamori.errors import CaptureError

ETH_P_ALL = 0x0003
SOL_PACKET = 263
SO_ATTACH_FILTER = 26  # SOL_SOCKET level
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_VERSION = 10
TPACKET_V3 = 2

TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1 << 0
TP_STATUS_VLAN_VALID = 1 << 4  # tp_vlan_tci holds a tag the kernel took off the frame
TP_STATUS_VLAN_TPID_VALID = 1 << 6  # tp_vlan_tpid is set too (802.1ad vs 802.1Q)
ETH_P_8021Q = 0x8100

# struct tpacket_block_desc: version, offset_to_priv, then tpacket_hdr_v1:
# block_status, num_pkts, offset_to_first_pkt, blk_len, seq_num (u64) ...
_BLOCK = struct.Struct("=IIIIII")
_BLOCK_STATUS_OFF = 8
# struct tpacket3_hdr: tp_next_offset, tp_sec, tp_nsec, tp_snaplen, tp_len,
# tp_status, tp_mac (u16), tp_net (u16), then hv1: tp_rxhash, tp_vlan_tci,
# tp_vlan_tpid (u16), padding (u16).
_PKT = struct.Struct("=IIIIIIHHIIH")
_STATS_V3 = struct.Struct("=III")  # tp_packets, tp_drops, tp_freeze_q_cnt
_STATUS_KERNEL = struct.pack("=I", TP_STATUS_KERNEL)


@dataclass(slots=True, frozen=True)
class RingSpec:
    """Ring geometry. The kernel wants block_size a multiple of the page size."""

    block_size: int = 1 << 18  # 256 KiB: room for a 64 KiB GRO frame and then some
    block_count: int = 64  # 16 MiB in all: ~0.3 s of 50k pps of 1 KiB frames
    frame_size: int = 2048  # only a sanity bound for V3 (frames are packed)
    block_timeout_ms: int = 50  # a partly filled block is handed over after this

    def request(self) -> bytes:
        """struct tpacket_req3 for PACKET_RX_RING."""
        frames = self.block_size * self.block_count // self.frame_size
        return struct.pack("=7I", self.block_size, self.block_count, self.frame_size,
                           frames, self.block_timeout_ms, 0, 0)

    @classmethod
    def for_megabytes(cls, megabytes: int, block_size: int = 1 << 18) -> RingSpec:
        """A ring of about `megabytes` MiB (at least two blocks)."""
        return cls(block_size=block_size,
                   block_count=max(2, megabytes * (1 << 20) // block_size))

    @property
    def size(self) -> int:
        return self.block_size * self.block_count


@dataclass(slots=True)
class KernelStats:
    """PACKET_STATISTICS accumulated since the socket was opened."""

    packets: int = 0  # frames that passed the filter (delivered + dropped)
    drops: int = 0  # frames the kernel discarded because the ring was full
    freezes: int = 0  # times the ring filled up and the queue froze


@dataclass(slots=True, frozen=True)
class Frame:
    """One captured frame as it came off the wire (tag re-inserted)."""

    ts: float
    data: bytes
    wire_len: int


def open_ring_socket(interface: str, ring: RingSpec, bpf: bytes | None,
                     promisc: bool = True) -> tuple[socket.socket, mmap.mmap]:
    """A bound AF_PACKET socket with a mapped V3 RX ring (and filter) on `interface`."""
    try:
        # Protocol 0 receives nothing until bind(): no frame enters the ring
        # before the filter is attached (libpcap does the same).
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    except (OSError, AttributeError) as exc:
        raise CaptureError(f"cannot open AF_PACKET socket: {exc}") from exc
    try:
        ifindex = socket.if_nametoindex(interface)
        if bpf is not None:
            attach_filter(sock, bpf)
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING, ring.request())
        mapped = mmap.mmap(sock.fileno(), ring.size, mmap.MAP_SHARED,
                           mmap.PROT_READ | mmap.PROT_WRITE)
        sock.bind((interface, ETH_P_ALL))
        if promisc:
            mreq = struct.pack("iHH8s", ifindex, PACKET_MR_PROMISC, 0, b"")
            sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
    except OSError as exc:
        sock.close()
        raise CaptureError(f"cannot capture on interface {interface!r}: {exc}") from exc
    return sock, mapped


def attach_filter(sock: socket.socket, program: bytes) -> None:
    """SO_ATTACH_FILTER with a `struct sock_filter[]` array (8 bytes per instruction)."""
    import ctypes

    buf = ctypes.create_string_buffer(program, len(program))
    # struct sock_fprog { unsigned short len; struct sock_filter *filter; }
    fprog = struct.pack("@HP", len(program) // 8, ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def read_stats(sock: socket.socket, into: KernelStats) -> KernelStats:
    """Add the kernel's counters since the last call (the read resets them)."""
    raw = sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATS_V3.size)
    packets, drops, freezes = _STATS_V3.unpack(raw)
    into.packets += packets
    into.drops += drops
    into.freezes += freezes
    return into


def block_ready(ring: mmap.mmap, offset: int) -> bool:
    """True when the kernel handed the block at `offset` to user space."""
    return bool(_BLOCK.unpack_from(ring, offset)[2] & TP_STATUS_USER)


def take_block(ring: mmap.mmap, offset: int, snaplen: int) -> list[Frame]:
    """Copy every frame out of a user-owned block, then hand the block back."""
    _v, _priv, _status, count, first, _len = _BLOCK.unpack_from(ring, offset)
    frames: list[Frame] = []
    pos = offset + first
    unpack = _PKT.unpack_from
    for _ in range(count):
        nxt, sec, nsec, caplen, wire, status, mac, _net, _hash, tci, tpid = unpack(ring, pos)
        start = pos + mac
        data = ring[start:start + min(caplen, snaplen)]
        if status & TP_STATUS_VLAN_VALID:
            data = _with_tag(data, tci, tpid if status & TP_STATUS_VLAN_TPID_VALID else 0)
            wire += 4
        frames.append(Frame(sec + nsec * 1e-9, data, wire))
        pos += nxt
    ring[offset + _BLOCK_STATUS_OFF:offset + _BLOCK_STATUS_OFF + 4] = _STATUS_KERNEL
    return frames


def _with_tag(frame: bytes, tci: int, tpid: int) -> bytes:
    """Put the outer 802.1Q/802.1ad tag back after the two MAC addresses."""
    return frame[:12] + struct.pack("!HH", tpid or ETH_P_8021Q, tci) + frame[12:]
