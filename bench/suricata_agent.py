"""Agent overhead beside Suricata: following eve.json into the queue.

A fake Suricata (a separate process, so its CPU is not counted) appends EVE
alert lines — a real Suricata 7 alert record with metadata, ~1.3 KB — to
eve.json at a given rate, with a stats line every second as Suricata writes
them. This process runs the agent's real consumer: EveFeed (EveFollower with
its bookmark, Enricher, batch commit of alerts + bookmark in one transaction)
into the real SQLite AlertQueue, polling every 0.2 s as agent/daemon.py does.

Reported per phase: alerts written and queued (none lost, none doubled),
this process's CPU as % of one core (resource.getrusage over the phase's
wall time), its RSS and peak RSS (/proc/self/status), and for the burst the
time until the last alert was committed.

    .venv/bin/python bench/suricata_agent.py --rate 100 --seconds 30 --burst 10000

The uplink's cost is not included (bench/uplink.py measures it).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import agent.daemon  # noqa: E402,F401  (the agent's imports count in its RSS)
from agent.buffer.store import AlertQueue  # noqa: E402
from agent.engines.suricata.feed import Enricher, EveFeed  # noqa: E402

POLL = 0.2  # agent/daemon.py's eve.json poll interval

ALERT = {
    "timestamp": "2026-11-22T02:13:00.000000+0000", "flow_id": 1, "in_iface": "eth0",
    "event_type": "alert", "src_ip": "192.168.10.23", "src_port": 50432,
    "dest_ip": "198.51.100.77", "dest_port": 443, "proto": "TCP", "pkt_src": "wire/pcap",
    "alert": {"action": "allowed", "gid": 1, "signature_id": 2029340, "rev": 1,
              "signature": "ET INFO TLS Handshake Failure", "category": "Potentially Bad Traffic",
              "severity": 2,
              "metadata": {"affected_product": ["Any"], "attack_target": ["Client_and_Server"],
                           "created_at": ["2016_03_08"], "deployment": ["Perimeter"],
                           "performance_impact": ["Low"], "signature_severity": ["Informational"],
                           "updated_at": ["2020_06_09"]}},
    "app_proto": "tls", "direction": "to_server",
    "flow": {"pkts_toserver": 4, "pkts_toclient": 3, "bytes_toserver": 302,
             "bytes_toclient": 169, "start": "2026-11-22T02:13:00.000000+0000",
             "src_ip": "192.168.10.23", "dest_ip": "198.51.100.77", "src_port": 50432,
             "dest_port": 443},
}


@dataclass(slots=True)
class Phase:
    name: str
    written: int
    queued: int
    seconds: float
    cpu_percent: float  # of one core, over the phase's wall time
    catch_up_seconds: float  # from the writer's last line to the last alert committed
    rss_mb: float
    peak_rss_mb: float


def line(n: int) -> bytes:
    record = dict(ALERT, flow_id=n, timestamp=f"2026-11-22T02:13:{n % 60:02d}.{n:06d}+0000")
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def stats_line(n: int) -> bytes:
    return json.dumps({"timestamp": "2026-11-22T02:13:00.000000+0000", "event_type": "stats",
                       "stats": {"uptime": n, "decoder": {"pkts": n * 1000}}}).encode() + b"\n"


def writer(eve: str, start: int, count: int, rate: float) -> None:
    """Append `count` alerts at `rate`/s (<= 0: at full speed) and a stats line a second."""
    began = time.monotonic()
    next_stats = began + 1.0
    with open(eve, "ab", buffering=0) as out:
        for i in range(count):
            if rate > 0:
                due = began + i / rate
                while time.monotonic() < due:
                    time.sleep(min(0.01, due - time.monotonic()))
            out.write(line(start + i))  # one write per record, as Suricata's eve-log does
            if time.monotonic() >= next_stats:
                out.write(stats_line(i))
                next_stats += 1.0


def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in
                  Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_phase(name: str, feed: EveFeed, queue: AlertQueue, eve: Path, start: int,
              count: int, rate: float) -> Phase:
    before = queue.depth()
    proc = multiprocessing.Process(target=writer, args=(str(eve), start, count, rate))
    wall0, cpu0 = time.monotonic(), cpu_seconds()
    proc.start()
    writer_end: float | None = None
    while True:
        feed.poll()
        if writer_end is None and not proc.is_alive():
            writer_end = time.monotonic()
        if writer_end is not None and (queue.depth() - before >= count
                                       or time.monotonic() - writer_end > 60):
            break
        time.sleep(POLL)
    wall = time.monotonic() - wall0
    cpu = cpu_seconds() - cpu0
    proc.join()
    rss, peak = rss_mb()
    return Phase(name, count, queue.depth() - before, round(wall, 2),
                 round(100.0 * cpu / wall, 2), round(time.monotonic() - writer_end, 2),
                 round(rss, 1), round(peak, 1))


def check_exactly_once(queue: AlertQueue, total: int) -> dict[str, int]:
    """Every written alert (flow_id 0..total-1) queued once, each with its own alert_id."""
    records = [a.record for a in queue.lease(total * 2 + 10, 1 << 40)]
    flows = [r["flow_id"] for r in records]
    return {"queued": len(records), "distinct_alert_ids": len({r["alert_id"] for r in records}),
            "missing": len(set(range(total)) - set(flows)), "doubled": len(flows) - len(set(flows))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=100.0, help="steady alerts/s")
    p.add_argument("--seconds", type=float, default=30.0, help="length of the steady phase")
    p.add_argument("--burst", type=int, default=10_000, help="alerts written as fast as possible")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="yamori-sa-") as tmp:
        eve = Path(tmp) / "eve.json"
        eve.touch()
        queue = AlertQueue(Path(tmp) / "queue.sqlite")
        feed = EveFeed(eve, queue, Enricher("bench-pi", "bench"))
        steady = int(args.rate * args.seconds)
        phases = [run_phase("steady", feed, queue, eve, 0, steady, args.rate),
                  run_phase("burst", feed, queue, eve, steady, args.burst, 0.0)]
        for phase in phases:
            sys.stdout.write(json.dumps(asdict(phase)) + "\n")
        summary = check_exactly_once(queue, steady + args.burst)
        summary.update(malformed=feed.malformed, commits=feed.counters.commits)
        sys.stdout.write(json.dumps(summary) + "\n")
        feed.close()
        queue.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
