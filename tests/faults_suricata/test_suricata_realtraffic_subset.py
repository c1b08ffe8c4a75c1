"""`yamori replay --engine suricata` against recorded Suricata 7.0.10 alerts (check.py).

A fixed small subset: two small coin-miner captures, one per checksum variant
(`-k none` and default handling), so both variants and two captures are
covered by two replays run side by side. Each replay loads ET Open once
(engine.py primes the run on a pipe), ~25 s of one core each on this box.
bench/yamori-suricata.sh runs the full set. Skipped when ../shared or
Suricata is absent.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from agent.engines.suricata.discover import usable

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT.parent / "shared" / "realtraffic" / "check.py"
PCAPS = ROOT.parent / "shared" / "data" / "pcaps" / "cryptomining-nesfit"
SUBSET = (("xmr-eu1.nanopool.org.pcapng", "default"),
          ("zec-eu1.nanopool.org.pcapng", "k_none"))

pytestmark = [
    pytest.mark.skipif(not CHECK.exists(), reason="../shared/realtraffic is not present"),
    pytest.mark.skipif(usable() is None, reason="Suricata >= 7.0 is not installed"),
]


def _start(name: str, variant: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHECK), "--yamori", str(ROOT / "bench" / "yamori-suricata.sh"),
         "--variant", variant, "--expect", str(PCAPS / f"{name}.suricata-alerts.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_suricata_replay_matches_recorded_alerts() -> None:
    runs = [_start(name, variant) for name, variant in SUBSET]
    for run in runs:
        out, err = run.communicate(timeout=600)
        last = (out.strip().splitlines() or [""])[-1]
        found = re.search(r"recall ([\d.]+)%, precision ([\d.]+)%", last)
        assert found, out + err
        assert float(found.group(1)) >= 99.0 and float(found.group(2)) >= 99.0, last
