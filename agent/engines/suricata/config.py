"""Write the suricata.yaml yamori runs Suricata with, and have Suricata check it.

Owns: the effective configuration (stock config + yamori's keys), the
`--set` arguments and `validate()` (`suricata -T`). Does not start Suricata for
detection (replay.py, process.py) and does not read rules.

Why the stock config is loaded and re-written rather than `include:`d:
Suricata's `include:` merges the included file into the tree node by node, and
merges *sequences by index* ("outputs.0", "outputs.1" …). Overriding `outputs`
or `af-packet` that way would leave the stock fast.log, stats.log and eth0
entries mixed into ours. Loading the stock file with PyYAML's BaseLoader keeps
every scalar exactly as the text Suricata would read (no yes→True, no 0644→420),
so every key we do not own — app-layer, stream, detect, flow-timeouts,
host-os-policy … — reaches Suricata unchanged and detection stays identical to
the stock config; only the keys listed in `build_config` are replaced.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agent.engines.base import EngineSettings
from yamori.errors import ConfigError

log = logging.getLogger(__name__)

STOCK_CONFIG = Path("/etc/suricata/suricata.yaml")
STOCK_DIR = Path("/etc/suricata")
EVE_FILENAME = "eve.json"
LOG_FILENAME = "suricata.log"
PID_FILENAME = "suricata.pid"
_VALIDATE_TIMEOUT = 600.0


@dataclass(slots=True)
class Memcaps:
    """Memory caps for a Raspberry Pi 4/5 with 2–4 GB.

    ET Open's detection engine itself takes ~400–600 MB on arm64 (no
    hyperscan there: Aho-Corasick tables), the OS and the agent ~300 MB; these
    caps add at most ~350 MB so a 2 GB board never swaps. Stock values are
    flow 128mb, stream 64mb, reassembly 256mb, defrag 32mb: an office line of
    a few hundred Mbit/s with a few thousand flows stays well under ours.
    """

    flow: str = "96mb"  # ~ 300 B per flow: room for ~300k flows
    stream: str = "64mb"  # TCP session state (stock value)
    reassembly: str = "160mb"  # buffered segments; the largest consumer under load
    defrag: str = "32mb"  # fragment trackers (stock value)

    @classmethod
    def for_memory(cls, total_mb: int) -> Memcaps:
        """Caps for a board with `total_mb` of RAM (4 GB boards get the stock sizes)."""
        if total_mb >= 4000:
            return cls(flow="128mb", stream="64mb", reassembly="256mb", defrag="32mb")
        return cls()


@dataclass(slots=True)
class AfPacketOptions:
    """Live capture on one interface (Suricata's af-packet section)."""

    interface: str
    cluster_id: int = 99
    threads: str = "auto"
    defrag: bool = True
    use_mmap: bool = True
    tpacket_v3: bool = True
    bpf: str | None = None
    # Suricata's own defaults when None (ring-size 2048 frames per thread,
    # block-size 32768 with tpacket-v3); small values make a ring overflow
    # on purpose in the drop-counter tests.
    ring_size: int | None = None
    block_size: int | None = None


@dataclass(slots=True)
class SuricataOptions:
    """What yamori decides in the suricata.yaml beyond EngineSettings."""

    log_dir: Path
    rule_files: Sequence[Path] = ()
    base_config: Path = STOCK_CONFIG
    # A suricata.yaml laid over the base (e.g. a conformance case's): mappings
    # are merged key by key, any other value replaces the base's.
    overlay_config: Path | None = None
    reference_config: Path | None = None
    threshold_file: Path | None = None
    eve_payload: bool = False
    eve_packet: bool = False
    stats_interval: int = 8
    unix_socket: Path | None = None
    af_packet: AfPacketOptions | None = None
    memcaps: Memcaps | None = field(default_factory=Memcaps)
    log_level: str = "info"


class _TextLoader(yaml.BaseLoader):  # type: ignore[misc]
    """Every scalar as the text Suricata reads; an empty plain value stays empty (None)."""

    def construct_scalar(self, node: yaml.ScalarNode) -> Any:
        if node.value == "" and node.style is None:
            return None
        return super().construct_scalar(node)


class _TextDumper(yaml.SafeDumper):  # type: ignore[misc]
    """Writes None back as an empty plain value, which Suricata reads as "no value"."""


_TextDumper.add_representer(
    type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", ""))


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"


def load_yaml(path: Path) -> dict[str, Any]:
    """A suricata.yaml as Suricata sees it: every scalar a string, includes merged."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("suricata.config", f"cannot read {path}: {exc.strerror}") from exc
    try:
        doc = yaml.load(text, Loader=_TextLoader)  # noqa: S506 - builds only str/list/dict
    except yaml.YAMLError as exc:
        raise ConfigError("suricata.config", f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        return {}
    return _merge_includes(doc, path.parent)


def _merge_includes(doc: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    # Suricata resolves `include:` relative to the including file and applies
    # it where it appears; included files come first, the file's own keys win.
    includes = doc.pop("include", None)
    if not includes:
        return doc
    merged: dict[str, Any] = {}
    for name in [includes] if isinstance(includes, str) else list(includes):
        merge(merged, load_yaml(base_dir / str(name)))
    return merge(merged, doc)


def merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Lay `top` over `base` in place: mappings merge, anything else replaces."""
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def put(doc: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in a nested mapping, creating the mappings on the way."""
    *parents, last = dotted.split(".")
    node = doc
    for name in parents:
        child = node.get(name)
        if not isinstance(child, dict):
            child = node[name] = {}
        node = child
    node[last] = value


def _eve_output(options: SuricataOptions) -> dict[str, Any]:
    alert = {"metadata": "yes", "tagged-packets": "no",
             "payload": _yn(options.eve_payload), "payload-printable": _yn(options.eve_payload),
             "packet": _yn(options.eve_packet)}
    stats = {"totals": "yes", "threads": "no", "deltas": "yes"}
    return {"eve-log": {"enabled": "yes", "filetype": "regular", "filename": EVE_FILENAME,
                        "append": "yes", "types": [{"alert": alert}, {"stats": stats}]}}


def _logging(options: SuricataOptions) -> dict[str, Any]:
    # Console off: errors go to one file we parse (rulelog.py), not to our stderr.
    file_out = {"enabled": "yes", "level": options.log_level,
                "filename": str(options.log_dir / LOG_FILENAME)}
    return {"default-log-level": "notice",
            "outputs": [{"console": {"enabled": "no"}}, {"file": file_out}]}


def _af_packet(opts: AfPacketOptions) -> list[dict[str, Any]]:
    entry: dict[str, Any] = {
        "interface": opts.interface, "cluster-id": str(opts.cluster_id),
        "cluster-type": "cluster_flow", "threads": opts.threads, "defrag": _yn(opts.defrag),
        "use-mmap": _yn(opts.use_mmap), "tpacket-v3": _yn(opts.tpacket_v3)}
    if opts.bpf:
        entry["bpf-filter"] = opts.bpf
    if opts.ring_size is not None:
        entry["ring-size"] = str(opts.ring_size)
    if opts.block_size is not None:
        entry["block-size"] = str(opts.block_size)
    return [entry, {"interface": "default"}]


def _rule_keys(doc: dict[str, Any], options: SuricataOptions) -> None:
    files = [str(Path(f).resolve()) for f in options.rule_files]
    if files:
        doc["default-rule-path"] = str(Path(files[0]).parent)
    # Absolute paths: Suricata prefixes default-rule-path only to relative ones.
    doc["rule-files"] = files


def _support_files(doc: dict[str, Any], settings: EngineSettings,
                   options: SuricataOptions) -> None:
    chosen = {
        "classification-file": settings.classification_file,
        "reference-config-file": options.reference_config,
        "threshold-file": options.threshold_file,
    }
    for key, path in chosen.items():
        if path is not None:
            doc[key] = str(Path(path).resolve())
        elif key not in doc and (STOCK_DIR / _STOCK_NAMES[key]).exists():
            # Suricata's compiled-in default is this same path; spell it out.
            doc[key] = str(STOCK_DIR / _STOCK_NAMES[key])


_STOCK_NAMES = {"classification-file": "classification.config",
                "reference-config-file": "reference.config",
                "threshold-file": "threshold.config"}


def _vars(doc: dict[str, Any], settings: EngineSettings) -> None:
    for name, value in settings.address_vars.items():
        put(doc, f"vars.address-groups.{name}", value)
    for name, value in settings.port_vars.items():
        put(doc, f"vars.port-groups.{name}", value)


def _memcaps(doc: dict[str, Any], caps: Memcaps) -> None:
    put(doc, "flow.memcap", caps.flow)
    put(doc, "stream.memcap", caps.stream)
    put(doc, "stream.reassembly.memcap", caps.reassembly)
    put(doc, "defrag.memcap", caps.defrag)


def build_config(settings: EngineSettings, options: SuricataOptions) -> dict[str, Any]:
    """The effective suricata.yaml as a mapping (every scalar a string)."""
    doc = load_yaml(options.base_config)
    if options.overlay_config is not None:
        merge(doc, load_yaml(options.overlay_config))
    _vars(doc, settings)
    _rule_keys(doc, options)
    _support_files(doc, settings, options)
    doc["default-log-dir"] = str(options.log_dir)
    doc["outputs"] = [_eve_output(options)]
    put(doc, "stats.enabled", "yes")
    put(doc, "stats.interval", str(options.stats_interval))
    doc["logging"] = _logging(options)
    doc["pid-file"] = str(options.log_dir / PID_FILENAME)
    socket = options.unix_socket
    doc["unix-command"] = ({"enabled": "yes", "filename": str(socket)} if socket
                           else {"enabled": "no"})
    if options.af_packet is not None:
        doc["af-packet"] = _af_packet(options.af_packet)
    if options.memcaps is not None:
        _memcaps(doc, options.memcaps)
    return doc


def render(doc: dict[str, Any]) -> str:
    """YAML text Suricata accepts (it insists on the %YAML 1.1 header)."""
    body = yaml.dump(doc, Dumper=_TextDumper, default_flow_style=False, sort_keys=False,
                     allow_unicode=True)
    return "%YAML 1.1\n---\n" + str(body)


def write_config(settings: EngineSettings, options: SuricataOptions, path: Path) -> Path:
    """Write the effective suricata.yaml to `path` and return it."""
    options.log_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(render(build_config(settings, options)), encoding="utf-8")
    return path


def set_args(settings: EngineSettings) -> list[str]:
    """`--set key=value` words for every extra setting, in the order given."""
    words: list[str] = []
    for key, value in settings.extra.items():
        words += ["--set", f"{key}={value}"]
    return words


def error_lines(text: str) -> list[str]:
    """Suricata's error lines from its log or console output."""
    marks = ("Error:", "E: ", "<Error>")
    return [line.strip() for line in text.splitlines() if any(m in line for m in marks)]


def validate(config_path: Path, suricata: Path | str = "suricata",
             extra_args: Sequence[str] = ()) -> None:
    """Run `suricata -T -c config_path`; raise ConfigError with its error lines."""
    cmd = [str(suricata), "-T", "-c", str(config_path), *extra_args]
    log_file = log_path(config_path)
    start = _size(log_file)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=_VALIDATE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError("suricata.config", f"cannot run {cmd[0]}: {exc}") from exc
    if done.returncode == 0:
        return
    lines = error_lines(done.stdout + done.stderr) + error_lines(read_from(log_file, start))
    detail = "; ".join(dict.fromkeys(lines)) or f"suricata -T exited {done.returncode}"
    raise ConfigError("suricata.config", f"{config_path}: {detail}")


def log_path(config_path: Path) -> Path | None:
    """The log file a suricata.yaml names (logging.outputs[].file.filename)."""
    try:
        doc = load_yaml(config_path)
    except ConfigError:
        return None
    logging_ = doc.get("logging")
    outputs = logging_.get("outputs") if isinstance(logging_, dict) else None
    for out in outputs if isinstance(outputs, list) else []:
        target = out.get("file") if isinstance(out, dict) else None
        if isinstance(target, dict) and target.get("filename"):
            name = Path(str(target["filename"]))
            base = Path(str(doc.get("default-log-dir") or "."))
            return name if name.is_absolute() else base / name
    return None


def _size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path is not None else 0
    except OSError:
        return 0


def read_from(path: Path | None, offset: int) -> str:
    """The text appended to `path` after `offset` ("" when there is none)."""
    if path is None:
        return ""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
