"""Sorted, disjoint closed integer intervals: the set algebra behind address and port groups.

Owns union, subtraction and membership on tuples of (lo, hi) pairs. It knows
nothing about IP addresses, ports or rule syntax.
"""

from __future__ import annotations

from bisect import bisect_right

Intervals = tuple[tuple[int, int], ...]


def normalize(items: list[tuple[int, int]]) -> Intervals:
    """Sort and merge overlapping or adjacent intervals."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(items):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def subtract(base: Intervals, cut: Intervals) -> Intervals:
    """The part of `base` not covered by `cut`."""
    result: list[tuple[int, int]] = []
    for lo, hi in base:
        pieces = [(lo, hi)]
        for clo, chi in cut:
            nxt: list[tuple[int, int]] = []
            for plo, phi in pieces:
                if chi < plo or clo > phi:
                    nxt.append((plo, phi))
                    continue
                if clo > plo:
                    nxt.append((plo, clo - 1))
                if chi < phi:
                    nxt.append((chi + 1, phi))
            pieces = nxt
        result.extend(pieces)
    return normalize(result)


def contains(ivs: Intervals, value: int) -> bool:
    """True when `value` lies in one of the intervals."""
    i = bisect_right(ivs, (value, 1 << 130)) - 1
    return i >= 0 and ivs[i][0] <= value <= ivs[i][1]
