"""Retry delays: capped exponential backoff with full jitter, honouring Retry-After.

Owns the arithmetic only (AWS "full jitter": sleep = uniform(0, min(cap,
base * 2**attempt))). It does not sleep, count attempts or decide what is
retryable: shipper.py does.
"""

from __future__ import annotations

import random


def full_jitter(
    attempt: int,
    base: float,
    cap: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait before retry number `attempt` (1 = first retry).

    A server's Retry-After is a floor (we never come back earlier than asked)
    but is itself bounded by `cap`, so a bogus "come back tomorrow" cannot
    silence a sensor for longer than the configured ceiling.
    """
    exponent = min(max(attempt - 1, 0), 62)  # 2**63 * base would overflow a float sooner or later
    delay = rng.uniform(0.0, min(cap, base * (2.0**exponent)))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, cap)
