"""Compile a tcpdump-syntax capture filter to classic BPF with libpcap, for SO_ATTACH_FILTER.

libpcap (Debian package libpcap0.8, already on every box that has tcpdump or
Suricata) is loaded through ctypes and asked to compile the expression on a
*dead* handle (`pcap_open_dead(DLTlinktype, snaplen)`): no capture
privileges, no second socket. The instructions are copied out so the caller
can attach them to its own AF_PACKET socket.

Not done here: attaching (agent/capture/live.py does that), and libpcap's
Linux-live-only VLAN handling. On a dead handle libpcap cannot know that the
kernel moves the outer 802.1Q tag out of the packet data, so a filter using
the `vlan` primitive is compiled against in-frame tags and would not see
kernel-stripped ones; filters using `vlan` are refused rather than
silently mis-applied. Plain filters (`udp port 53`, `not port 22`) apply to the frame
as the kernel holds it, i.e. to tagged and untagged traffic alike.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import struct
from dataclasses import dataclass

from yamori.errors import CaptureError

DLT_EN10MB = 1
PCAP_NETMASK_UNKNOWN = 0xFFFFFFFF
_LIBNAMES = ("libpcap.so.0.8", "libpcap.so.1", "libpcap.so")
_VLAN_PRIMITIVE = re.compile(r"\bvlan\b")


class _BpfInsn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _BpfProgram(ctypes.Structure):
    _fields_ = [("bf_len", ctypes.c_uint), ("bf_insns", ctypes.POINTER(_BpfInsn))]


@dataclass(slots=True, frozen=True)
class BpfProgram:
    """A compiled classic-BPF program: (code, jt, jf, k) per instruction."""

    expression: str
    instructions: tuple[tuple[int, int, int, int], ...]

    def sock_filter_bytes(self) -> bytes:
        """The `struct sock_filter[]` array the kernel expects."""
        return b"".join(struct.pack("=HBBI", *insn) for insn in self.instructions)


def load_libpcap() -> ctypes.CDLL:
    """Load libpcap, or raise CaptureError naming the package to install."""
    names = [n for n in (ctypes.util.find_library("pcap"),) if n] + list(_LIBNAMES)
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        _declare(lib)
        return lib
    raise CaptureError("capture.bpf needs libpcap: install the libpcap0.8 package")


def _declare(lib: ctypes.CDLL) -> None:
    lib.pcap_open_dead.restype = ctypes.c_void_p
    lib.pcap_open_dead.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.pcap_compile.restype = ctypes.c_int
    lib.pcap_compile.argtypes = [ctypes.c_void_p, ctypes.POINTER(_BpfProgram),
                                 ctypes.c_char_p, ctypes.c_int, ctypes.c_uint32]
    lib.pcap_geterr.restype = ctypes.c_char_p
    lib.pcap_geterr.argtypes = [ctypes.c_void_p]
    lib.pcap_freecode.argtypes = [ctypes.POINTER(_BpfProgram)]
    lib.pcap_close.argtypes = [ctypes.c_void_p]


def compile_filter(expression: str, snaplen: int = 65535,
                   linktype: int = DLT_EN10MB) -> BpfProgram:
    """Compile `expression` (tcpdump syntax, optimised) or raise CaptureError."""
    if _VLAN_PRIMITIVE.search(expression):
        raise CaptureError(f"capture.bpf {expression!r}: the vlan primitive is not supported "
                           "on the AF_PACKET source (the kernel strips the tag before the "
                           "filter runs)")
    lib = load_libpcap()
    handle = lib.pcap_open_dead(linktype, snaplen)
    if not handle:
        raise CaptureError("libpcap: pcap_open_dead failed")
    prog = _BpfProgram()
    try:
        if lib.pcap_compile(handle, ctypes.byref(prog), expression.encode(), 1,
                            PCAP_NETMASK_UNKNOWN) != 0:
            err = (lib.pcap_geterr(handle) or b"?").decode(errors="replace")
            raise CaptureError(f"capture.bpf {expression!r}: {err}")
        insns = tuple((prog.bf_insns[i].code, prog.bf_insns[i].jt, prog.bf_insns[i].jf,
                       prog.bf_insns[i].k) for i in range(prog.bf_len))
        lib.pcap_freecode(ctypes.byref(prog))
    finally:
        lib.pcap_close(handle)
    return BpfProgram(expression, insns)
