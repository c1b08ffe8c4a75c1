"""The systemd units are valid and hardened ("OK" or better exposure).

Checked offline with systemd-analyze; skipped where it is not installed. The
only complaint tolerated from `verify` is the ExecStart binary being absent:
the installer creates /opt/yamori/venv.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = sorted((Path(__file__).resolve().parents[2] / "systemd").glob("*.service"))
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_verifies(unit: Path) -> None:
    out = subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True)
    problems = [line for line in (out.stdout + out.stderr).splitlines()
                if line.strip() and "is not executable: No such file" not in line]
    assert problems == []


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_exposure_is_ok_or_better(unit: Path) -> None:
    out = subprocess.run([ANALYZE, "security", "--offline=true", str(unit)],
                         capture_output=True, text=True)
    match = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", out.stdout)
    assert match, out.stdout[-500:] + out.stderr[-500:]
    assert match.group(2) in ("SAFE", "OK"), match.group(0)
