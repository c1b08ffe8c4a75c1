"""The systemd units are valid and hardened ("OK" or better exposure).

Checked offline with systemd-analyze; skipped where it is not installed. The
only complaint tolerated from `verify` is an ExecStart binary being absent:
the installer creates /opt/yamori. Whether the units actually run under
systemd is tests/deploy/test_deploy_nspawn.py's job (a booted container).
"""

import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

SYSTEMD_DIR = Path(__file__).resolve().parents[2] / "systemd"
SERVICES = sorted(SYSTEMD_DIR.glob("*.service"))
TIMERS = sorted(SYSTEMD_DIR.glob("*.timer"))
ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze"  # skipped below when absent
pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze is not installed")


def test_there_are_units_and_timers() -> None:
    assert {p.name for p in SERVICES} >= {"yamori-agent.service", "yamori-collector.service",
                                          "yamori-rules-build.service"}
    assert [p.name for p in TIMERS] == ["yamori-rules-build.timer"]


@pytest.mark.parametrize("unit", SERVICES + TIMERS, ids=lambda p: p.name)
def test_unit_verifies(unit: Path) -> None:
    out = subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True)
    problems = [line for line in (out.stdout + out.stderr).splitlines()
                if line.strip() and "is not executable: No such file" not in line]
    assert problems == []


@pytest.mark.parametrize("timer", TIMERS, ids=lambda p: p.name)
def test_timer_starts_a_service_shipped_beside_it(timer: Path) -> None:
    named = re.search(r"^Unit=(\S+)", timer.read_text(), re.MULTILINE)
    service = named.group(1) if named else timer.with_suffix(".service").name
    assert (SYSTEMD_DIR / service).is_file()


@pytest.mark.parametrize("timer", TIMERS, ids=lambda p: p.name)
def test_timer_fires_daily(timer: Path) -> None:
    calendar = re.search(r"^OnCalendar=(.+)$", timer.read_text(), re.MULTILINE)
    assert calendar, "no OnCalendar="
    out = subprocess.run([ANALYZE, "calendar", "--iterations=2", calendar.group(1)],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "TZ": "UTC"}).stdout
    stamps = re.findall(r"(?:Next elapse|Iter\. #2): \w+ (\S+ \S+) UTC", out)
    assert len(stamps) == 2, out
    first, second = (datetime.strptime(s, "%Y-%m-%d %H:%M:%S") for s in stamps)
    assert second - first == timedelta(days=1)


@pytest.mark.parametrize("unit", SERVICES, ids=lambda p: p.name)
def test_unit_exposure_is_ok_or_better(unit: Path) -> None:
    out = subprocess.run([ANALYZE, "security", "--offline=true", str(unit)],
                         capture_output=True, text=True)
    match = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", out.stdout)
    assert match, out.stdout[-500:] + out.stderr[-500:]
    assert match.group(2) in ("SAFE", "OK"), match.group(0)


def test_agent_unit_keeps_only_the_capture_capabilities() -> None:
    text = (SYSTEMD_DIR / "yamori-agent.service").read_text()
    for key in ("AmbientCapabilities", "CapabilityBoundingSet"):
        assert re.search(rf"^{key}=CAP_NET_RAW CAP_NET_ADMIN$", text, re.MULTILINE), key
    assert re.search(r"^User=yamori$", text, re.MULTILINE)
    assert re.search(r"^Type=notify$", text, re.MULTILINE)
