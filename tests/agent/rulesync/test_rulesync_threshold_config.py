"""threshold.config in the builtin engine (agent/detect/threshold_config.py).

Parsing follows Suricata 7's util-threshold-config.c regexes; applying
follows its SetupSuppressRule / SetupThresholdRule; alert-time behaviour its
PacketAlertHandle (suppressions first, "suppressed but actions apply").
The lines the rule updater writes for overrides must parse back to what the
override said (a hypothesis property).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from agent.detect import threshold_config as tc
from agent.detect.engine import DetectEngine
from agent.detect.testing import packet, rule
from agent.detect.threshold import ThresholdSpec
from agent.detect.vars import DEFAULT_ADDRESS_VARS
from agent.engines.base import EngineSettings, SourceSpec
from agent.engines.builtin import BuiltinEngine
from agent.rulesync.overrides import threshold_line
from uplink.schema import RuleOverride

VARS = dict(DEFAULT_ADDRESS_VARS)
R1 = 'alert udp any any -> any any (msg:"one"; content:"x"; sid:1; rev:1;)'
R2 = ('alert udp any any -> any any (msg:"two"; content:"x"; '
      'threshold:type limit, track by_src, count 5, seconds 60; sid:2; rev:1;)')
R3 = 'alert udp any any -> any any (msg:"three"; content:"x"; gid:7; sid:3; rev:1;)'


def parse(text: str) -> tc.ThresholdConfig:
    return tc.parse(text, VARS)


# -- parsing ----------------------------------------------------------------------


def test_suppress_forms() -> None:
    config = parse("suppress gen_id 1, sig_id 2002087\n"
                   "suppress gen_id 1, sig_id 2003614, track by_src, ip 217.110.97.128/25\n"
                   "suppress gen_id 1, sig_id 5, track by_either, ip [10.0.0.0/8,192.168.1.1]\n"
                   "suppress gen_id 1, sig_id 6, track by_dst, ip $HOME_NET\n")
    assert config.problems == []
    plain, by_src, either, by_var = config.entries
    assert (plain.kind, plain.gid, plain.sid, plain.suppression) == ("suppress", 1, 2002087, None)
    assert by_src.suppression is not None and by_src.suppression.track == "by_src"
    assert by_src.suppression.addresses.matches(4, int.from_bytes(bytes([217, 110, 97, 200])))
    assert not by_src.suppression.addresses.matches(4, int.from_bytes(bytes([217, 110, 97, 1])))
    assert either.suppression is not None and either.suppression.track == "by_either"
    assert by_var.suppression is not None
    assert by_var.suppression.addresses.matches(4, int.from_bytes(bytes([10, 1, 2, 3])))


def test_threshold_and_event_filter() -> None:
    config = parse("threshold gen_id 1, sig_id 100, type both, track by_dst, count 10, "
                   "seconds 60\n"
                   "event_filter gen_id 1, sig_id 10, type limit, track by_src, count 1, "
                   "seconds 60\n")
    assert config.problems == []
    assert [e.spec for e in config.entries] == [ThresholdSpec("both", "by_dst", 10, 60),
                                                ThresholdSpec("limit", "by_src", 1, 60)]


def test_comments_blank_lines_and_continuations() -> None:
    # Suricata's own multi-line test case (SCThresholdConfGenerateValidDummyFD04).
    text = ("# comment\n\n   # indented comment\n"
            "event_filter gen_id 1 \\\n, sig_id 10, type limit, track by_src, \\\ncount 1, "
            "seconds 60\n"
            "threshold gen_id 1, \\\nsig_id 100, type both\\\n, track by_dst, count 10, \\\n"
            " seconds 60\n")
    config = parse(text)
    assert config.problems == []
    assert [(e.sid, e.line) for e in config.entries] == [(10, 4), (100, 7)]


def test_bad_lines_are_problems_with_their_line_numbers() -> None:
    config = parse("suppress gen_id 1, sig_id 1, track by_rule, ip 10.0.0.1\n"
                   "threshold gen_id 1, sig_id 2, type invalid, track by_src, count 1, "
                   "seconds 6\n"
                   "threshold gen_id 0, sig_id 3, type limit, track by_src, count 1, seconds 6\n"
                   "threshold gen_id 1, sig_id 4, type limit, track by_src, count 0, seconds 6\n"
                   "suppress gen_id 1, sig_id 99999999999, track by_src, ip 10.0.0.1\n"
                   "suppress gen_id 1, sig_id 5, track by_src, ip not-an-ip\n"
                   "rate_filter gen_id 1, sig_id 6, track by_src, count 1, seconds 6, "
                   "new_action drop, timeout 10\n"
                   "nonsense\n"
                   "suppress gen_id 1, sig_id 7\n")
    assert [p.line for p in config.problems] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [p.unsupported for p in config.problems] == [False] * 6 + [True, False]
    assert [e.sid for e in config.entries] == [7]
    assert "count should be > 0" in str(config.problems[3])


# -- applying to rules ---------------------------------------------------------------


def test_specific_threshold_replaces_the_rules_own() -> None:
    config = parse("threshold gen_id 1, sig_id 2, type threshold, track by_dst, count 3, "
                   "seconds 9\n")
    (r1, r2), suppressions = config.apply([rule(R1), rule(R2)])
    assert r1.threshold is None and suppressions == {}
    assert r2.threshold == ThresholdSpec("threshold", "by_dst", 3, 9)


def test_global_threshold_fills_only_rules_without_one() -> None:
    config = parse("threshold gen_id 0, sig_id 0, type limit, track by_rule, count 1, "
                   "seconds 9\n"
                   "threshold gen_id 0, sig_id 0, type limit, track by_rule, count 7, "
                   "seconds 9\n")
    (r1, r2, r3), _ = config.apply([rule(R1), rule(R2), rule(R3)])
    assert r1.threshold == r3.threshold == ThresholdSpec("limit", "by_rule", 1, 9)
    assert r2.threshold == ThresholdSpec("limit", "by_src", 5, 60)  # its own stays


def test_suppress_selects_by_gid_and_sid() -> None:
    config = parse("suppress gen_id 7, sig_id 0\n"
                   "suppress gen_id 1, sig_id 1, track by_src, ip 10.0.0.1\n")
    (r1, r2, r3), suppressions = config.apply([rule(R1), rule(R2), rule(R3)])
    assert (r1.noalert, r2.noalert, r3.noalert) == (False, False, True)
    assert list(suppressions) == [(1, 1)]


# -- at alert time -------------------------------------------------------------------


def _alerts(engine: DetectEngine, src: str) -> list[int]:
    return [a.rule.sid for a in engine.inspect(packet(b"x", proto=17, src=src, dp=53))]


def test_suppression_by_address_silences_only_that_address() -> None:
    config = parse("suppress gen_id 1, sig_id 1, track by_src, ip 10.0.0.1\n"
                   "suppress gen_id 1, sig_id 2, track by_either, ip 8.8.8.8\n")
    rules, suppressions = config.apply([rule(R1), rule(R2)])
    engine = DetectEngine(rules, EngineSettings(), suppressions)
    assert _alerts(engine, "10.0.0.1") == []  # sid 1 by source, sid 2 by destination 8.8.8.8
    assert _alerts(engine, "10.0.0.2") == [1]


def test_builtin_engine_reads_threshold_config_beside_its_rules(tmp_path: Path) -> None:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    (tmp_path / "a.rules").write_text(R1 + "\n")
    frames = [Ether() / IP(src=f"10.0.0.{n}", dst="10.9.9.9") / UDP(dport=53) / b"x"
              for n in (1, 2, 1)]
    wrpcap(str(tmp_path / "t.pcap"), frames)

    def sids(settings: EngineSettings) -> list[str]:
        engine = BuiltinEngine(settings)
        engine.load_rules([tmp_path / "a.rules"])
        return [r["src_ip"] for r in engine.run(SourceSpec(pcap=tmp_path / "t.pcap"))]

    assert sids(EngineSettings()) == ["10.0.0.1", "10.0.0.2", "10.0.0.1"]
    (tmp_path / "threshold.config").write_text(
        "suppress gen_id 1, sig_id 1, track by_src, ip 10.0.0.1\n")
    assert sids(EngineSettings()) == ["10.0.0.2"]
    other = tmp_path / "other.config"
    other.write_text("suppress gen_id 1, sig_id 1, track by_src, ip 10.0.0.2\n")
    assert sids(EngineSettings(extra={"threshold-file": str(other)})) == ["10.0.0.1", "10.0.0.1"]


# -- properties ----------------------------------------------------------------------

ids = st.integers(min_value=1, max_value=2**32 - 1)
networks = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.tuples(st.ip_addresses(v=4), st.integers(8, 32)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.ip_addresses(v=6).map(str),
)
suppress_overrides = st.builds(
    RuleOverride, kind=st.just("suppress"), gid=ids, sid=ids,
    track=st.sampled_from(["by_src", "by_dst", "by_either"]), ip=networks)
threshold_overrides = st.builds(
    RuleOverride, kind=st.just("threshold"), gid=ids, sid=ids,
    track=st.sampled_from(["by_src", "by_dst", "by_both", "by_rule"]),
    type=st.sampled_from(["limit", "threshold", "both"]), count=ids, seconds=ids)


@given(st.one_of(suppress_overrides, threshold_overrides))
def test_override_lines_parse_back_to_the_override(override: RuleOverride) -> None:
    entry = tc.parse_entry(threshold_line(override), VARS)
    assert (entry.kind, entry.gid, entry.sid) == (override.kind, override.gid, override.sid)
    if override.kind == "threshold":
        assert entry.spec == ThresholdSpec(override.type or "", override.track or "",
                                           override.count or 0, override.seconds or 0)
    else:
        assert entry.suppression is not None and entry.suppression.track == override.track


@given(st.text(max_size=300))
def test_any_text_parses_without_raising(text: str) -> None:
    config = parse(text)
    assert len(config.entries) + len(config.problems) <= text.count("\n") + 1
