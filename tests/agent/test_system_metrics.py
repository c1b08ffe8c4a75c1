"""System metrics: process series, SoC temperature from a fake sysfs, data_dir free space."""

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from agent.system_metrics import SystemCollector, read_temperatures, register_system_metrics


def zone(root: Path, n: int, kind: str, temp: str) -> None:
    d = root / f"thermal_zone{n}"
    d.mkdir(parents=True)
    (d / "type").write_text(kind + "\n")
    (d / "temp").write_text(temp + "\n")


def scrape(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def test_temperature_is_read_in_degrees_celsius(tmp_path: Path) -> None:
    zone(tmp_path, 0, "cpu-thermal", "48312")
    assert read_temperatures(tmp_path) == [("thermal_zone0", "cpu-thermal", 48.312)]


def test_soc_temperature_series_per_zone(tmp_path: Path) -> None:
    zone(tmp_path / "t", 0, "cpu-thermal", "51000")
    registry = CollectorRegistry()
    registry.register(SystemCollector(tmp_path, tmp_path / "t"))
    assert ('yamori_agent_soc_temperature_celsius{type="cpu-thermal",zone="thermal_zone0"} 51.0'
            in scrape(registry))


def test_no_thermal_zone_means_no_temperature_series(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    registry.register(SystemCollector(tmp_path, tmp_path / "absent"))
    assert "soc_temperature" not in scrape(registry)


def test_unreadable_zone_is_skipped_not_zero(tmp_path: Path) -> None:
    zone(tmp_path, 0, "cpu-thermal", "")  # a sensor that reports nothing (ENODATA-like)
    zone(tmp_path, 1, "gpu-thermal", "40000")
    assert read_temperatures(tmp_path) == [("thermal_zone1", "gpu-thermal", 40.0)]


def test_data_dir_free_bytes_matches_statvfs(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    registry.register(SystemCollector(tmp_path, tmp_path / "absent"))
    value = registry.get_sample_value("yamori_agent_data_dir_free_bytes")
    st = os.statvfs(tmp_path)
    # Other processes write meanwhile: same order of magnitude, same filesystem.
    assert value is not None and abs(value - st.f_bavail * st.f_frsize) < 64 * 2**20
    assert registry.get_sample_value("yamori_agent_data_dir_size_bytes") == \
        st.f_blocks * st.f_frsize


def test_missing_data_dir_gives_no_disk_series(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    registry.register(SystemCollector(tmp_path / "gone", tmp_path / "absent"))
    assert "data_dir_free_bytes" not in scrape(registry)


def test_process_cpu_memory_and_fds_are_exported(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    register_system_metrics(registry, tmp_path, tmp_path / "absent")
    rss = registry.get_sample_value("process_resident_memory_bytes")
    fds = registry.get_sample_value("process_open_fds")
    cpu = registry.get_sample_value("process_cpu_seconds_total")
    assert rss is not None and rss > 1_000_000
    assert fds is not None and fds >= 3
    assert cpu is not None and cpu > 0
