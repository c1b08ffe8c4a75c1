"""Walking a TPACKET_V3 block: layouts from linux/if_packet.h, built by hand in an anonymous map."""

import mmap
import struct

from hypothesis import given
from hypothesis import strategies as st

from agent.capture.tpacket import (
    TP_STATUS_KERNEL,
    TP_STATUS_USER,
    TP_STATUS_VLAN_TPID_VALID,
    TP_STATUS_VLAN_VALID,
    RingSpec,
    block_ready,
    take_block,
)

BLOCK = 4096
FIRST = 48  # sizeof(struct tpacket_block_desc)
HDR = 48  # sizeof(struct tpacket3_hdr); frames start at tp_mac = 64 here
MAC = 64


def build_block(frames: list[tuple[bytes, int, int, int]]) -> mmap.mmap:
    """One user-owned block holding `frames` as (data, status, tci, tpid)."""
    ring = mmap.mmap(-1, BLOCK)
    pos = FIRST
    for i, (data, status, tci, tpid) in enumerate(frames):
        nxt = 0 if i == len(frames) - 1 else (MAC + len(data) + 15) // 16 * 16
        struct.pack_into("=IIIIIIHHIIHH", ring, pos,
                         nxt,  # tp_next_offset
                         1700000000, 500_000_000,  # tp_sec, tp_nsec
                         len(data), len(data),  # tp_snaplen, tp_len
                         status | TP_STATUS_USER,
                         MAC, MAC + 14,  # tp_mac, tp_net
                         0, tci, tpid, 0)  # rxhash, vlan_tci, vlan_tpid, padding
        ring[pos + MAC:pos + MAC + len(data)] = data
        pos += nxt
    # block desc: version 3, offset_to_priv, block_status, num_pkts, offset_to_first_pkt, blk_len
    struct.pack_into("=IIIIII", ring, 0, 3, 0, TP_STATUS_USER, len(frames), FIRST, pos)
    return ring


ETH = bytes.fromhex("020000000002" "020000000001" "0800")  # dst, src, IPv4


def test_ring_request_is_tpacket_req3() -> None:
    spec = RingSpec(block_size=8192, block_count=4, frame_size=2048, block_timeout_ms=7)
    assert struct.unpack("=7I", spec.request()) == (8192, 4, 2048, 16, 7, 0, 0)


def test_block_owned_by_user_is_ready() -> None:
    assert block_ready(build_block([(ETH, 0, 0, 0)]), 0)


def test_taking_a_block_hands_it_back_to_the_kernel() -> None:
    ring = build_block([(ETH, 0, 0, 0)])
    take_block(ring, 0, 65535)
    assert struct.unpack_from("=I", ring, 8)[0] == TP_STATUS_KERNEL
    assert not block_ready(ring, 0)


def test_frame_keeps_the_kernel_timestamp() -> None:
    (frame,) = take_block(build_block([(ETH, 0, 0, 0)]), 0, 65535)
    assert frame.ts == 1700000000.5


def test_stripped_vlan_tag_is_reinserted_after_the_macs() -> None:
    (frame,) = take_block(build_block([(ETH, TP_STATUS_VLAN_VALID, 0xA02A, 0)]), 0, 65535)
    # dst MAC, src MAC, 0x8100 TPID, TCI (PCP 5, VID 42), then the original type
    assert frame.data == ETH[:12] + b"\x81\x00\xa0\x2a" + ETH[12:]
    assert frame.wire_len == len(ETH) + 4


def test_qinq_outer_tpid_is_kept_when_the_kernel_reports_it() -> None:
    status = TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID
    (frame,) = take_block(build_block([(ETH, status, 7, 0x88A8)]), 0, 65535)
    assert frame.data[12:16] == b"\x88\xa8\x00\x07"


def test_priority_tagged_frame_with_vid_zero_keeps_its_tag() -> None:
    (frame,) = take_block(build_block([(ETH, TP_STATUS_VLAN_VALID, 0x6000, 0)]), 0, 65535)
    assert frame.data[12:16] == b"\x81\x00\x60\x00"


def test_untagged_frame_is_unchanged_even_with_a_stale_tci() -> None:
    (frame,) = take_block(build_block([(ETH, 0, 99, 0)]), 0, 65535)
    assert frame.data == ETH


def test_snaplen_truncates_the_copy() -> None:
    (frame,) = take_block(build_block([(ETH + b"x" * 100, 0, 0, 0)]), 0, 20)
    assert frame.data == (ETH + b"x" * 100)[:20] and frame.wire_len == len(ETH) + 100


@given(st.lists(st.tuples(st.binary(min_size=14, max_size=200), st.booleans(),
                          st.integers(0, 0xFFFF)), min_size=1, max_size=12))
def test_every_frame_of_a_block_comes_out_in_order(
        frames: list[tuple[bytes, bool, int]]) -> None:
    spec = [(d, TP_STATUS_VLAN_VALID if tagged else 0, tci, 0) for d, tagged, tci in frames]
    got = take_block(build_block(spec), 0, 65535)
    expected = [d[:12] + b"\x81\x00" + tci.to_bytes(2, "big") + d[12:] if tagged else d
                for d, tagged, tci in frames]
    assert [f.data for f in got] == expected
