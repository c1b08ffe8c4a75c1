"""Live Suricata bench: kernel drops vs packets/s on a veth pair, and rule reload under traffic.

Creates a network namespace joined to the root namespace by a veth pair (all
traffic stays on that link). The agent's LiveSuricata (the production code
path: its suricata.yaml, af-packet, supervision, command socket) captures the
root-side end; tcpreplay replays a real office capture from inside the
namespace at each requested rate. Suricata's own counters (`dump-counters`
over the command socket: capture.kernel_packets, capture.kernel_drops,
decoder.pkts) are read before and after each step.

    sudo .venv/bin/python bench/suricata_live.py --rates 20000,50000,100000 --seconds 10
    sudo .venv/bin/python bench/suricata_live.py --rates 5000 --reload   # reload under traffic
    sudo .venv/bin/python bench/suricata_live.py --rates 0 --ring-size 64 --block-size 4096 \
        --tpacket-v2                                       # overload a tiny ring on purpose

`--rates 0` means tcpreplay --topspeed. Default rules: ET Open from ../shared
(when present) plus rules/local. One JSON object per step on stdout (`--json`)
or one line of text. Needs root, iproute2, tcpreplay and Suricata >= 7.0.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.engines.base import EngineSettings  # noqa: E402
from agent.engines.suricata import ruleset as rs  # noqa: E402
from agent.engines.suricata.control import ControlError  # noqa: E402
from agent.engines.suricata.live import LiveOptions, LiveSuricata  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
OFFICE_MIX = SHARED / "pcaps" / "throughput" / "elcabezzonn_aug16_part2.pcap.gz"
EXTRA_RULE = ('alert udp any any -> any 9 (msg:"yamori bench reload marker"; '
              'content:"yamori-reload"; sid:9990001; rev:1;)\n')
_SETTLE = 2.0  # Suricata syncs thread counters about once a second


@dataclass(slots=True)
class Step:
    """One rate step: what was offered, what Suricata saw and dropped."""

    offered_pps: int
    seconds: float
    sent: int
    actual_pps: float
    kernel_packets: int
    kernel_drops: int
    decoder_pkts: int
    if_rx_packets: int  # frames the capture interface received (the kernel's count)
    # Lost before any capture socket saw them: the veth's receive backlog
    # (netdev_max_backlog) overflowed. Suricata cannot count these.
    backlog_dropped: int = 0
    reload_ok: bool | None = None
    reload_seconds: float | None = None
    reload_message: str | None = None
    same_pid: bool | None = None


@contextmanager
def veth(tag: str) -> Iterator[tuple[str, str, str]]:
    """(namespace, capture interface in the root ns, sending interface in the namespace)."""
    ns, cap, snd = f"ysl{tag}", f"yslc{tag}", f"ysls{tag}"
    run("ip", "netns", "add", ns)
    try:
        run("ip", "link", "add", cap, "type", "veth", "peer", "name", snd, "netns", ns)
        # Jumbo MTU: captured office traffic holds frames above 1500 bytes (offloads).
        run("ip", "link", "set", cap, "mtu", "9000", "up")
        run("ip", "-n", ns, "link", "set", snd, "mtu", "9000", "up")
        yield ns, cap, snd
    finally:
        subprocess.run(["ip", "link", "del", cap], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def run(*cmd: str) -> str:
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True).stdout


def unpacked(pcap: Path, workdir: Path) -> Path:
    if pcap.suffix != ".gz":
        return pcap
    out = workdir / pcap.stem
    with gzip.open(pcap, "rb") as src, out.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def tcpreplay(ns: str, iface: str, pcap: Path, pps: int, seconds: float) -> list[str]:
    rate = ["--topspeed"] if pps <= 0 else [f"--pps={pps}"]
    return ["ip", "netns", "exec", ns, "tcpreplay", "-q", "-i", iface, *rate, "--loop=0",
            f"--duration={max(1, round(seconds))}", str(pcap)]


def sent_of(output: str) -> tuple[int, float]:
    """(packets sent, pps) from tcpreplay's summary."""
    sent = re.search(r"Actual:\s+(\d+) packets", output)
    rated = re.search(r"Rated:.*?([\d.]+) pps", output)
    return (int(sent.group(1)) if sent else 0, float(rated.group(1)) if rated else 0.0)


def counters(live: LiveSuricata, timeout: float = 60.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with live.control(timeout=30.0) as ctl:
                tree = ctl.dump_counters()
            break
        except ControlError:  # "stats not yet synchronized" right after a start
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    capture, decoder = tree.get("capture", {}), tree.get("decoder", {})
    return {"kernel_packets": int(capture.get("kernel_packets", 0)),
            "kernel_drops": int(capture.get("kernel_drops", 0)),
            "decoder_pkts": int(decoder.get("pkts", 0)),
            "if_rx_packets": rx_packets(live.options.interface)}


def settled(live: LiveSuricata, before: dict[str, int], timeout: float = 60.0) -> dict[str, int]:
    """Counters once Suricata's socket has accounted for every frame the interface received.

    Capture threads publish their counters only now and then (up to several
    seconds apart when idle), so a stable reading is not yet a final one.
    """
    deadline = time.monotonic() + timeout
    while True:
        now = counters(live)
        received = rx_packets(live.options.interface) - before["if_rx_packets"]
        if now["kernel_packets"] - before["kernel_packets"] >= received \
                or time.monotonic() > deadline:
            return now
        time.sleep(_SETTLE)


def rx_packets(iface: str) -> int:
    return int(Path(f"/sys/class/net/{iface}/statistics/rx_packets").read_text())


def backlog_dropped() -> int:
    """Packets the kernel dropped from its per-CPU receive backlogs (softnet_stat col 2)."""
    total = 0
    for line in Path("/proc/net/softnet_stat").read_text().splitlines():
        total += int(line.split()[1], 16)
    return total


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after}


def start_live(args: argparse.Namespace, workdir: Path, iface: str,
               ruleset: rs.Ruleset) -> LiveSuricata:
    options = LiveOptions(workdir=workdir, interface=iface, threads=args.threads,
                          stats_interval=1, ring_size=args.ring_size,
                          block_size=args.block_size, tpacket_v3=not args.tpacket_v2)
    live = LiveSuricata(EngineSettings(), options)
    live.prepare(ruleset)
    live.start()
    if not live.wait_ready(900):
        raise SystemExit("suricata did not become ready")
    return live


def step(live: LiveSuricata, ns: str, snd: str, pcap: Path, pps: int, seconds: float) -> Step:
    before, backlog = counters(live), backlog_dropped()
    done = subprocess.run(tcpreplay(ns, snd, pcap, pps, seconds), capture_output=True,
                          text=True, check=False)
    d = delta(settled(live, before), before)
    sent, actual = sent_of(done.stdout + done.stderr)
    return Step(pps, seconds, sent, actual, d["kernel_packets"], d["kernel_drops"],
                d["decoder_pkts"], d["if_rx_packets"], backlog_dropped() - backlog)


def reload_step(live: LiveSuricata, ns: str, snd: str, pcap: Path, pps: int,
                seconds: float, ruleset: rs.Ruleset) -> Step:
    """Steady replay at `pps`; a rule reload in the middle; counters over the whole window."""
    pid = live.supervisor.pid if live.supervisor else None
    before, backlog = counters(live), backlog_dropped()
    traffic = subprocess.Popen(tcpreplay(ns, snd, pcap, pps, seconds), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    time.sleep(min(3.0, seconds / 4))
    result = live.reload(ruleset)
    out, _ = traffic.communicate(timeout=seconds + 900)
    d = delta(settled(live, before), before)
    sent, actual = sent_of(out)
    same = live.supervisor is not None and live.supervisor.pid == pid
    return Step(pps, seconds, sent, actual, d["kernel_packets"], d["kernel_drops"],
                d["decoder_pkts"], d["if_rx_packets"], backlog_dropped() - backlog, result.ok,
                round(result.duration, 2), result.message, same)


def default_rules() -> list[Path]:
    found = sorted((SHARED / "et-open").glob("*/suricata.rules"))
    return [*found[-1:], *sorted((ROOT / "rules" / "local").glob("*.rules"))]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rates", default="20000,50000,100000",
                   help="comma-separated packets/s (0 = topspeed)")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--pcap", type=Path, default=OFFICE_MIX)
    p.add_argument("--rules", type=Path, action="append", help="rule file (repeatable)")
    p.add_argument("--threads", default="auto", help="af-packet worker threads")
    p.add_argument("--ring-size", type=int, help="af-packet ring-size (frames per thread)")
    p.add_argument("--block-size", type=int, help="af-packet tpacket-v3 block-size")
    p.add_argument("--tpacket-v2", action="store_true",
                   help="use a TPACKET_V2 ring (exactly ring-size frames: the smallest ring)")
    p.add_argument("--reload", action="store_true",
                   help="reload the rules (plus one new rule) in the middle of each step")
    p.add_argument("--json", action="store_true", help="one JSON object per step")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0 or shutil.which("tcpreplay") is None:
        sys.stderr.write("needs root and tcpreplay\n")
        return 2
    rule_files = args.rules or default_rules()
    with tempfile.TemporaryDirectory(prefix="yamori-sl-") as tmp, veth(str(os.getpid() % 10000)) \
            as (ns, cap, snd):
        work = Path(tmp)
        pcap = unpacked(args.pcap, work)
        extra = work / "reload.rules"
        extra.write_text(EXTRA_RULE, encoding="utf-8")
        began = time.monotonic()
        live = start_live(args, work / "suricata", cap, rs.from_files(rule_files))
        load_seconds = time.monotonic() - began
        try:
            for rate in (int(r) for r in args.rates.split(",")):
                if args.reload:
                    result = reload_step(live, ns, snd, pcap, rate, args.seconds,
                                         rs.from_files([*rule_files, extra]))
                else:
                    result = step(live, ns, snd, pcap, rate, args.seconds)
                report(result, load_seconds, args.json)
        finally:
            live.stop()
    return 0


def report(result: Step, load_seconds: float, as_json: bool) -> None:
    row: dict[str, Any] = asdict(result)
    row["load_seconds"] = round(load_seconds, 1)
    if as_json:
        sys.stdout.write(json.dumps(row) + "\n")
    else:
        sys.stdout.write(" ".join(f"{k}={v}" for k, v in row.items() if v is not None) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
