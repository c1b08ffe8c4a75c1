from agent.detect.alert import alert_to_eve, eve_timestamp
from agent.detect.engine import DetectEngine
from agent.detect.testing import make_flow, packet, rule
from agent.engines.base import EngineSettings


def test_timestamp_format_utc():
    assert eve_timestamp(1714557600.123456) == "2024-05-01T10:00:00.123456+0000"


def test_eve_alert_shape():
    eng = DetectEngine([rule('alert tcp any any -> any 80 (msg:"m"; classtype:trojan-activity; '
                             'metadata:tag x; sid:7; rev:2;)')], EngineSettings())
    rec = alert_to_eve(eng.inspect(packet(b"a", flow=make_flow()))[0])
    assert rec["event_type"] == "alert" and rec["proto"] == "TCP"
    assert (rec["src_ip"], rec["src_port"], rec["dest_ip"], rec["dest_port"]) == \
        ("10.0.0.1", 1234, "8.8.8.8", 80)
    assert rec["flow_id"] == 42 and rec["pcap_cnt"] == 7 and rec["direction"] == "to_server"
    assert rec["alert"] == {"action": "allowed", "gid": 1, "signature_id": 7, "rev": 2,
                            "signature": "m", "category": "A Network Trojan was detected",
                            "severity": 1, "metadata": {"tag": ["x"]}}
    assert rec["flow"]["pkts_toserver"] == 1 and rec["flow"]["src_port"] == 1234


def test_eve_icmp_has_type_code_no_ports_no_metadata():
    eng = DetectEngine([rule("alert icmp any any -> any any (sid:1;)")], EngineSettings())
    rec = alert_to_eve(eng.inspect(packet(proto=1))[0])
    assert rec["proto"] == "ICMP" and rec["icmp_type"] == 8 and "src_port" not in rec
    assert "metadata" not in rec["alert"] and rec["alert"]["category"] == ""
    assert "flow_id" not in rec
