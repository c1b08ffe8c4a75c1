"""Process-wide runtime tuning shared by the long-running yamori daemons.

Only the garbage collector for now: agent and collector parse and build
batches of thousands of alerts, and CPython's default generation-0 threshold
(700 allocations) makes the cyclic collector walk those short-lived objects
over and over — profiled at 10-20 % of a busy collector. The records hold no
reference cycles, so collecting less often costs little memory.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Freeze what start-up allocated and raise the collection thresholds."""
    gc.collect()
    gc.freeze()  # start-up objects (modules, app) are never garbage: skip them
    gc.set_threshold(*GC_THRESHOLDS)
