"""BuildConfig: the settings of `yamori rules build`, one typed object read from one TOML file.

Precedence: CLI overrides > environment (`YAMORI_RULES__SECTION__KEY`, the value
written as a TOML value, e.g. `'["file:///srv/et.tar.gz"]'`) > TOML file >
defaults. Unknown keys and bad values are ConfigErrors naming the dotted key
(`sources.urls`). Relative paths in the file are relative to the file, as in
agent/config.py; the defaults point at the vendor policy shipped in this
package (rules/local, rules/policy, rules/classification.config), so a build
needs nothing but a source URL and a signing key. rules/build.example.toml
documents every key.

What this module does not do: check that files exist or run anything (the
build does, and names the key when something is missing).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rules import RULES_DIR
from yamori.errors import ConfigError

ENV_PREFIX = "YAMORI_RULES__"
POLICY_DIR = RULES_DIR / "policy"
SOURCE_SCHEMES = frozenset({"file", "http", "https"})


def _empty_is_none(value: Any) -> Any:
    # TOML has no null: "" switches an optional file off.
    return None if value == "" else value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourcesSection(_Section):
    """Where rules come from."""

    # suricata-update `--url`s: tar.gz archives or single .rules files.
    urls: list[str] = Field(default_factory=list)
    # suricata-update `--local`: yamori's own rule files or directories of them.
    local: list[Path] = Field(default_factory=lambda: [RULES_DIR / "local"])
    # Suricata's own decoder/stream/app-layer event rules, which ET Open
    # tarballs leave out and suricata-update normally adds; None: leave them out.
    suricata_rules_dir: Path | None = Path("/etc/suricata/rules")

    @field_validator("urls")
    @classmethod
    def _known_schemes(cls, urls: list[str]) -> list[str]:
        for url in urls:
            scheme = urlsplit(url).scheme
            if scheme not in SOURCE_SCHEMES:
                raise ValueError(f"{url!r}: scheme must be one of {sorted(SOURCE_SCHEMES)}")
        return urls

    @field_validator("suricata_rules_dir", mode="before")
    @classmethod
    def _off_when_empty(cls, value: Any) -> Any:
        return _empty_is_none(value)


class PolicySection(_Section):
    """The vendor's rule policy, in suricata-update's own file formats."""

    enable: Path | None = POLICY_DIR / "enable.conf"
    disable: Path | None = POLICY_DIR / "disable.conf"
    modify: Path | None = POLICY_DIR / "modify.conf"
    drop: Path | None = POLICY_DIR / "drop.conf"
    threshold: Path | None = POLICY_DIR / "threshold.config"
    classification: Path = RULES_DIR / "classification.config"

    @field_validator("enable", "disable", "modify", "drop", "threshold", mode="before")
    @classmethod
    def _off_when_empty(cls, value: Any) -> Any:
        return _empty_is_none(value)


class SuricataSection(_Section):
    """The Suricata that checks the ruleset (`suricata -T`); suricata-update asks it too."""

    binary: str = "suricata"  # a path, or a name looked up on PATH
    config: Path = Path("/etc/suricata/suricata.yaml")
    test: bool = True


class SuricataUpdateSection(_Section):
    # Empty: this Python's own suricata-update (`python -m suricata.update.main`).
    command: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=900.0, gt=0)


class SigningSection(_Section):
    key: Path | None = None  # Ed25519 private key (PEM); `yamori rules keygen` makes one

    @field_validator("key", mode="before")
    @classmethod
    def _off_when_empty(cls, value: Any) -> Any:
        return _empty_is_none(value)


class OutputSection(_Section):
    dir: Path = Path("var/rules-builds")
    # Bundles are <name>-<version>.tar.gz, their reports <bundle>.report.json.
    name: str = Field(default="yamori-rules", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=64)


class BuildConfig(_Section):
    sources: SourcesSection = Field(default_factory=SourcesSection)
    policy: PolicySection = Field(default_factory=PolicySection)
    suricata: SuricataSection = Field(default_factory=SuricataSection)
    suricata_update: SuricataUpdateSection = Field(default_factory=SuricataUpdateSection)
    signing: SigningSection = Field(default_factory=SigningSection)
    output: OutputSection = Field(default_factory=OutputSection)


def load_build_config(path: Path | None, overrides: Mapping[str, Any] | None = None,
                      environ: Mapping[str, str] | None = None) -> BuildConfig:
    """Read, merge and validate the build configuration (see the module docstring)."""
    data: dict[str, Any] = _read_toml(path) if path is not None else {}
    _merge(data, _from_env(os.environ if environ is None else environ))
    _merge(data, dict(overrides or {}))
    try:
        config = BuildConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(key, first["msg"]) from exc
    if path is not None:
        _resolve_paths(config, path.resolve().parent)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError("--config", f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("--config", f"{path}: {exc}") from exc


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
        if not key:
            raise ConfigError(section, f"environment variable {name} names no key")
        found.setdefault(section, {})[key] = _env_value(text)
    return found


def _env_value(text: str) -> Any:
    # A TOML value gives lists and booleans their types; anything else is a string.
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _merge(into: dict[str, Any], layer: Mapping[str, Any]) -> None:
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def _resolve_paths(config: BuildConfig, base: Path) -> None:
    def fix(p: Path | None) -> Path | None:
        return None if p is None else p if p.is_absolute() else base / p

    src, pol = config.sources, config.policy
    src.local = [p if p.is_absolute() else base / p for p in src.local]
    src.suricata_rules_dir = fix(src.suricata_rules_dir)
    pol.enable, pol.disable, pol.modify = fix(pol.enable), fix(pol.disable), fix(pol.modify)
    pol.drop, pol.threshold = fix(pol.drop), fix(pol.threshold)
    pol.classification = fix(pol.classification) or pol.classification
    config.suricata.config = fix(config.suricata.config) or config.suricata.config
    config.signing.key = fix(config.signing.key)
    config.output.dir = fix(config.output.dir) or config.output.dir
    # file:// sources are paths too: "file://et.tar.gz" would be relative to the
    # build's working directory, which the build does not share with the file.
    src.urls = [_absolute_file_url(u, base) for u in src.urls]


def _absolute_file_url(url: str, base: Path) -> str:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.path.startswith("/"):
        return url
    return (base / (parts.netloc + parts.path)).as_uri()
