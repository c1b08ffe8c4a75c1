"""Per-stage counters shared by the pipeline stages.

Each stage counts what it received, passed on, dropped and failed on, so the
agent can export them labelled `stage=` (Vector's component spec). This module
holds the counters only; exporting them is metrics' job.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class StageCounters:
    received: int = 0
    sent: int = 0
    dropped: int = 0
    errors: int = 0
