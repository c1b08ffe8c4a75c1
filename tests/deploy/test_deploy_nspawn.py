"""The installer and yamori-agent.service on a booted Debian 12, systemd as PID 1 (systemd-nspawn).

deploy/test-in-nspawn.sh makes the box: a cached debootstrap tree (minbase +
systemd, dbus, ca-certificates) copied afresh, with this source tree in
/usr/local/src/yamori. The installer runs there first on the host's network
(apt: python3-venv, libpcap, Suricata 7 from bookworm-backports; pip: the
virtualenv) with --no-start; then the box boots with a private network and
the installer runs again, now enabling and starting the agent under systemd.
Inside the box, a veth pair joins the box's own namespace (ymon0, where the
agent captures) to a namespace the test creates (ymsend, the attacker).

What is proven, for the unit exactly as shipped: Type=notify READY=1 and the
STATUS= line; the process runs as `yamori` with only CAP_NET_RAW and
CAP_NET_ADMIN, no new privileges, under the seccomp filter; the builtin
engine's TPACKET_V3 ring and libpcap BPF compile work under
MemoryDenyWriteExecute and the syscall filter; alerts are queued; WATCHDOG=1
pets arrive, and a stopped process is killed and restarted after WatchdogSec;
`systemctl reload` swaps rules in the same process; `systemctl stop` commits
every alert already captured; the same for the Suricata child in Suricata
mode; the uninstaller leaves no yamori unit, user or package behind. On the
vendor side, on the same box: yamori-collector.service serves from its state
directory, and yamori-rules-build.service (DynamicUser, credentials, `suricata
-T` under its syscall filter) builds a bundle and publishes it to that
collector, a new one each run; its timer is scheduled.

Slow (a few minutes: package downloads on a cold cache, a 60 s watchdog), so
it runs only with YAMORI_SLOW_TESTS=1, as root, with systemd-nspawn
(systemd-container), debootstrap and nsenter installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "test-in-nspawn.sh"
NSPAWN_DIR = Path(os.environ.get("YAMORI_NSPAWN_DIR", "/var/tmp/yamori-nspawn"))
MACHINE = f"yamori-test-{os.getpid()}"
UNIT = "yamori-agent"
QUEUE = "/var/lib/yamori/queue.sqlite"
PYTHON = "/opt/yamori/venv/bin/python"
# The agent's side and the attacker's side of the veth pair inside the box.
AGENT_IP, SENDER_IP = "10.213.0.1", "10.213.0.2"
NET_CAPS = 1 << 12 | 1 << 13  # CAP_NET_ADMIN | CAP_NET_RAW
C2_SID, RELOADED_SID, SECOND_SID = 1000003, 9000001, 9000002  # 1000003: rules/local

INSTALL_ARGS = ("--collector http://127.0.0.1:8080 --token s3cret-token --interface ymon0 "
                "--sensor-id nspawn-box --engine builtin --no-enroll")


def _missing_prerequisite() -> str | None:
    if os.environ.get("YAMORI_SLOW_TESTS") != "1":
        return "slow test: set YAMORI_SLOW_TESTS=1 to boot a Debian box with systemd-nspawn"
    if os.geteuid() != 0:
        return "needs root (debootstrap, systemd-nspawn)"
    for tool, package in (("systemd-nspawn", "systemd-container"),
                          ("debootstrap", "debootstrap"), ("nsenter", "util-linux")):
        if shutil.which(tool) is None:
            return f"{tool} not installed (apt-get install {package})"
    return None


pytestmark = pytest.mark.skipif(_missing_prerequisite() is not None,
                                reason=_missing_prerequisite() or "")

# Sends DNS queries for one name from the attacker's namespace: a query for
# evil-c2.example is what rules/local/yamori.rules sid 1000003 looks for.
SEND_DNS = f"""
import socket, sys
count, name = int(sys.argv[1]), sys.argv[2]
qname = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\\0"
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(count):
    header = i.to_bytes(2, "big") + bytes.fromhex("01000001000000000000")
    sock.sendto(header + qname + bytes.fromhex("00010001"), ("{AGENT_IP}", 53))
"""

# Alert counts by signature id, straight from the agent's queue file.
COUNT_ALERTS = f"""
import json, sqlite3
con = sqlite3.connect("file:{QUEUE}?mode=ro", uri=True)
rows = con.execute("SELECT json_extract(record, '$.alert.signature_id'), count(*) "
                   "FROM queue GROUP BY 1").fetchall()
print(json.dumps({{str(sid): n for sid, n in rows}}))
"""

TEST_RULES = [
    'alert udp any any -> any 53 (msg:"YAMORI TEST rule loaded by reload"; '
    f'content:"|0b|reload-test|07|example|00|"; nocase; sid:{RELOADED_SID}; rev:1;)',
    'alert udp any any -> any 53 (msg:"YAMORI TEST second rule"; '
    f'content:"|0b|second-test|07|example|00|"; nocase; sid:{SECOND_SID}; rev:1;)',
]


def nspawn(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"test-in-nspawn.sh {' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done


class Box:
    """The booted container, reached through deploy/test-in-nspawn.sh exec."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.root = NSPAWN_DIR / "machines" / name

    def sh(self, command: str, check: bool = True,
           timeout: float = 600) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["bash", str(SCRIPT), "exec", self.name, command],
                              capture_output=True, text=True, timeout=timeout)
        if check:
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        return done

    def unit(self, *props: str) -> dict[str, str]:
        out = self.sh(f"systemctl show {UNIT} " + " ".join(f"-p {p}" for p in props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def main_pid(self) -> int:
        return int(self.unit("MainPID")["MainPID"])

    def proc_status(self, pid: int) -> dict[str, str]:
        out = self.sh(f"cat /proc/{pid}/status").stdout
        return {k: v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}

    def alerts(self) -> dict[int, int]:
        out = self.sh(f"{PYTHON} -c \"$(cat /root/count_alerts.py)\"").stdout
        return {int(sid): n for sid, n in json.loads(out).items()}

    def send_dns(self, count: int, name: str) -> None:
        self.sh(f"ip netns exec ymsend {PYTHON} /root/send_dns.py {count} {name}")

    def journal(self, since_cursor: str = "") -> str:
        return self.sh(f"journalctl -u {UNIT} --no-pager -o cat {since_cursor}").stdout

    def set_config(self, sed_expression: str) -> None:
        self.sh(f"sed -i '{sed_expression}' /etc/yamori/agent.toml")


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def wait_for_alerts(box: Box, expected: dict[int, int], timeout: float = 30.0) -> None:
    def arrived() -> bool:
        have = box.alerts()
        return all(have.get(sid, 0) >= n for sid, n in expected.items())
    wait_for(f"alerts {expected} (have {box.alerts()})", arrived, timeout)


def added(before: dict[int, int], after: dict[int, int]) -> dict[int, int]:
    return {sid: n - before.get(sid, 0) for sid, n in after.items() if n != before.get(sid, 0)}


@pytest.fixture(scope="module")
def installed() -> Iterator[tuple[Box, str]]:
    """A box with yamori installed offline-ready (--no-start), booted, with the veth pair."""
    nspawn("prepare")
    nspawn("create", MACHINE)
    box = Box(MACHINE)
    try:
        first = nspawn("install", MACHINE, *INSTALL_ARGS.split(), "--no-start").stdout
        nspawn("boot", MACHINE)
        (box.root / "root" / "send_dns.py").write_text(SEND_DNS)
        (box.root / "root" / "count_alerts.py").write_text(COUNT_ALERTS)
        box.sh("set -e; ip netns add ymsend; ip link add ymon0 type veth peer name ympeer;"
               " ip link set ympeer netns ymsend;"
               f" ip addr add {AGENT_IP}/24 dev ymon0; ip link set ymon0 up;"
               f" ip -n ymsend addr add {SENDER_IP}/24 dev ympeer;"
               " ip -n ymsend link set ympeer up; ip -n ymsend link set lo up")
        # A capture filter from the start, so libpcap's compile runs under the sandbox.
        box.set_config('s/^# bpf = ""/bpf = "udp port 53 or tcp"/')
        yield box, first
    finally:
        subprocess.run(["bash", str(SCRIPT), "destroy", MACHINE], capture_output=True,
                       timeout=120)


@pytest.fixture(scope="module")
def box(installed: tuple[Box, str]) -> Box:
    """The box once the installer, run again under systemd, started the agent."""
    box, _ = installed
    return box


def test_first_install_sets_up_everything_without_systemd(installed: tuple[Box, str]) -> None:
    _, first = installed
    assert "created system user yamori" in first
    assert "installed: This is Suricata version 7" in first
    assert "disabled the distribution's suricata.service" in first
    assert "wrote /etc/yamori/agent.toml (interface ymon0" in first
    assert "not enabled or started (--no-start)" in first


def test_installer_under_systemd_starts_the_agent_ready(box: Box) -> None:
    out = box.sh(f"/usr/local/src/yamori/deploy/install.sh {INSTALL_ARGS}").stdout
    assert "already installed" in out and "left as it is" in out
    assert "enabled yamori-agent" in out and "started yamori-agent" in out
    # Type=notify: `systemctl restart` returned, so READY=1 came; STATUS= says what runs.
    state = box.unit("ActiveState", "SubState", "StatusText", "NRestarts", "Result")
    assert (state["ActiveState"], state["SubState"], state["Result"]) == (
        "active", "running", "success")
    assert state["StatusText"] == "engine builtin capturing from ymon0"
    assert state["NRestarts"] == "0"
    assert "Status: \"engine builtin capturing from ymon0\"" in box.sh(
        f"systemctl status {UNIT} --no-pager", check=False).stdout
    assert box.sh("systemctl is-enabled suricata.service", check=False).stdout.strip() == \
        "disabled"


def test_agent_runs_unprivileged_with_only_the_capture_capabilities(box: Box) -> None:
    status = box.proc_status(box.main_pid())
    yamori_uid = box.sh("id -u yamori").stdout.strip()
    assert status["Uid"].split() == [yamori_uid] * 4
    for caps in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert int(status[caps], 16) == NET_CAPS, caps
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"  # a filter: SystemCallFilter and MemoryDenyWriteExecute


def test_watchdog_is_petted_while_capture_runs(box: Box) -> None:
    first = int(box.unit("WatchdogTimestampMonotonic")["WatchdogTimestampMonotonic"])
    time.sleep(3)
    later = int(box.unit("WatchdogTimestampMonotonic")["WatchdogTimestampMonotonic"])
    assert later > first > 0


def test_builtin_capture_queues_alerts(box: Box) -> None:
    before = box.alerts()
    box.send_dns(5, "evil-c2.example")
    wait_for_alerts(box, {C2_SID: before.get(C2_SID, 0) + 5})
    assert added(before, box.alerts()) == {C2_SID: 5}


def test_reload_swaps_the_rules_in_the_running_process(box: Box) -> None:
    (box.root / "etc" / "yamori" / "nspawn.rules").write_text(TEST_RULES[0] + "\n")
    box.sh("chmod 0644 /etc/yamori/nspawn.rules")
    box.set_config('s|^engine = "builtin"|&\\nrules = ["/etc/yamori/nspawn.rules"]|')
    pid, restarts = box.main_pid(), box.unit("NRestarts")["NRestarts"]
    box.sh(f"systemctl reload {UNIT}")
    wait_for("the reload to be logged", lambda: "rule reload:" in box.journal())
    before = box.alerts()
    # The shipped C2 rule is no longer selected; the new file's rule is.
    box.send_dns(3, "evil-c2.example")
    box.send_dns(4, "reload-test.example")
    wait_for_alerts(box, {RELOADED_SID: before.get(RELOADED_SID, 0) + 4})
    assert added(before, box.alerts()) == {RELOADED_SID: 4}
    assert (box.main_pid(), box.unit("NRestarts")["NRestarts"]) == (pid, restarts)


def test_stop_commits_every_captured_alert(box: Box) -> None:
    before = box.alerts()
    box.send_dns(300, "reload-test.example")
    box.sh(f"systemctl stop {UNIT}")
    state = box.unit("ActiveState", "Result", "ExecMainStatus")
    assert state == {"ActiveState": "inactive", "Result": "success", "ExecMainStatus": "0"}
    assert added(before, box.alerts()) == {RELOADED_SID: 300}
    box.sh(f"systemctl start {UNIT}")


def test_watchdog_restarts_a_stuck_agent(box: Box) -> None:
    pid, restarts = box.main_pid(), int(box.unit("NRestarts")["NRestarts"])
    box.sh(f"kill -STOP {pid}")
    # WatchdogSec=60 as shipped, then RestartSec=5.
    wait_for("systemd to restart the stopped agent",
             lambda: box.main_pid() not in (0, pid)
             and box.unit("ActiveState")["ActiveState"] == "active", timeout=100)
    assert int(box.unit("NRestarts")["NRestarts"]) == restarts + 1
    journal = box.journal()
    assert "Watchdog timeout" in journal and f"Killing process {pid}" in journal


def test_suricata_mode_captures_reloads_and_drains(box: Box) -> None:
    box.set_config('s/^engine = "builtin"/engine = "suricata"/')
    box.sh(f"systemctl restart {UNIT}")
    assert box.unit("StatusText")["StatusText"] == "suricata capturing on ymon0"
    agent = box.main_pid()
    children = box.sh(f"for c in $(cat /proc/{agent}/task/*/children); do"
                      " echo $c $(readlink /proc/$c/exe); done").stdout.split("\n")
    suricata = [int(line.split()[0]) for line in children if line.endswith("/suricata")]
    assert len(suricata) == 1, children
    child = box.proc_status(suricata[0])
    assert child["Uid"].split()[0] == box.sh("id -u yamori").stdout.strip()
    assert int(child["CapEff"], 16) == NET_CAPS

    before = box.alerts()
    box.send_dns(6, "reload-test.example")
    wait_for_alerts(box, {RELOADED_SID: before.get(RELOADED_SID, 0) + 6})

    (box.root / "etc" / "yamori" / "nspawn.rules").write_text("\n".join(TEST_RULES) + "\n")
    box.sh(f"systemctl reload {UNIT}")
    wait_for("Suricata to load 2 rules",
             lambda: "'rules_loaded': 2" in box.journal())
    assert box.main_pid() == agent
    before = box.alerts()
    box.send_dns(4, "second-test.example")
    box.send_dns(50, "reload-test.example")
    box.sh(f"systemctl stop {UNIT}")
    assert box.unit("Result", "ExecMainStatus") == {"Result": "success", "ExecMainStatus": "0"}
    assert added(before, box.alerts()) == {SECOND_SID: 4, RELOADED_SID: 50}


# The vendor side on the same box (the agent is stopped by now): the collector
# unit, and the daily rule build that publishes to it. This box is also an
# agent box, whose /etc/yamori is root:yamori 0750, so the collector user joins
# that group and the build (a DynamicUser) reads its config from elsewhere.
VENDOR_SETUP = r"""set -e
V=/opt/yamori/venv/bin/yamori
useradd --system --user-group --no-create-home --home-dir /var/lib/yamori-collector \
    --shell /usr/sbin/nologin yamori-collector
usermod -a -G yamori yamori-collector
$V rules keygen --out-private /etc/yamori/rules-signing.key \
    --out-public /etc/yamori/rules-vendor.pub >/dev/null
chmod 0600 /etc/yamori/rules-signing.key && chmod 0644 /etc/yamori/rules-vendor.pub
/opt/yamori/venv/bin/python -c 'import secrets; print(secrets.token_hex(24))' \
    > /etc/yamori/rules-admin.token
chmod 0600 /etc/yamori/rules-admin.token
install -m 0640 -g yamori-collector /etc/yamori/rules-admin.token /etc/yamori/admin.token
printf '%s\n' 'admin_token_file = "/etc/yamori/admin.token"' \
    'rules_vendor_key_file = "/etc/yamori/rules-vendor.pub"' > /etc/yamori/collector.toml
chmod 0644 /etc/yamori/collector.toml
install -d -m 0755 /etc/yamori-rules
install -m 0644 /dev/stdin /etc/yamori-rules/vendor.rules <<RULES
alert udp any any -> any 53 (msg:"YAMORI VENDOR TEST"; content:"vendor"; sid:9100001; rev:1;)
RULES
printf '[sources]\nurls = ["file:///etc/yamori-rules/vendor.rules"]\n' \
    > /etc/yamori-rules/build.toml
printf '%s\n' YAMORI_COLLECTOR_URL=http://127.0.0.1:8080 \
    YAMORI_RULES_BUILD_CONFIG=/etc/yamori-rules/build.toml > /etc/default/yamori-rules-build
install -D -m 0755 /usr/local/src/yamori/deploy/rules-build-and-publish.sh \
    /opt/yamori/bin/rules-build-and-publish.sh
for unit in yamori-collector.service yamori-rules-build.service yamori-rules-build.timer; do
    install -m 0644 /usr/local/src/yamori/systemd/$unit /etc/systemd/system/$unit
done
systemctl daemon-reload
"""

COLLECTOR_UP = ("/opt/yamori/venv/bin/python -c 'import socket; "
                "socket.create_connection((\"127.0.0.1\", 8080), 1).close()'")


@pytest.fixture(scope="module")
def vendor(box: Box) -> Box:
    box.sh(VENDOR_SETUP)
    box.sh("systemctl start yamori-collector")
    wait_for("the collector to listen on 127.0.0.1:8080",
             lambda: box.sh(COLLECTOR_UP, check=False).returncode == 0)
    return box


def test_collector_unit_serves_from_its_state_directory(vendor: Box) -> None:
    state = vendor.sh("systemctl show yamori-collector -p ActiveState -p NRestarts").stdout
    assert "ActiveState=active" in state and "NRestarts=0" in state
    assert (vendor.root / "var/lib/yamori-collector/var/collector.sqlite").is_file()


def test_rules_build_unit_builds_and_publishes_the_new_bundle_each_run(vendor: Box) -> None:
    published = []
    for _ in range(2):
        vendor.sh("systemctl start yamori-rules-build.service")
        result = vendor.sh("systemctl show yamori-rules-build -p Result -p ExecMainStatus").stdout
        assert "Result=success" in result and "ExecMainStatus=0" in result
        log = vendor.sh("journalctl -u yamori-rules-build --no-pager -o cat").stdout
        published = [line.split()[-1] for line in log.splitlines()
                     if line.startswith("rules-build: published ")]
    # Two runs, two bundles, each published once: never the older one again.
    assert len(published) == 2 and published[0] != published[1], published
    bundles = sorted(p.name for p in
                     (vendor.root / "var/lib/private/yamori-rules/bundles").glob("*.tar.gz"))
    assert bundles == sorted(published)


def test_rules_build_timer_is_scheduled(vendor: Box) -> None:
    vendor.sh("systemctl enable --now yamori-rules-build.timer")
    state = vendor.sh("systemctl show yamori-rules-build.timer -p ActiveState "
                      "-p NextElapseUSecRealtime").stdout
    assert "ActiveState=active" in state
    assert re.search(r"NextElapseUSecRealtime=\S+", state), state


def test_uninstall_under_systemd_leaves_no_trace(box: Box) -> None:
    # The vendor units above are not the agent uninstaller's business.
    box.sh("systemctl stop yamori-collector yamori-rules-build.timer", check=False)
    out = box.sh("/usr/local/src/yamori/deploy/uninstall.sh").stdout
    assert "removed user yamori" in out and "purged packages the installer added" in out
    assert box.sh(f"systemctl cat {UNIT}", check=False).returncode != 0
    assert box.sh("getent passwd yamori", check=False).returncode != 0
    assert box.sh("command -v suricata", check=False).returncode != 0
    for path in ("/etc/yamori", "/var/lib/yamori", "/opt/yamori",
                 "/etc/apt/sources.list.d/bookworm-backports.sources"):
        assert not (box.root / path.lstrip("/")).exists(), path
