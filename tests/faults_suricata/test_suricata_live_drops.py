"""Suricata's kernel drop counters on a veth pair, and a rule reload under traffic.

Runs bench/suricata_live.py (the agent's LiveSuricata capturing the root-side
end of a veth pair, tcpreplay sending a real office capture from a test
namespace) with rules/local, and reads Suricata's own counters
(`dump-counters`: capture.kernel_drops, decoder.pkts) around each step:

- at a modest rate nothing is dropped and every packet sent is decoded;
- a tiny TPACKET_V2 ring at full speed overflows, and the drops are counted;
- a rule reload in the middle of a steady replay succeeds without a restart
  and leaves kernel_drops unchanged, and its duration is reported.

Needs root, iproute2, tcpreplay, Suricata >= 7.0 and ../shared's capture;
skipped with the reason otherwise. The ET Open figures come from the bench.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.engines.suricata.discover import usable

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "suricata_live.py"
OFFICE_MIX = ROOT.parent / "shared" / "data" / "pcaps" / "throughput" / \
    "elcabezzonn_aug16_part2.pcap.gz"
LOCAL_RULES = ROOT / "rules" / "local" / "yamori.rules"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                       reason="needs root and iproute2 (ip netns, veth)"),
    pytest.mark.skipif(shutil.which("tcpreplay") is None, reason="tcpreplay is not installed"),
    pytest.mark.skipif(usable() is None, reason="Suricata >= 7.0 is not installed"),
    pytest.mark.skipif(not OFFICE_MIX.exists(), reason="../shared office capture is absent"),
]


def bench(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(BENCH), "--json", "--threads", "1",
                           "--rules", str(LOCAL_RULES), *args],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_no_kernel_drops_at_a_modest_rate() -> None:
    row = bench("--rates", "5000", "--seconds", "5")
    assert row["sent"] > 20_000
    assert row["kernel_drops"] == 0 and row["backlog_dropped"] == 0
    assert row["decoder_pkts"] >= row["sent"]  # plus a few of the host's own frames


def test_a_tiny_ring_at_full_speed_counts_its_drops() -> None:
    row = bench("--rates", "0", "--seconds", "4", "--ring-size", "64", "--tpacket-v2")
    assert row["kernel_drops"] > 0
    # Every packet the socket saw was either decoded or counted as dropped.
    assert row["decoder_pkts"] + row["kernel_drops"] >= row["kernel_packets"] * 0.99


def test_rule_reload_under_traffic_keeps_kernel_drops_unchanged() -> None:
    row = bench("--rates", "5000", "--seconds", "10", "--reload")
    assert row["reload_ok"] is True, row["reload_message"]
    assert row["same_pid"] is True
    assert row["reload_seconds"] > 0
    assert row["kernel_drops"] == 0
    assert row["decoder_pkts"] >= row["sent"]
