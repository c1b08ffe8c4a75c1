"""Run Suricata over a pcap file, and test-load a ruleset, the way `yamori replay` needs.

Owns the command lines:
    suricata -T -c YAML -l DIR [-k none] [--set k=v …]            (which rules fail)
    suricata -r PCAP -c YAML -l DIR --runmode single [-k none] [--set k=v …]
and reading back the alert records of eve.json in order. Does not write the
config (config.py) and does not follow a live eve.json (eve.py, engine.py).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.engines.base import EngineSettings, EveRecord
from agent.engines.suricata.config import EVE_FILENAME, error_lines, log_path, read_from, set_args
from agent.engines.suricata.eve import EveFollower
from agent.engines.suricata.rulelog import RuleLoadLog, parse_rule_log
from yamori.errors import CaptureError, ConfigError

log = logging.getLogger(__name__)

_TEST_TIMEOUT = 900.0
# Which rules fail is decided while parsing them, before any pattern matcher is
# built; Aho-Corasick builds ~4x faster than Hyperscan for ET Open (7 s vs 30 s)
# and changes nothing in that verdict, so the test load uses it.
_FAST_LOAD_SETS = ("mpm-algo=ac-ks",)


@dataclass(slots=True)
class PcapRun:
    """The outcome of one `suricata -r`."""

    log_dir: Path
    returncode: int
    errors: list[str]

    @property
    def eve_path(self) -> Path:
        return self.log_dir / EVE_FILENAME


def common_args(config: Path, log_dir: Path, settings: EngineSettings) -> list[str]:
    """-c, -l, -k and --set words shared by every Suricata start."""
    words = ["-c", str(config), "-l", str(log_dir)]
    if not settings.checksum_validation:
        words += ["-k", "none"]
    return words + set_args(settings)


def pcap_command(suricata: Path | str, config: Path, pcap: Path, log_dir: Path,
                 settings: EngineSettings) -> list[str]:
    """The `suricata -r` command line of the replay contract."""
    return [str(suricata), "-r", str(pcap), *common_args(config, log_dir, settings),
            "--runmode", "single"]


def test_command(suricata: Path | str, config: Path, log_dir: Path,
                 settings: EngineSettings) -> list[str]:
    """`suricata -T`, with the fast pattern matcher unless the caller chose one."""
    words = [str(suricata), "-T", *common_args(config, log_dir, settings)]
    for assignment in _FAST_LOAD_SETS:
        if assignment.split("=", 1)[0] not in settings.extra:
            words += ["--set", assignment]
    return words


def _run(cmd: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    log.debug("running %s", " ".join(cmd))
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CaptureError(f"suricata did not finish in {timeout:.0f} s") from exc
    except OSError as exc:
        raise ConfigError("suricata.binary", f"cannot run {cmd[0]}: {exc}") from exc


def test_load(suricata: Path | str, config: Path, log_dir: Path,
              settings: EngineSettings) -> RuleLoadLog:
    """Load the config's rules without processing traffic; report failed rules.

    `suricata -T` exits non-zero when any rule fails; that is a report, not an
    error. A non-zero exit with no failed rule is a broken config: ConfigError.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_path(config)
    start = log_file.stat().st_size if log_file and log_file.exists() else 0
    done = _run(test_command(suricata, config, log_dir, settings), _TEST_TIMEOUT)
    text = done.stdout + done.stderr + "\n" + read_from(log_file, start)
    result = parse_rule_log(text.splitlines())
    if done.returncode != 0 and not result.failed:
        detail = "; ".join(dict.fromkeys(error_lines(text))) or f"exit {done.returncode}"
        raise ConfigError("suricata.config", f"suricata -T failed: {detail}")
    return result


def run_pcap(suricata: Path | str, config: Path, pcap: Path, log_dir: Path,
             settings: EngineSettings, timeout: float = 3600.0) -> PcapRun:
    """Run Suricata over `pcap` to completion; CaptureError if it fails."""
    if not pcap.is_file():
        raise CaptureError(f"cannot open pcap {pcap}: no such file")
    log_dir.mkdir(parents=True, exist_ok=True)
    eve = log_dir / EVE_FILENAME
    if eve.exists():
        eve.unlink()  # eve-log appends: a previous run's alerts must not come back
    log_file = log_path(config)
    start = log_file.stat().st_size if log_file and log_file.exists() else 0
    done = _run(pcap_command(suricata, config, pcap, log_dir, settings), timeout)
    errors = error_lines(done.stdout + done.stderr + "\n" + read_from(log_file, start))
    if done.returncode != 0:
        detail = "; ".join(dict.fromkeys(errors)) or f"exit {done.returncode}"
        raise CaptureError(f"suricata -r {pcap} failed: {detail}")
    return PcapRun(log_dir=log_dir, returncode=done.returncode, errors=errors)


def eve_records(path: Path) -> Iterator[EveRecord]:
    """Every record of a finished eve.json, in file order (bad lines skipped)."""
    follower = EveFollower(path)
    try:
        for record, _ in follower.poll():
            yield record
    finally:
        follower.close()
        if follower.malformed:
            log.warning("eve: %d malformed lines skipped in %s", follower.malformed, path)


def alerts(path: Path) -> Iterator[EveRecord]:
    """The `event_type == "alert"` records of a finished eve.json, in order."""
    return (r for r in eve_records(path) if r.get("event_type") == "alert")
