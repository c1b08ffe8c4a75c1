"""`yamori demo`: the whole path on one machine, loopback only, no root.

Starts a collector on 127.0.0.1, enrolls a sensor, writes the demo attack
capture (demo_capture.py), runs the agent over it and shows what the
collector holds. With `--once` it checks that every alert the engine raised
reached the collector exactly once and that every expected attack was raised
exactly as often as that engine must raise it, and exits.

`--engine builtin` (the default: no root, no Suricata) runs yamori's own
engine on the rules shipped in rules/local; `--engine suricata` runs the real
Suricata on the same capture with the ET Open ruleset from ../shared (when
present) plus rules/local. This module orchestrates; the work is done by the
real agent, engine and collector.
"""

from __future__ import annotations

import argparse
import collections
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import uvicorn

import rules
from agent.config import load_agent_config
from agent.daemon import Agent, RunSummary
from collector.config import CollectorConfig, load_config
from collector.db import open_database
from collector.main import create_app
from collector.repo.sensors import create_sensor
from yamori.demo_capture import ExpectedAlert, write_demo_capture
from yamori.errors import YamoriError

SENSOR_ID = "tanaka-kogyo-pi-1"
TENANT = "tanaka-kogyo"
DRAIN_TIMEOUT = 60.0
ENGINES = ("builtin", "suricata")
ET_OPEN_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "et-open"

# How often an engine raises each expected alert on the demo capture, where it
# is not once. Suricata 7 inspects a TCP rule whose first content is anchored
# (depth/offset) both on the packet payload when the packet arrives and on the
# reassembled stream once the data is ACKed, and alerts on each: sid 1000004
# (`content:"|16 03|"; depth:2`) and 1000005 (`content:"GET "; depth:4`) fire
# twice per session with Suricata 7.0.10 (app_proto absent, then tls/http),
# while the unanchored sqlmap rule 1000002 fires once (stream only). The
# builtin engine inspects each packet once.
_REPEATS: dict[str, dict[int, int]] = {"builtin": {}, "suricata": {1000004: 2, 1000005: 2}}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("demo", help="run agent and collector end to end on loopback")
    p.add_argument("--once", action="store_true",
                   help="check delivery, print the summary, exit 0 only if all arrived once")
    p.add_argument("--port", type=int, default=8080, help="collector port (0 = any free port)")
    p.add_argument("--workdir", type=Path, help="keep the demo's files here (default: a temp dir)")
    p.add_argument("--engine", choices=ENGINES, default="builtin",
                   help="builtin (default, no Suricata needed) or suricata (real Suricata, "
                        "ET Open from ../shared when present, plus rules/local)")
    p.set_defaults(func=run_demo)


class CollectorThread:
    """A real collector (uvicorn + the FastAPI app) served from a thread."""

    def __init__(self, config: CollectorConfig) -> None:
        self.config = config
        self.server = uvicorn.Server(uvicorn.Config(create_app(config), host=config.listen,
                                                    port=config.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="collector", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.config.listen}:{self.config.port}"

    @property
    def admin_token(self) -> str | None:
        """The admin bearer token the collector admits (the feed needs a signed-in user)."""
        path = self.config.admin_token_file
        return Path(path).read_text(encoding="utf-8").strip() if path else None

    def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise YamoriError(f"collector did not start on {self.url}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True, frozen=True)
class DemoLogin:
    """A console account the demo makes, printed so the user can sign in."""

    username: str
    password: str
    role: str


def start_collector(workdir: Path, port: int,
                    logins: list[DemoLogin] | None = None) -> tuple[CollectorThread, str]:
    """Start a collector on loopback and enroll the demo sensor; returns (collector, token).

    The collector admits a fresh admin bearer token (`collector.admin_token`),
    kept in the workdir: the demo reads the feed with it. Console accounts in
    `logins` are created (or get the given password) for the browser.
    """
    # cookie_secure off: the demo console is plain HTTP on 127.0.0.1.
    config = load_config(None, {"listen": "127.0.0.1", "port": port or free_port("127.0.0.1"),
                                "database_url": f"sqlite:///{workdir / 'collector.sqlite'}",
                                "admin_token_file": str(admin_token_file(workdir)),
                                "cookie_secure": False})
    database = open_database(config.database_url)
    with database.session() as session:
        token = create_sensor(session, SENSOR_ID, TENANT, "田中工業 事務所 Raspberry Pi")
        for login in logins or []:
            _ensure_login(session, login)
        session.commit()
    database.dispose()
    collector = CollectorThread(config)
    collector.start()
    return collector, token


def _ensure_login(session: Any, login: DemoLogin) -> None:
    from collector.auth.users import create_user, get_user, set_password

    user = get_user(session, login.username)
    if user is None:
        create_user(session, login.username, login.password, login.role,
                    tenant=TENANT if login.role == "customer" else None)
    else:
        set_password(session, user, login.password)


def demo_logins() -> list[DemoLogin]:
    """An analyst and the customer's viewer, each with a fresh random password."""
    return [DemoLogin("analyst", secrets.token_urlsafe(12), "analyst"),
            DemoLogin("tanaka", secrets.token_urlsafe(12), "customer")]


def admin_token_file(workdir: Path) -> Path:
    """The workdir's admin token file, made (owner-only) with a new token if absent."""
    path = workdir / "admin.token"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
    return path


def et_open_rules() -> Path | None:
    """The newest ET Open suricata.rules under ../shared, if there is one."""
    found = sorted(ET_OPEN_DIR.glob("*/suricata.rules"))
    return found[-1] if found else None


def demo_rule_files(engine: str) -> list[Path]:
    """rules/local for the builtin engine; ET Open (when present) plus rules/local for Suricata."""
    shipped = rules.shipped_rule_files()
    et = et_open_rules() if engine == "suricata" else None
    return [et, *shipped] if et is not None else shipped


def expected_counts(expected: tuple[ExpectedAlert, ...], engine: str) -> dict[ExpectedAlert, int]:
    """How many times `engine` must raise each expected alert (exactly)."""
    repeats = _REPEATS[engine]
    return {want: repeats.get(want.sid, 1) for want in expected}


def run_agent(workdir: Path, pcap: Path, url: str, token: str,
              engine: str = "builtin") -> RunSummary:
    config = load_agent_config(None, {
        "sensor": {"sensor_id": SENSOR_ID, "data_dir": str(workdir / "agent")},
        "capture": {"pcap": str(pcap)},
        "engine": {"engine": engine, "rules": [str(p) for p in demo_rule_files(engine)]},
        "uplink": {"url": url, "token": token},
    }, environ={})
    agent = Agent(config)
    try:
        return agent.run(threading.Event(), drain_timeout=DRAIN_TIMEOUT)
    finally:
        agent.close()


def fetch_alerts(url: str, admin_token: str | None = None) -> list[dict[str, Any]]:
    """Every alert the collector holds, oldest first, through its public feed API
    (signed in with the collector's admin bearer token)."""
    alerts: list[dict[str, Any]] = []
    after = 0
    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    while True:
        reply = requests.get(f"{url}/api/v1/alerts", params={"after_id": after, "limit": 1000},
                             headers=headers, timeout=10)
        reply.raise_for_status()
        page = reply.json()["alerts"]
        if not page:
            return alerts
        alerts.extend(page)
        after = max(a["id"] for a in page)


@dataclass(slots=True)
class Verdict:
    ok: bool
    problems: list[str]


def verify(raised: list[str], stored: list[dict[str, Any]],
           expected: tuple[ExpectedAlert, ...], engine: str = "builtin") -> Verdict:
    """Exactly-once delivery of what the engine raised, and every expected attack seen
    exactly as often as `engine` raises it (expected_counts)."""
    problems: list[str] = []
    stored_ids = collections.Counter(a["alert_id"] for a in stored)
    for alert_id in set(raised) - set(stored_ids):
        problems.append(f"alert {alert_id} raised by the engine never reached the collector")
    for alert_id, n in stored_ids.items():
        if n > 1:
            problems.append(f"alert {alert_id} stored {n} times")
        if alert_id not in raised:
            problems.append(f"alert {alert_id} in the collector was not raised in this run")
    seen = collections.Counter(
        ExpectedAlert(a["alert"]["signature_id"], a["src_ip"], a.get("src_port", 0),
                      a["dest_ip"], a.get("dest_port", 0), a["proto"]) for a in stored)
    for want, times in expected_counts(expected, engine).items():
        if seen[want] != times:
            problems.append(f"expected sid:{want.sid} {want.src_ip}:{want.src_port} -> "
                            f"{want.dest_ip}:{want.dest_port} {want.proto} "
                            f"stored {seen[want]} times, want exactly {times}")
    return Verdict(not problems, problems)


def summary_text(stored: list[dict[str, Any]], summary: RunSummary,
                 engine: str = "builtin") -> str:
    by_sig = collections.Counter((a["alert"]["signature_id"], a["alert"]["signature"],
                                  a["alert"]["severity"]) for a in stored)
    lines = [f"engine {engine}: {summary.packets} packets, {summary.rules_loaded} rules loaded, "
             f"{summary.rules_skipped} skipped, {len(summary.alert_ids)} alerts raised",
             f"collector holds {len(stored)} alerts from sensor {SENSOR_ID} (tenant {TENANT}):"]
    for (sid, signature, severity), n in sorted(by_sig.items()):
        lines.append(f"  {n:3d} x sid:{sid} severity {severity}  {signature}")
    return "\n".join(lines)


def run_demo(args: argparse.Namespace) -> int:
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="yamori-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    logins = [] if args.once else demo_logins()
    collector, token = start_collector(workdir, args.port, logins)
    try:
        pcap = workdir / "demo-attacks.pcap"
        expected = write_demo_capture(pcap)
        summary = run_agent(workdir, pcap, collector.url, token, args.engine)
        stored = fetch_alerts(collector.url, collector.admin_token)
        verdict = verify(summary.alert_ids, stored, expected, args.engine)
        out = sys.stdout
        out.write(summary_text(stored, summary, args.engine) + "\n")
        for problem in verdict.problems:
            out.write(f"PROBLEM: {problem}\n")
        out.write("demo: OK, every alert reached the collector exactly once\n" if verdict.ok
                   else "demo: FAILED\n")
        if args.once:
            return 0 if verdict.ok else 1
        out.write(f"\nSOC console: {collector.url}/   (Ctrl-C to stop)\n")
        for login in logins:
            out.write(f"  sign in as {login.username} / {login.password}  ({login.role})\n")
        out.flush()
        wait_forever()
        return 0
    finally:
        collector.stop()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return
