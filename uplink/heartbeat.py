"""The agent's heartbeat: its state to the collector every `interval` seconds.

Owns: `HeartbeatSender` (build a Heartbeat from what `collect()` returns,
POST it with the sensor's bearer token on its own requests.Session, adopt
the `next_interval` the collector answers, loop until stopped; failures are
logged and retried next round, never raised out of `run`), `engine_fields`
(Agent.engine_info()/engine_health() as heartbeat fields) and `HostSampler`
(CPU, load, memory, disk and temperature from /proc and /sys). A session of
its own: a heartbeat must not wait behind a large batch upload, and
requests.Session is not documented as thread-safe. Every answer is handed
to an optional `on_answer` callback (the agent's rule updater); what it does
with the answer's ruleset is not this module's business, and its errors are
logged, never raised into the heartbeat. Does not own alert delivery
(shipper.py).
"""

from __future__ import annotations

import glob
import logging
import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from pydantic import ValidationError

from uplink.schema import HEARTBEAT_PATH, Heartbeat, HeartbeatAnswer
from yamori import __version__
from yamori.errors import UplinkError, UplinkRejected, UplinkUnavailable

log = logging.getLogger(__name__)

MIN_INTERVAL = 1.0
MAX_INTERVAL = 3600.0
JITTER = 0.1  # +-10%: hundreds of boxes restarted together must not beat in lockstep
_RETRYABLE = frozenset({408, 429})


class HeartbeatSender:
    """Sends this sensor's heartbeats to one collector."""

    def __init__(self, target: str | requests.Session, token: str | None, sensor_id: str,
                 collect: Callable[[], Mapping[str, Any]], interval: float = 60.0, *,
                 base_url: str | None = None, tenant: str | None = None,
                 ca_bundle: str | None = None, timeout: float = 10.0,
                 on_answer: Callable[[HeartbeatAnswer], None] | None = None) -> None:
        """`target` is the collector's base URL, or a Session (then pass `base_url`).

        With a URL the sender makes its own Session with `token` as bearer and
        `ca_bundle` (a pinned CA) for TLS; a given Session is used as it is.
        `on_answer` is called with every successful answer (it must not block).
        """
        self.sensor_id, self.tenant, self.collect = sensor_id, tenant, collect
        self.on_answer = on_answer
        self.interval = _bounded(interval)
        self.timeout = timeout
        self.started = time.monotonic()
        self.last_answer: HeartbeatAnswer | None = None
        self.failures = 0
        if isinstance(target, requests.Session):
            if base_url is None:
                raise ValueError("base_url is required with a Session")
            self.base_url, self._session = base_url.rstrip("/"), target
        else:
            self.base_url, self._session = target.rstrip("/"), _session(token, ca_bundle)

    def beat_once(self) -> HeartbeatAnswer:
        """Send one heartbeat now; returns the answer or raises an UplinkError."""
        body = self.heartbeat().model_dump_json(by_alias=True, exclude_none=True)
        try:
            resp = self._session.post(self.base_url + HEARTBEAT_PATH, data=body,
                                      headers={"Content-Type": "application/json"},
                                      timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise UplinkUnavailable(f"collector unreachable: {type(exc).__name__}") from exc
        answer = _answer(resp)
        self._adopt(answer)
        return answer

    def heartbeat(self) -> Heartbeat:
        """The heartbeat to send now: `collect()`'s fields plus identity, clock and pace."""
        fields: dict[str, Any] = {"version": __version__,
                                  "uptime": round(time.monotonic() - self.started, 3)}
        fields.update(self.collect())
        fields.update(sensor_id=self.sensor_id, tenant=self.tenant, interval=self.interval,
                      sent_at=datetime.now(UTC).isoformat(timespec="milliseconds"))
        return Heartbeat.model_validate(fields)

    def run(self, stop: threading.Event) -> None:
        """Beat at once, then every `interval` (with jitter) until `stop` is set."""
        while not stop.is_set():
            self._round()
            stop.wait(self.interval * random.uniform(1 - JITTER, 1 + JITTER))

    def _round(self) -> None:
        try:
            self.beat_once()
        except UplinkRejected as exc:
            # 401/403: revoked or re-enrolled elsewhere; keep trying, an operator must act.
            self.failures += 1
            log.error("heartbeat refused: %s", exc)
        except UplinkError as exc:
            self.failures += 1
            log.warning("heartbeat failed (%d in a row): %s", self.failures, exc)
        except Exception:  # a bug in collect() must not end the heartbeat for good
            self.failures += 1
            log.exception("heartbeat could not be built")
        else:
            self.failures = 0

    def _adopt(self, answer: HeartbeatAnswer) -> None:
        self.last_answer = answer
        self.interval = _bounded(answer.next_interval)
        if answer.clock_skew_flagged:
            log.warning("this box's clock is %.0f s off the collector's; check NTP",
                        answer.clock_skew or 0.0)
        if self.on_answer is not None:
            try:
                self.on_answer(answer)
            except Exception:  # the heartbeat goes on whatever the callback does
                log.exception("heartbeat answer handler failed")

    def close(self) -> None:
        self._session.close()


def _session(token: str | None, ca_bundle: str | None) -> requests.Session:
    session = requests.Session()
    session.verify = ca_bundle if ca_bundle is not None else True
    session.headers.update({"User-Agent": f"yamori-agent/{__version__}",
                            "Accept": "application/json"})
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def _bounded(interval: float) -> float:
    return min(MAX_INTERVAL, max(MIN_INTERVAL, float(interval)))


def _answer(resp: requests.Response) -> HeartbeatAnswer:
    status = resp.status_code
    if 200 <= status < 300:
        try:
            return HeartbeatAnswer.model_validate_json(resp.content)
        except ValidationError as exc:
            raise UplinkUnavailable(f"collector answered {status} with a bad body") from exc
    if status >= 500 or status in _RETRYABLE:
        raise UplinkUnavailable(f"collector answered {status}")
    raise UplinkRejected(f"collector refused the heartbeat ({status}): {resp.text[:200]}",
                         status=status)


# -- what goes into a heartbeat ------------------------------------------------------------


def engine_fields(info: Mapping[str, Any], health: Mapping[str, Any]) -> dict[str, Any]:
    """Agent.engine_info() and engine_health() as heartbeat fields (packets, drops, engine…)."""
    def count(key: str) -> int | None:
        value = health.get(key)
        return int(value) if isinstance(value, int | float) and value >= 0 else None

    return {"engine": dict(info), "engine_health": dict(health),
            "packets": count("capture.kernel_packets") or count("decoder.pkts"),
            "drops": count("capture.kernel_drops")}


class HostSampler:
    """CPU (since the previous sample), load, memory, disk and temperature of this box."""

    def __init__(self, disk_path: Path, proc: Path = Path("/proc"),
                 thermal_glob: str = "/sys/class/thermal/thermal_zone*/temp") -> None:
        self.disk_path, self.proc, self.thermal_glob = disk_path, proc, thermal_glob
        self._cpu = self._cpu_times()

    def sample(self) -> dict[str, float | None]:
        """The HostStats fields; a value that cannot be read is None."""
        return {"cpu_percent": self._cpu_percent(), "load_1m": _load(),
                "memory_percent": self._memory_percent(), "disk_percent": self._disk_percent(),
                "temperature_c": self._temperature()}

    def _cpu_times(self) -> tuple[int, int] | None:
        try:
            first = (self.proc / "stat").read_text(encoding="ascii").splitlines()[0]
            values = [int(v) for v in first.split()[1:]]
        except (OSError, ValueError, IndexError):
            return None
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return sum(values), idle

    def _cpu_percent(self) -> float | None:
        before, now = self._cpu, self._cpu_times()
        self._cpu = now
        if before is None or now is None or now[0] <= before[0]:
            return None
        busy = (now[0] - before[0]) - (now[1] - before[1])
        return round(100.0 * busy / (now[0] - before[0]), 1)

    def _memory_percent(self) -> float | None:
        try:
            lines = (self.proc / "meminfo").read_text(encoding="ascii").splitlines()
            info = {line.split(":")[0]: int(line.split()[1]) for line in lines if ":" in line}
            return round(100.0 * (1 - info["MemAvailable"] / info["MemTotal"]), 1)
        except (OSError, ValueError, KeyError, IndexError, ZeroDivisionError):
            return None

    def _disk_percent(self) -> float | None:
        try:
            usage = shutil.disk_usage(self.disk_path)
        except OSError:
            return None
        return round(100.0 * usage.used / usage.total, 1) if usage.total else None

    def _temperature(self) -> float | None:
        # The hottest zone: on a Pi there is one (the SoC); elsewhere the max is what matters.
        readings = []
        for path in glob.glob(self.thermal_glob):
            try:
                readings.append(int(Path(path).read_text(encoding="ascii").strip()) / 1000.0)
            except (OSError, ValueError):
                continue
        return max(readings) if readings else None


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None
