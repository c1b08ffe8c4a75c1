"""Live-capture bench: packets/s the builtin engine's Python path sustains with zero drops.

Creates a network namespace and a veth pair (all traffic stays on that link),
writes a pcap of small UDP frames (64 bytes on the wire, many flows), and
replays it with tcpreplay at each requested rate from inside the namespace
while the agent's LiveSource (or, for comparison, pcapy-ng's libpcap handle)
captures the other end, either alone (`--stage capture`) or feeding the
builtin pipeline with rules/local loaded (`--stage pipeline`). One line per
rate: offered pps, delivered, kernel drops, consumer CPU.

    sudo .venv/bin/python bench/capture_live.py --rates 10000,30000,50000 \
        --seconds 5 --stage pipeline

Needs root, iproute2 and tcpreplay (apt-get install tcpreplay).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.capture.live import LiveSource  # noqa: E402
from agent.capture.tpacket import RingSpec  # noqa: E402
from agent.decode.packet import LINKTYPE_ETHERNET, Packet  # noqa: E402

log = logging.getLogger("bench.capture_live")
NS, OUTER, INNER = "ymr-bench", "ymrbc0", "ymrbn0"
PCAP_FRAMES = 10_000


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def make_link() -> None:
    teardown()
    ip("netns", "add", NS)
    ip("link", "add", OUTER, "type", "veth", "peer", "name", INNER)
    ip("link", "set", INNER, "netns", NS)
    ip("link", "set", OUTER, "up")
    ip("-n", NS, "link", "set", INNER, "up")


def teardown() -> None:
    subprocess.run(["ip", "link", "del", OUTER], capture_output=True)
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)


def write_pcap(path: Path) -> None:
    """10,000 minimum-size UDP frames over 1,000 flows (2 ports x 500 hosts)."""
    from scapy.all import IP, UDP, Ether, Raw, wrpcap

    frames = [Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")
              / IP(src=f"10.{(i % 500) // 250}.{(i % 250)}.1", dst="198.18.0.2")
              / UDP(sport=40000 + i % 2, dport=53 if i % 3 else 9999)
              / Raw(b"x" * 18) for i in range(PCAP_FRAMES)]
    wrpcap(str(path), frames)


class PcapySource:
    """pcapy-ng (libpcap) behind the Source protocol, for the comparison only."""

    def __init__(self, interface: str, should_stop: Callable[[], bool]) -> None:
        import pcapy  # type: ignore[import-not-found]

        self._pcap = pcapy.open_live(interface, 65535, True, 100)
        self._should_stop = should_stop
        self._count = 0

    def packets(self) -> Iterator[Packet]:
        while not self._should_stop():
            hdr, data = self._pcap.next()
            if hdr is None or not data:
                continue
            self._count += 1
            sec, usec = hdr.getts()
            yield Packet(ts=sec + usec * 1e-6, raw=data, linktype=LINKTYPE_ETHERNET,
                         pcap_cnt=self._count)

    def stats(self) -> dict[str, int]:
        recv, drop, _ifdrop = self._pcap.stats()
        return {"kernel_packets": recv, "kernel_drops": drop, "kernel_freezes": -1,
                "packets": self._count}

    def close(self) -> None:
        self._pcap.close()


def consume(source: Any, stage: str) -> Callable[[], None]:
    """The loop the consumer thread runs: count frames, or run the builtin pipeline."""
    def count_only() -> None:
        for _pkt in source.packets():
            pass

    def pipeline() -> None:
        from agent.detect.engine import DetectEngine
        from agent.detect.loader import load_rules
        from agent.engines.base import EngineSettings, EngineStats
        from agent.pipeline import Pipeline
        from rules import shipped_rule_files

        loaded, _skipped = load_rules(shipped_rule_files(), EngineSettings())
        log.info("pipeline with %d rules from rules/local", len(loaded))
        pipe = Pipeline(DetectEngine(loaded, EngineSettings()), EngineStats())
        for _alert in pipe.run(source):
            pass

    return count_only if stage == "capture" else pipeline


def replay(pcap: Path, rate: int, seconds: float) -> float:
    """Offer `rate` pps (0: --topspeed) for about `seconds`; the elapsed wall time."""
    loops = max(1, int(rate * seconds) // PCAP_FRAMES) if rate else 10
    speed = [f"--pps={rate}"] if rate else ["--topspeed"]
    began = time.monotonic()
    subprocess.run(["ip", "netns", "exec", NS, "tcpreplay", "-q", "-i", INNER, *speed,
                    f"--loop={loops}", str(pcap)], check=True, capture_output=True)
    return time.monotonic() - began


def run_rate(pcap: Path, rate: int, args: argparse.Namespace) -> dict[str, Any]:
    stop = threading.Event()
    if args.backend == "pcapy":
        source: Any = PcapySource(OUTER, stop.is_set)
    else:
        source = LiveSource(OUTER, should_stop=stop.is_set,
                            ring=RingSpec.for_megabytes(args.ring_mb))
    worker = threading.Thread(target=consume(source, args.stage), daemon=True)
    worker.start()
    time.sleep(1.0)  # rules loaded, loop waiting on the ring
    cpu0 = _process_cpu()
    before = source.stats()
    elapsed = replay(pcap, rate, args.seconds)
    _wait_drained(source)
    cpu = _process_cpu() - cpu0
    stop.set()
    worker.join(5)
    after = source.stats()
    source.close()
    offered = after["kernel_packets"] - before["kernel_packets"]
    delivered = after["packets"] - before["packets"]
    return {"backend": args.backend, "stage": args.stage, "rate": rate or "topspeed",
            "offered_pps": round(offered / elapsed), "kernel_packets": offered,
            "delivered": delivered,
            "kernel_drops": after["kernel_drops"] - before["kernel_drops"],
            "cpu_s": round(cpu, 2), "wall_s": round(elapsed, 2),
            # Throughput per second of CPU the consumer got: what one free core sustains.
            "pps_per_cpu_s": round(delivered / cpu) if cpu else None,
            "loadavg_1m": os.getloadavg()[0]}


def _wait_drained(source: Any, quiet: float = 1.0) -> None:
    last, since = -1, time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.1)
        now = source.stats()["packets"]
        if now != last:
            last, since = now, time.monotonic()


def _process_cpu() -> float:
    t = os.times()
    return t.user + t.system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10000,20000,30000,50000",
                        help="comma-separated pps; 0 means tcpreplay --topspeed")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--stage", choices=("capture", "pipeline"), default="pipeline")
    parser.add_argument("--backend", choices=("ring", "pcapy"), default="ring")
    parser.add_argument("--ring-mb", type=int, default=16)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    make_link()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            pcap = Path(tmp) / "small.pcap"
            write_pcap(pcap)
            for rate in (int(r) for r in args.rates.split(",")):
                sys.stdout.write(json.dumps(run_rate(pcap, rate, args)) + "\n")
                sys.stdout.flush()
    finally:
        teardown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
