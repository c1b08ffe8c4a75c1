"""AgentConfig: the agent's one typed settings object, read from one TOML file.

Precedence: CLI overrides > environment (`YAMORI_AGENT__SECTION__KEY`) > TOML
file > defaults. Unknown keys are errors that name the key (Vector's
deny_unknown_fields). The object is passed to whoever needs it; nothing keeps
it in a module global. deploy/agent.example.toml documents every key.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from yamori.errors import ConfigError

ENV_PREFIX = "YAMORI_AGENT__"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SensorSection(_Section):
    sensor_id: str = Field("sensor-1", min_length=1, max_length=128)
    tenant: str | None = Field(None, min_length=1, max_length=128)
    data_dir: Path = Path("/var/lib/yamori")


class CaptureSection(_Section):
    pcap: Path | None = None
    interface: str | None = None
    realtime: bool = False  # replay a pcap at its recorded speed
    bpf: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CaptureSection:
        if (self.pcap is None) == (self.interface is None):
            raise ValueError("set exactly one of capture.pcap or capture.interface")
        return self


class EngineSection(_Section):
    engine: Literal["auto", "builtin", "suricata"] = "auto"
    rules: list[Path] = Field(default_factory=list)
    ruleset_dir: Path | None = None
    classification: Path | None = None
    suricata_yaml: Path | None = None
    vars: dict[str, str] = Field(default_factory=dict)
    # Evidence in the alerts the agent sends (Suricata's eve-log alert options):
    # the triggering packet's payload and the whole frame, each cut to the cap.
    eve_payload: bool = True
    eve_packet: bool = True
    eve_packet_max_bytes: int = Field(16384, ge=64, le=262144)


class SuricataSection(_Section):
    """How the agent runs Suricata (engine "suricata", or "auto" when installed)."""

    binary: str | None = None
    base_config: Path = Path("/etc/suricata/suricata.yaml")
    workdir: Path | None = None  # None: <data_dir>/suricata
    threads: str = "auto"
    stats_interval: int = Field(8, ge=1, le=3600)
    memory_mb: int | None = Field(None, ge=256)
    eve_max_bytes: int = Field(64 * 1024 * 1024, ge=4096)
    max_drop_fraction: float = Field(0.05, ge=0.0, le=1.0)
    restart_max_delay: float = Field(60.0, gt=0)


class UplinkSection(_Section):
    url: str = "http://127.0.0.1:8080"
    token: str | None = None
    token_file: Path | None = None
    ca_bundle: Path | None = None
    batch_max: int = Field(500, ge=1, le=10_000)
    batch_max_bytes: int = Field(1_000_000, ge=1024)
    timeout: float = Field(10.0, gt=0)

    def read_token(self) -> str:
        if self.token:
            return self.token
        if self.token_file is None:
            raise ConfigError("uplink.token", "set uplink.token or uplink.token_file")
        try:
            return self.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError("uplink.token_file", f"cannot read: {exc.strerror}") from exc


class QueueSection(_Section):
    max_bytes: int = Field(256 * 1024 * 1024, ge=1024 * 1024)
    commit_max_records: int = Field(256, ge=1, le=100_000)
    commit_max_delay: float = Field(1.0, gt=0, le=60)


class MetricsSection(_Section):
    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = Field(9101, ge=0, le=65535)


class HeartbeatSection(_Section):
    enabled: bool = True
    interval: float = Field(60.0, ge=1, le=3600)  # the collector's answer overrides it


class RulesSection(_Section):
    """Signed rule updates the collector offers (agent/rulesync)."""

    auto_update: bool = True
    # Vendor public keys (PEM) a bundle must be signed with; none: every update is refused.
    vendor_keys: list[Path] = Field(default_factory=list)
    max_bundle_bytes: int = Field(64 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)


class AgentConfig(_Section):
    sensor: SensorSection = Field(default_factory=SensorSection)
    capture: CaptureSection
    engine: EngineSection = Field(default_factory=EngineSection)
    suricata: SuricataSection = Field(default_factory=SuricataSection)
    uplink: UplinkSection = Field(default_factory=UplinkSection)
    queue: QueueSection = Field(default_factory=QueueSection)
    metrics: MetricsSection = Field(default_factory=MetricsSection)
    heartbeat: HeartbeatSection = Field(default_factory=HeartbeatSection)
    rules: RulesSection = Field(default_factory=RulesSection)


def load_agent_config(path: Path | None, overrides: dict[str, Any] | None = None,
                      environ: dict[str, str] | None = None) -> AgentConfig:
    """Read, merge and validate the agent configuration."""
    data: dict[str, Any] = _read_toml(path) if path is not None else {}
    _merge(data, _from_env(os.environ if environ is None else environ))
    _merge(data, overrides or {})
    try:
        config = AgentConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(key, first["msg"]) from exc
    return _resolve_paths(config, path.parent if path is not None else Path.cwd())


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError("--config", f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("--config", f"{path}: {exc}") from exc


def _from_env(environ: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX):
            section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
            if key:
                found.setdefault(section, {})[key] = value
    return found


def _merge(into: dict[str, Any], layer: dict[str, Any]) -> None:
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _resolve_paths(config: AgentConfig, base: Path) -> AgentConfig:
    """Relative paths in the file are relative to the file, as in suricata.yaml includes."""
    def fix(p: Path | None) -> Path | None:
        return None if p is None or p.is_absolute() else base / p

    config.sensor.data_dir = fix(config.sensor.data_dir) or config.sensor.data_dir
    config.capture.pcap = fix(config.capture.pcap) or config.capture.pcap
    config.engine.rules = [fix(r) or r for r in config.engine.rules]
    config.engine.classification = fix(config.engine.classification) or config.engine.classification
    config.engine.suricata_yaml = fix(config.engine.suricata_yaml) or config.engine.suricata_yaml
    config.engine.ruleset_dir = fix(config.engine.ruleset_dir) or config.engine.ruleset_dir
    config.suricata.base_config = fix(config.suricata.base_config) or config.suricata.base_config
    config.suricata.workdir = fix(config.suricata.workdir) or config.suricata.workdir
    config.uplink.token_file = fix(config.uplink.token_file) or config.uplink.token_file
    config.uplink.ca_bundle = fix(config.uplink.ca_bundle) or config.uplink.ca_bundle
    config.rules.vendor_keys = [fix(k) or k for k in config.rules.vendor_keys]
    return config
