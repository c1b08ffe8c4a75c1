"""`yamori replay --engine suricata` against recorded Suricata 7.0.10 alerts (check.py).

A fixed small subset (two small coin-miner captures, both checksum variants)
keeps this under a minute; bench/yamori-suricata.sh runs the full set.
Skipped when ../shared or Suricata is absent.
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
SUBSET = ("xmr-eu1.nanopool.org.pcapng", "zec-eu1.nanopool.org.pcapng")

pytestmark = [
    pytest.mark.skipif(not CHECK.exists(), reason="../shared/realtraffic is not present"),
    pytest.mark.skipif(usable() is None, reason="Suricata >= 7.0 is not installed"),
]


def test_suricata_replay_matches_recorded_alerts() -> None:
    expect = [word for name in SUBSET
              for word in ("--expect", str(PCAPS / f"{name}.suricata-alerts.json"))]
    done = subprocess.run(
        [sys.executable, str(CHECK), "--yamori", str(ROOT / "bench" / "yamori-suricata.sh"),
         "--variant", "both", "--jobs", "2", *expect],
        capture_output=True, text=True, timeout=600, check=False)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    found = re.search(r"recall ([\d.]+)%, precision ([\d.]+)%", last)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) >= 99.0 and float(found.group(2)) >= 99.0, last
