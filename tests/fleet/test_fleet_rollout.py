"""A whole rule-update cycle with real processes on loopback.

The vendor's side runs the real commands (`yamori rules keygen`, `yamori rules
build` from file:// sources, `yamori rules publish/channel/promote`) against a
`yamori collector serve` process; three boxes are real `yamori agent run`
processes (builtin engine, replaying a 40 packets/s capture in real time)
enrolled with `yamori enroll` and holding the vendor's public key.

1. A good bundle goes to the canary box first, then is promoted: every online
   box runs it within two heartbeats of the promotion.
2. A bundle that adds a rule firing on every packet goes to the canary box:
   the collector sees alerts per packet jump, holds the bundle with its
   evidence, rolls the canary back to the bundle it ran before, raises the
   held event in the analysts' feed, and the stable boxes never get it.

Heartbeat interval 1 s; canary judged after 3 s on the new bundle.
"""

from __future__ import annotations

import shutil
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from collector.fleet.events import RULESET_HELD
from collector.fleet.testing import (
    ADMIN_TOKEN,
    admin_headers,
    enroll_box,
    feed,
    run_yamori,
    sensor_board,
    start_agent,
    stop_process,
    wait_for,
)
from collector.testing import fresh_database_url
from uplink.faults import CollectorProcess

ROOT = Path(__file__).parents[2]
INTERVAL = 1.0
TENANT = "tanaka-kogyo"
PPS = 40
NOISY_SID = 9990001
HAVE_SURICATA = shutil.which("suricata") is not None


def write_steady_capture(path: Path, seconds: int, pps: int = PPS) -> Path:
    """`pps` harmless UDP packets a second: enough for the canary to judge a rate.

    Written as raw pcap records (scapy per packet would take longer than the test).
    """
    frame = bytes(Ether() / IP(src="192.168.1.20", dst="192.168.1.1") / UDP(sport=40000,
                                                                            dport=9999) / b"t")
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        step = 1_000_000 // pps
        for i in range(seconds * pps):
            usec = i * step
            out.write(struct.pack("<IIII", 1_700_000_000 + usec // 1_000_000,
                                  usec % 1_000_000, len(frame), len(frame)))
            out.write(frame)
    return path


@pytest.fixture
def vendor(tmp_path: Path) -> dict[str, Path]:
    home = tmp_path / "vendor"
    home.mkdir()
    keys = {"private": home / "signing.key", "public": home / "signing.pub"}
    run_yamori("rules", "keygen", "--out-private", str(keys["private"]),
            "--out-public", str(keys["public"]))
    return {**keys, "home": home, "bundles": home / "bundles"}


@pytest.fixture
def collector(tmp_path: Path, vendor: dict[str, Path]) -> Iterator[CollectorProcess]:
    proc = CollectorProcess(tmp_path / "collector")
    proc.workdir.mkdir(parents=True)
    admin = proc.workdir / "admin.token"
    admin.write_text(ADMIN_TOKEN + "\n")
    (proc.workdir / "collector.toml").write_text(
        f'listen = "127.0.0.1"\nport = {proc.port}\n'
        f'database_url = "{fresh_database_url(proc.db_path.parent, proc.db_path.name)}"\n'
        f'log_level = "WARNING"\n'
        f'admin_token_file = "{admin}"\nheartbeat_interval_seconds = {INTERVAL}\n'
        f'offline_check_seconds = 0.2\n'
        f'rules_dir = "{proc.workdir / "rulesets"}"\n'
        f'rules_vendor_key_file = "{vendor["public"]}"\ncanary_min_seconds = 3.0\n')
    proc.start()
    yield proc
    proc.stop()


def build(vendor: dict[str, Path], name: str, extra_rules: str) -> Path:
    """`yamori rules build` from a file:// source plus yamori's own rules; the new bundle."""
    source = vendor["home"] / f"{name}.rules"
    source.write_text(extra_rules)
    config = vendor["home"] / f"build-{name}.toml"
    config.write_text(
        f'[sources]\nurls = ["file://{source}"]\nlocal = ["{ROOT / "rules" / "local"}"]\n'
        f'suricata_rules_dir = ""\n'
        f'[suricata]\ntest = {"true" if HAVE_SURICATA else "false"}\n'
        f'[signing]\nkey = "{vendor["private"]}"\n'
        f'[output]\ndir = "{vendor["bundles"]}"\n')
    before = set(vendor["bundles"].glob("*.tar.gz")) if vendor["bundles"].exists() else set()
    run_yamori("rules", "build", "--config", str(config), timeout=600)
    (bundle,) = set(vendor["bundles"].glob("*.tar.gz")) - before
    return bundle


def add_vendor_key(config: Path, vendor_key: Path) -> Path:
    with config.open("a") as out:
        out.write(f'\n[rules]\nvendor_keys = ["{vendor_key}"]\n')
    return config


def board(collector: CollectorProcess) -> dict[str, dict[str, Any]]:
    return sensor_board(collector.url)


def feed_sids(collector: CollectorProcess, sid: int) -> list[dict[str, Any]]:
    return feed(collector.url, sid=sid)


def admin_cli(collector: CollectorProcess, *args: str) -> str:
    return run_yamori("rules", *args, "--collector", collector.url,
                   "--admin-token-file", str(collector.workdir / "admin.token")).stdout


def rulesets(collector: CollectorProcess) -> dict[str, Any]:
    answer = requests.get(collector.url + "/api/v1/rulesets", headers=admin_headers(), timeout=5)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def running(collector: CollectorProcess, sensor_id: str) -> str | None:
    return board(collector).get(sensor_id, {}).get("rules_version")


def test_canary_then_promotion_then_automatic_rollback(tmp_path: Path, vendor: dict[str, Path],
                                                       collector: CollectorProcess) -> None:
    pcap = write_steady_capture(tmp_path / "steady.pcap", 900)
    names = ["pi-canary", "pi-b", "pi-c"]
    configs = {n: add_vendor_key(enroll_box(collector, tmp_path / n, n, TENANT), vendor["public"])
               for n in names}
    boxes = {n: start_agent(configs[n], pcap, tmp_path / f"{n}.log") for n in names}
    try:
        wait_for(lambda: all(board(collector).get(n, {}).get("state") == "online"
                             for n in names), 30, "all boxes online")
        admin_cli(collector, "channel", "pi-canary", "canary")

        # 1. A good bundle: canary first, then promoted to every box.
        good = build(vendor, "good", 'alert udp any any -> any 5555 (msg:"YAMORI TEST quiet"; '
                                     'sid:9990000; rev:1;)\n')
        admin_cli(collector, "publish", str(good), "--channel", "canary")
        good_version = rulesets(collector)["channels"]["canary"]["version"]
        wait_for(lambda: running(collector, "pi-canary") == good_version, 30,
                 "canary runs the good bundle")
        assert running(collector, "pi-b") != good_version  # stable boxes wait
        time.sleep(4)  # the canary window passes without a jump
        assert rulesets(collector)["bundles"][0]["status"] != "held"
        admin_cli(collector, "promote", good_version)
        took = wait_for(lambda: all(running(collector, n) == good_version for n in names),
                        30, "every box runs the promoted bundle")
        # Offered in the answer to the first heartbeat after promotion, reported
        # running in a later one: two intervals, plus the update's own work.
        print(f"promotion reached all boxes in {took:.2f} s")  # noqa: T201
        assert took <= 2 * INTERVAL + 2.0, took

        # 2. A bundle with a rule that fires on every packet.
        # Not an IP-only rule: those match once per flow direction (as in
        # Suricata); a payload keyword makes it inspect every packet.
        noisy = build(vendor, "noisy", f'alert udp any any -> any any (msg:"YAMORI TEST every '
                                       f'packet"; dsize:>0; sid:{NOISY_SID}; rev:1;)\n')
        admin_cli(collector, "publish", str(noisy), "--channel", "canary")
        noisy_version = rulesets(collector)["channels"]["canary"]["version"]
        assert noisy_version != good_version

        def held() -> bool:
            bundle = next(b for b in rulesets(collector)["bundles"]
                          if b["version"] == noisy_version)
            return bool(bundle["status"] == "held")

        wait_for(held, 60, "the noisy bundle is held")
        wait_for(lambda: running(collector, "pi-canary") == good_version, 30,
                 "the canary is rolled back to the bundle it ran before")
        report = rulesets(collector)
        noisy_entry = next(b for b in report["bundles"] if b["version"] == noisy_version)
        canary_rollout = next(r for r in noisy_entry["rollouts"]
                              if r["sensor_id"] == "pi-canary")
        assert canary_rollout["evidence"], canary_rollout  # the operator sees why
        assert noisy_entry["held_reason"]
        assert {r["sensor_id"] for r in noisy_entry["rollouts"]
                if r["state"] in ("running", "offered")} <= {"pi-canary"}
        for name in ("pi-b", "pi-c"):
            assert running(collector, name) == good_version
        assert feed_sids(collector, RULESET_HELD.sid), "held event in the analysts' feed"
        # The noisy rule really ran on the canary (its alerts arrived) and stopped.
        assert feed_sids(collector, NOISY_SID)
        assert all(a["sensor_id"] == "pi-canary" for a in feed_sids(collector, NOISY_SID))
    finally:
        for proc in boxes.values():
            stop_process(proc)
    for name in names:
        log = (tmp_path / f"{name}.log").read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
