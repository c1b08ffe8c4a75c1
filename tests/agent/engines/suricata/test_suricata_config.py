"""The suricata.yaml yamori writes: stock detection keys untouched, ours set."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agent.engines.base import EngineSettings
from agent.engines.suricata.config import (
    STOCK_CONFIG,
    AfPacketOptions,
    Memcaps,
    SuricataOptions,
    build_config,
    load_yaml,
    merge,
    put,
    set_args,
    validate,
    write_config,
)
from yamori.errors import ConfigError

needs_stock = pytest.mark.skipif(not STOCK_CONFIG.exists(), reason="no /etc/suricata/suricata.yaml")
needs_suricata = pytest.mark.skipif(shutil.which("suricata") is None,
                                    reason="suricata is not installed")

# Keys yamori owns; everything else must reach Suricata exactly as the stock file has it.
OWNED = ("outputs.", "logging.", "default-log-dir", "default-rule-path", "rule-files",
         "unix-command.", "pid-file", "threshold-file", "stats.", "af-packet.", "flow.memcap",
         "stream.memcap", "stream.reassembly.memcap", "defrag.memcap", "vars.")


def _options(tmp_path: Path, **kw: object) -> SuricataOptions:
    rules = tmp_path / "a.rules"
    rules.write_text('alert ip any any -> any any (msg:"m"; sid:1;)\n')
    return SuricataOptions(log_dir=tmp_path / "log", rule_files=[rules], **kw)  # type: ignore[arg-type]


def _dump(config: Path) -> dict[str, str]:
    out = subprocess.run(["suricata", "--dump-config", "-c", str(config)],
                         capture_output=True, text=True, check=True).stdout
    pairs = (line.split(" = ", 1) for line in out.splitlines() if " = " in line)
    return {k: v for k, v in pairs}


def test_put_creates_nested_mappings() -> None:
    doc: dict[str, object] = {}
    put(doc, "stream.reassembly.memcap", "1mb")
    assert doc == {"stream": {"reassembly": {"memcap": "1mb"}}}


def test_merge_replaces_sequences_and_merges_mappings() -> None:
    base = {"a": {"x": "1", "y": "2"}, "outputs": [{"fast": {}}]}
    merge(base, {"a": {"y": "3"}, "outputs": [{"eve-log": {}}]})
    assert base == {"a": {"x": "1", "y": "3"}, "outputs": [{"eve-log": {}}]}


def test_load_yaml_keeps_scalars_as_text(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("%YAML 1.1\n---\na: yes\nb: 0644\nc:\n")
    assert load_yaml(f) == {"a": "yes", "b": "0644", "c": None}


def test_load_yaml_merges_includes_before_own_keys(tmp_path: Path) -> None:
    (tmp_path / "inc.yaml").write_text("a: 1\nb: 1\n")
    (tmp_path / "main.yaml").write_text("include: inc.yaml\nb: 2\n")
    assert load_yaml(tmp_path / "main.yaml") == {"a": "1", "b": "2"}


def test_set_args_pass_extra_settings_through() -> None:
    settings = EngineSettings(extra={"stream.midstream": "true", "x.y": "1"})
    assert set_args(settings) == ["--set", "stream.midstream=true", "--set", "x.y=1"]


@needs_stock
def test_one_eve_log_with_alert_and_stats(tmp_path: Path) -> None:
    doc = build_config(EngineSettings(), _options(tmp_path, eve_payload=True))
    (eve,) = doc["outputs"]
    types = eve["eve-log"]["types"]
    assert eve["eve-log"]["filename"] == "eve.json" and eve["eve-log"]["filetype"] == "regular"
    assert types[0]["alert"]["metadata"] == "yes" and types[0]["alert"]["payload"] == "yes"
    assert types[1]["stats"] == {"totals": "yes", "threads": "no", "deltas": "yes"}


@needs_stock
def test_vars_from_settings_override_stock(tmp_path: Path) -> None:
    settings = EngineSettings(address_vars={"HOME_NET": "[10.1.0.0/16]"},
                              port_vars={"HTTP_PORTS": "[80,8080]"})
    doc = build_config(settings, _options(tmp_path))
    assert doc["vars"]["address-groups"]["HOME_NET"] == "[10.1.0.0/16]"
    assert doc["vars"]["port-groups"]["HTTP_PORTS"] == "[80,8080]"
    assert doc["vars"]["address-groups"]["EXTERNAL_NET"] == "!$HOME_NET"


@needs_stock
def test_af_packet_section(tmp_path: Path) -> None:
    afp = AfPacketOptions(interface="eth1", threads="2", bpf="not port 22")
    doc = build_config(EngineSettings(), _options(tmp_path, af_packet=afp))
    (entry, default) = doc["af-packet"]
    assert entry["cluster-type"] == "cluster_flow" and entry["tpacket-v3"] == "yes"
    assert entry["bpf-filter"] == "not port 22" and default == {"interface": "default"}


@needs_stock
def test_unix_socket_only_when_asked(tmp_path: Path) -> None:
    assert build_config(EngineSettings(), _options(tmp_path))["unix-command"] == {"enabled": "no"}
    sock = tmp_path / "s.sock"
    doc = build_config(EngineSettings(), _options(tmp_path, unix_socket=sock))
    assert doc["unix-command"] == {"enabled": "yes", "filename": str(sock)}


@needs_stock
@needs_suricata
def test_detection_keys_identical_to_stock(tmp_path: Path) -> None:
    ours = write_config(EngineSettings(), _options(tmp_path, memcaps=None), tmp_path / "y.yaml")
    stock, mine = _dump(STOCK_CONFIG), _dump(ours)
    differ = {k for k in stock.keys() | mine.keys() if stock.get(k) != mine.get(k)}
    assert {k for k in differ if not k.startswith(OWNED)} == set()


@needs_stock
@needs_suricata
def test_memcaps_reach_suricata(tmp_path: Path) -> None:
    caps = Memcaps(flow="70mb", stream="60mb", reassembly="150mb", defrag="30mb")
    dump = _dump(write_config(EngineSettings(), _options(tmp_path, memcaps=caps),
                              tmp_path / "y.yaml"))
    assert (dump["flow.memcap"], dump["stream.reassembly.memcap"]) == ("70mb", "150mb")


@needs_stock
@needs_suricata
def test_validate_accepts_written_config(tmp_path: Path) -> None:
    validate(write_config(EngineSettings(), _options(tmp_path), tmp_path / "y.yaml"))


@needs_stock
@needs_suricata
def test_validate_raises_with_suricata_error_lines(tmp_path: Path) -> None:
    opts = _options(tmp_path)
    Path(opts.rule_files[0]).write_text("alert tcp any any -> any any (foobar:1; sid:7;)\n")
    with pytest.raises(ConfigError, match="unknown rule keyword 'foobar'"):
        validate(write_config(EngineSettings(), opts, tmp_path / "y.yaml"))


def test_af_packet_ring_options_only_when_set(tmp_path: Path) -> None:
    plain = build_config(EngineSettings(), _options(tmp_path, af_packet=AfPacketOptions("eth1")))
    assert "ring-size" not in plain["af-packet"][0] and "block-size" not in plain["af-packet"][0]
    tiny = AfPacketOptions("eth1", ring_size=64, block_size=4096, tpacket_v3=False)
    entry = build_config(EngineSettings(), _options(tmp_path, af_packet=tiny))["af-packet"][0]
    assert (entry["ring-size"], entry["block-size"], entry["tpacket-v3"]) == ("64", "4096", "no")
