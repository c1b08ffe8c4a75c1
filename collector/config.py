"""The collector's one typed settings object and how it is loaded.

Owns: `CollectorConfig`, its defaults, and the precedence
CLI overrides > environment (`YAMORI_COLLECTOR_<KEY>`) > TOML file > defaults.
Unknown keys are errors that name the key (`ConfigError`), wherever they come from.
Does not own: opening the database or the listening socket (db.py, cli.py).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yamori.errors import ConfigError

ENV_PREFIX = "YAMORI_COLLECTOR_"
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


@dataclass(slots=True, frozen=True)
class CollectorConfig:
    """Settings of one collector process (see deploy/collector.example.toml)."""

    listen: str = "127.0.0.1"
    port: int = 8080
    # Relative to the working directory; production installs point this at
    # /var/lib/yamori (sqlite:////var/lib/yamori/collector.sqlite) or PostgreSQL.
    database_url: str = "sqlite:///var/collector.sqlite"
    max_body_bytes: int = 5 * 1024 * 1024
    page_size_max: int = 1000
    log_level: str = "INFO"
    stream_poll_seconds: float = 1.0
    stream_heartbeat_seconds: float = 15.0
    # Fleet (see deploy/collector.example.toml): admin API, enrollment, heartbeats.
    admin_token_file: str = ""
    ca_cert_file: str = ""
    enroll_token_ttl_seconds: float = 86400.0
    heartbeat_interval_seconds: float = 60.0
    heartbeat_late_factor: float = 2.0
    heartbeat_offline_factor: float = 3.0
    offline_check_seconds: float = 5.0
    clock_skew_max_seconds: float = 300.0
    heartbeat_history_days: float = 62.0
    # Rulesets (issue 6): signed bundles published to channels, canary rollout.
    rules_dir: str = "var/rulesets"
    rules_vendor_key_file: str = ""
    rules_max_bundle_bytes: int = 64 * 1024 * 1024
    canary_alert_factor: float = 5.0
    canary_cost_factor: float = 3.0
    canary_min_seconds: float = 120.0
    # Console (issue 7): sessions, login throttling, incident grouping.
    session_ttl_seconds: float = 12 * 3600.0
    cookie_secure: bool = True
    login_max_failures: int = 5
    login_window_seconds: float = 900.0
    incident_window_seconds: float = 3600.0
    default_language: str = "ja"
    # Notices (issue 8): customer and operator notices through apprise.
    notify_max_attempts: int = 12
    notify_retry_cap_seconds: float = 600.0
    notify_customer_offline_after_seconds: float = 1800.0
    notify_timezone: str = "Asia/Tokyo"
    notify_poll_seconds: float = 1.0
    console_base_url: str = ""
    # Retention (issue 9): months of alerts kept, by default and per tenant
    # (collector/retention.py); 0 keeps them forever.
    retention_months_default: int = 0
    retention_months: dict[str, int] = dataclasses.field(default_factory=dict)


# Each key's type is its default's type: the defaults are the schema.
_FIELDS: dict[str, type] = {
    f.name: type(getattr(CollectorConfig(), f.name)) for f in dataclasses.fields(CollectorConfig)
}


def load_config(
    path: Path | None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> CollectorConfig:
    """Build the config from defaults, `path` (TOML), the environment and `overrides`.

    `overrides` values that are None are ignored, so an argparse namespace's
    unset options can be passed as they are. `env` defaults to os.environ.
    """
    values: dict[str, Any] = {}
    if path is not None:
        values.update(_checked(_read_toml(path), source=str(path)))
    values.update(_from_env(os.environ if env is None else env))
    values.update(_checked({k: v for k, v in (overrides or {}).items() if v is not None},
                           source="command line"))
    config = CollectorConfig(**values)
    _validate(config)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError("config", f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{path} is not valid TOML: {exc}") from exc


def _checked(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _FIELDS:
            raise ConfigError(key, f"unknown key (in {source})")
        out[key] = _typed(key, value)
    return out


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, text in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX):].lower()
        if key not in _FIELDS:
            # A typo in a variable name must not be ignored silently.
            raise ConfigError(key, f"unknown key (environment variable {name})")
        out[key] = _typed(key, _parse_env(key, text))
    return out


def _parse_env(key: str, text: str) -> Any:
    kind = _FIELDS[key]
    if kind is str:
        return text
    if kind is dict:  # tenant=months,tenant=months
        pairs = [item.partition("=") for item in text.split(",") if item.strip()]
        try:
            return {name.strip(): int(value) for name, _, value in pairs}
        except ValueError as exc:
            raise ConfigError(key, f"expected tenant=months,..., got {text!r}") from exc
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(key, f"expected true or false, got {text!r}")
    try:
        return kind(text)
    except ValueError as exc:
        raise ConfigError(key, f"expected {kind.__name__}, got {text!r}") from exc


def _typed(key: str, value: Any) -> Any:
    kind = _FIELDS[key]
    if kind is dict:
        return _typed_months(key, value)
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"expected true or false, got {value!r}")
        return value
    # bool is an int in Python; `port = true` is still a mistake.
    if isinstance(value, bool) or not isinstance(value, kind | (int if kind is float else kind)):
        raise ConfigError(key, f"expected {kind.__name__}, got {value!r}")
    return kind(value)


def _typed_months(key: str, value: Any) -> dict[str, int]:
    """A map of tenant to months (non-negative integers)."""
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"expected a table of tenant = months, got {value!r}")
    for tenant, months in value.items():
        if isinstance(months, bool) or not isinstance(months, int) or months < 0:
            raise ConfigError(key, f"months of tenant {tenant!r} must be an integer >= 0")
    return {str(tenant): int(months) for tenant, months in value.items()}


def _validate(config: CollectorConfig) -> None:
    if not config.listen:
        raise ConfigError("listen", "must not be empty")
    if not 0 <= config.port <= 65535:
        raise ConfigError("port", f"must be 0..65535, got {config.port}")
    if not config.database_url:
        raise ConfigError("database_url", "must not be empty")
    for key in ("max_body_bytes", "page_size_max"):
        if getattr(config, key) < 1:
            raise ConfigError(key, "must be at least 1")
    for key in ("stream_poll_seconds", "stream_heartbeat_seconds"):
        if getattr(config, key) <= 0:
            raise ConfigError(key, "must be greater than 0")
    _validate_fleet(config)
    _validate_rules_and_console(config)
    _validate_notify(config)
    if config.retention_months_default < 0:
        raise ConfigError("retention_months_default", "must not be negative")
    if config.log_level.upper() not in LOG_LEVELS:
        raise ConfigError("log_level", f"must be one of {', '.join(LOG_LEVELS)}")


def _validate_fleet(config: CollectorConfig) -> None:
    for key in ("enroll_token_ttl_seconds", "heartbeat_interval_seconds",
                "offline_check_seconds", "clock_skew_max_seconds", "heartbeat_history_days"):
        if getattr(config, key) <= 0:
            raise ConfigError(key, "must be greater than 0")
    if config.heartbeat_late_factor < 1:
        raise ConfigError("heartbeat_late_factor", "must be at least 1")
    if config.heartbeat_offline_factor <= config.heartbeat_late_factor:
        raise ConfigError("heartbeat_offline_factor", "must be greater than heartbeat_late_factor")


def _validate_rules_and_console(config: CollectorConfig) -> None:
    for key in ("rules_max_bundle_bytes", "login_max_failures"):
        if getattr(config, key) < 1:
            raise ConfigError(key, "must be at least 1")
    for key in ("canary_alert_factor", "canary_cost_factor"):
        if getattr(config, key) <= 1:
            raise ConfigError(key, "must be greater than 1")
    for key in ("canary_min_seconds", "session_ttl_seconds", "login_window_seconds",
                "incident_window_seconds"):
        if getattr(config, key) <= 0:
            raise ConfigError(key, "must be greater than 0")
    if config.default_language not in ("ja", "en"):
        raise ConfigError("default_language", 'must be "ja" or "en"')


def _validate_notify(config: CollectorConfig) -> None:
    if config.notify_max_attempts < 1:
        raise ConfigError("notify_max_attempts", "must be at least 1")
    for key in ("notify_retry_cap_seconds", "notify_poll_seconds"):
        if getattr(config, key) <= 0:
            raise ConfigError(key, "must be greater than 0")
    if config.notify_customer_offline_after_seconds < 0:
        raise ConfigError("notify_customer_offline_after_seconds", "must not be negative")
    try:
        ZoneInfo(config.notify_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("notify_timezone",
                          f"unknown time zone {config.notify_timezone!r}") from exc
    base = urlsplit(config.console_base_url)
    if config.console_base_url and (base.scheme not in ("http", "https") or not base.netloc):
        raise ConfigError("console_base_url", "must be empty or an http(s):// URL")


def log_level_number(config: CollectorConfig) -> int:
    """The logging module's number for `config.log_level`."""
    return logging.getLevelNamesMapping()[config.log_level.upper()]
