"""Alert and batch identifiers: UUIDv7 (RFC 9562 §5.7), time-ordered.

Owns `new_alert_id()`. Ids sort by creation time, so the collector's index on
alert_id stays append-mostly and an id says roughly when it was made. Within
one millisecond ordering comes from a counter (RFC 9562 §6.2, method 1: a
42-bit counter in rand_a and the top of rand_b, reseeded randomly each
millisecond with its top bit clear so it has room to grow). It does not own
what the ids are used for, nor parse them back.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid

_COUNTER_BITS = 42  # 12 bits of rand_a + the top 30 bits of rand_b
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1
_TAIL_BITS = 32  # the rest of rand_b: fresh randomness in every id

# One generator per process, seeded from the OS: secrets.randbits makes a
# getrandom() system call per id (6-10 % of a busy agent's CPU). Reseeded in
# a forked child so parent and child never share a stream.
_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))

_lock = threading.Lock()
_last_ms = -1
_counter = 0


def _next_stamp(now_ms: int) -> tuple[int, int]:
    """Return (ms, counter) strictly greater than the previous pair."""
    global _last_ms, _counter
    if now_ms > _last_ms:
        _last_ms = now_ms
        # Top bit clear: leaves at least 2**41 increments before rollover.
        _counter = _random.getrandbits(_COUNTER_BITS - 1)
        return _last_ms, _counter
    # Same millisecond, or the clock stepped back: keep the last timestamp so
    # ids never go backwards (RFC 9562 §6.2, monotonicity over clock accuracy).
    _counter += 1
    if _counter > _COUNTER_MAX:
        _last_ms += 1
        _counter = _random.getrandbits(_COUNTER_BITS - 1)
    return _last_ms, _counter


def uuid7_from(ms: int, counter: int, tail: int) -> uuid.UUID:
    """Lay out a UUIDv7 from its parts (unix_ts_ms, 42-bit counter, 32 random bits)."""
    rand_a = counter >> 30  # top 12 bits of the counter
    rand_b = ((counter & ((1 << 30) - 1)) << _TAIL_BITS) | tail  # 62 bits
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= rand_a << 64
    value |= 0b10 << 62  # variant 10xx (RFC 9562)
    value |= rand_b
    return uuid.UUID(int=value)


def new_alert_id() -> str:
    """A fresh UUIDv7 as its canonical 36-character string; monotonic in this process."""
    with _lock:
        ms, counter = _next_stamp(time.time_ns() // 1_000_000)
    return str(uuid7_from(ms, counter, _random.getrandbits(_TAIL_BITS)))
