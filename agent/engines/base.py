"""The Engine protocol: what the agent and `yamori replay` need from an IDS engine.

An engine loads rule files (reporting exactly which rules it skips and why),
then turns a capture source — a pcap file or a live interface — into a stream
of EVE-JSON alert records in Suricata's schema. It does not queue, uplink or
add sensor fields: the agent does that with what the engine yields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from yamori.errors import RuleParseError

EveRecord = dict[str, Any]


@dataclass(slots=True)
class EngineSettings:
    """Settings common to every engine, in Suricata's vocabulary."""

    # Address and port variables (HOME_NET, HTTP_PORTS …), without the '$'.
    address_vars: dict[str, str] = field(default_factory=dict)
    port_vars: dict[str, str] = field(default_factory=dict)
    checksum_validation: bool = True  # `-k none` turns it off
    classification_file: Path | None = None
    # The suricata.yaml the settings came from: the Suricata engine layers it
    # over its own configuration; the builtin engine only uses its vars.
    config_file: Path | None = None
    # Suricata `--set key=value` settings; an engine ignores those it does not know.
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RuleLoadReport:
    loaded: int = 0
    skipped: list[RuleParseError] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class SourceSpec:
    """Where packets come from: exactly one of pcap or interface."""

    pcap: Path | None = None
    interface: str | None = None
    realtime: bool = False  # replay a pcap at its recorded speed
    bpf: str | None = None


@dataclass(slots=True)
class EngineStats:
    packets: int = 0
    bytes: int = 0
    decode_errors: int = 0
    flows: int = 0
    alerts: int = 0
    detect_seconds: float = 0.0  # time spent in rule inspection, for cost per packet


class Engine(Protocol):
    name: str
    stats: EngineStats

    def load_rules(self, rule_files: Sequence[Path]) -> RuleLoadReport:
        """Load (or reload) rules; skipped rules are reported, never fatal."""
        ...

    def run(
        self, source: SourceSpec, should_stop: Callable[[], bool] | None = None
    ) -> Iterator[EveRecord]:
        """Process the source and yield one EVE record per alert, in order."""
        ...
