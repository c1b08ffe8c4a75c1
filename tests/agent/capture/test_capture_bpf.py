"""Compiling capture filters with libpcap on a dead handle."""

import struct

import pytest

from agent.capture.bpf import compile_filter
from yamori.errors import CaptureError

BPF_RET_K = 0x06  # BPF_RET | BPF_K


def test_filter_compiles_to_instructions_ending_in_return() -> None:
    prog = compile_filter("udp port 53")
    assert prog.instructions and prog.instructions[-1][0] == BPF_RET_K


def test_accepting_return_carries_the_snaplen() -> None:
    prog = compile_filter("ip", snaplen=1500)
    assert (BPF_RET_K, 0, 0, 1500) in prog.instructions


def test_sock_filter_array_is_eight_bytes_per_instruction() -> None:
    prog = compile_filter("tcp")
    raw = prog.sock_filter_bytes()
    assert len(raw) == 8 * len(prog.instructions)
    assert struct.unpack_from("=HBBI", raw, 0) == prog.instructions[0]


def test_syntax_error_names_the_expression() -> None:
    with pytest.raises(CaptureError, match="'udp port'"):
        compile_filter("udp port")


def test_vlan_primitive_is_refused_not_misapplied() -> None:
    with pytest.raises(CaptureError, match="vlan"):
        compile_filter("vlan 42 and udp")


def test_a_word_containing_vlan_is_not_the_primitive() -> None:
    with pytest.raises(CaptureError, match="syntax|parse|unknown|host"):
        compile_filter("host vlanx and")
