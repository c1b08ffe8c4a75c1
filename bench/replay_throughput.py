#!/usr/bin/env python3
"""Throughput of the builtin engine's stages, as ratios against reading alone.

Runs, in one process over the same capture: read only (the baseline), read +
decode, read + decode + flow, and the full pipeline with a ruleset. Prints
packets/s for each and its ratio to the baseline, so numbers compare across
machines. Default capture: ../shared/data/pcaps/throughput/ (gz decompressed
to a temp file); default rules: yamori's own.

usage: bench/replay_throughput.py [--pcap FILE] [--rules FILE ...] [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import rules
from agent.capture.pcapfile import PcapFileSource
from agent.decode import decode_packet
from agent.detect.engine import DetectEngine
from agent.detect.loader import load_rules
from agent.engines.base import EngineSettings, EngineStats
from agent.flow.table import FlowTable
from agent.pipeline import Pipeline

DEFAULT_PCAP = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "pcaps"
                / "throughput" / "elcabezzonn_aug16_part2.pcap.gz")


def plain_pcap(path: Path, workdir: Path) -> Path:
    if path.suffix != ".gz":
        return path
    out = workdir / path.stem
    with gzip.open(path, "rb") as src, out.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def timed(label: str, run: Callable[[], int]) -> tuple[str, int, float]:
    start = time.perf_counter()
    packets = run()
    return label, packets, time.perf_counter() - start


def read_only(pcap: Path, limit: int) -> int:
    n = 0
    for _ in PcapFileSource(pcap).packets():
        n += 1
        if n >= limit:
            break
    return n


def read_decode(pcap: Path, limit: int, with_flow: bool) -> int:
    n, flows = 0, FlowTable()
    for pkt in PcapFileSource(pcap).packets():
        decode_packet(pkt)
        if with_flow:
            flows.update(pkt)
        n += 1
        if n >= limit:
            break
    return n


def full(pcap: Path, limit: int, rule_files: list[Path]) -> int:
    settings = EngineSettings()
    loaded, _ = load_rules(rule_files, settings)
    stats = EngineStats()
    pipeline = Pipeline(DetectEngine(loaded, settings), stats)
    for _ in pipeline.run(PcapFileSource(pcap), should_stop=lambda: stats.packets >= limit):
        pass
    return stats.packets


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pcap", type=Path, default=DEFAULT_PCAP)
    ap.add_argument("--rules", type=Path, action="append")
    ap.add_argument("--limit", type=int, default=50_000)
    args = ap.parse_args()
    rule_files = args.rules or rules.shipped_rule_files()
    with tempfile.TemporaryDirectory() as tmp:
        pcap = plain_pcap(args.pcap, Path(tmp))
        runs = [timed("read", lambda: read_only(pcap, args.limit)),
                timed("read+decode", lambda: read_decode(pcap, args.limit, False)),
                timed("read+decode+flow", lambda: read_decode(pcap, args.limit, True)),
                timed("full pipeline", lambda: full(pcap, args.limit, rule_files))]
    base_rate = runs[0][1] / runs[0][2]
    out = sys.stdout
    out.write(f"capture {args.pcap.name}, rules {', '.join(p.name for p in rule_files)}\n")
    for label, packets, seconds in runs:
        rate = packets / seconds
        out.write(f"{label:18s} {packets:8d} pkts {seconds:7.2f} s {rate:10.0f} pkt/s "
                  f"ratio to read {rate / base_rate:5.3f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
