"""The box's own health as Prometheus metrics: process CPU/memory/fds, SoC temperature, disk.

Process CPU seconds, resident memory and open file descriptors come from
prometheus_client's ProcessCollector (the standard `process_*` series, read
from /proc at scrape time). This module adds what it lacks: the SoC
temperature from /sys/class/thermal (absent on x86 VMs: then no series at
all rather than a made-up 0) and the free space of the filesystem holding
the agent's data_dir (an SD card on a Pi) from os.statvfs. Everything is
read at scrape time; nothing is sampled in the background or kept in a
module global. It does not export capture, queue or engine metrics.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

PREFIX = "yamori_agent_"
THERMAL_ROOT = Path("/sys/class/thermal")


class SystemCollector(Collector):
    """SoC temperature per thermal zone and free bytes where data_dir lives."""

    def __init__(self, data_dir: Path, thermal_root: Path = THERMAL_ROOT) -> None:
        self.data_dir = data_dir
        self.thermal_root = thermal_root

    def collect(self) -> Iterator[Metric]:
        temps = read_temperatures(self.thermal_root)
        if temps:
            family = GaugeMetricFamily(PREFIX + "soc_temperature_celsius",
                                       "Temperature of each thermal zone (the SoC on a Pi).",
                                       labels=["zone", "type"])
            for zone, kind, celsius in temps:
                family.add_metric([zone, kind], celsius)
            yield family
        disk = filesystem_space(self.data_dir)
        if disk is not None:
            free, total = disk
            yield GaugeMetricFamily(PREFIX + "data_dir_free_bytes",
                                    "Bytes available to the agent on data_dir's filesystem.",
                                    value=free)
            yield GaugeMetricFamily(PREFIX + "data_dir_size_bytes",
                                    "Size of data_dir's filesystem.", value=total)


def read_temperatures(root: Path = THERMAL_ROOT) -> list[tuple[str, str, float]]:
    """(zone, type, degrees Celsius) for every readable thermal zone, sorted by zone."""
    found = []
    for zone in sorted(root.glob("thermal_zone*")):
        try:
            millideg = int((zone / "temp").read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            # A zone whose sensor is off or unreadable (EINVAL/ENODATA) has no value.
            continue
        try:
            kind = (zone / "type").read_text(encoding="ascii").strip()
        except OSError:
            kind = ""
        found.append((zone.name, kind, millideg / 1000.0))
    return found


def filesystem_space(path: Path) -> tuple[int, int] | None:
    """(bytes available to unprivileged users, filesystem size), or None if unreadable."""
    try:
        st = os.statvfs(path)
    except OSError as exc:
        log.warning("metrics: cannot stat filesystem of %s: %s", path, exc.strerror)
        return None
    return st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize


def register_system_metrics(registry: CollectorRegistry, data_dir: Path,
                            thermal_root: Path = THERMAL_ROOT) -> SystemCollector:
    """Register the process_* series and the box's temperature and disk on `registry`."""
    ProcessCollector(registry=registry)
    collector = SystemCollector(data_dir, thermal_root)
    registry.register(collector)
    return collector
