"""The feed's filters: category, signature search, addresses, time range, triage state.

Besides one test per filter, every filter and some combinations are checked
page by page against the whole feed filtered in Python, so each way the
feed query can be read (an index per value, a page per value merged, the
incident walk, the time range) answers exactly what the filter means.
"""

from __future__ import annotations

import ipaddress
import random
from datetime import datetime
from typing import Any

import pytest

import collector.repo.alerts as feed_repo

T0 = 1714496400.0
SIGNATURES = [
    (2019401, "ET POLICY Suspicious beacon", "A Network Trojan was detected", 2),
    (2000001, "ET MALWARE Emotet CnC Beacon", "Malware Command and Control Activity", 1),
    (2100498, "GPL ATTACK_RESPONSE id check returned root", "Potentially Bad Traffic", 2),
    (2027865, "ET INFO Observed DNS Query to .cloud TLD", "Potentially Bad Traffic", 3),
    (2013028, "ET POLICY curl User-Agent Outbound", "Attempted Information Leak", 3),
    (9000001, "100% sure_match test rule", "Misc activity", 4),
]
SOURCES = ["192.168.1.23", "192.168.1.50", "2001:0db8:0000:0000:0000:0000:0000:0023"]
DESTINATIONS = ["203.0.113.9", "198.51.100.7", "2001:0db8:0000:0000:0000:0000:0000:0009"]
SENSORS = ["pi-001", "pi-002", "pi-101"]


@pytest.fixture
def mixed(console: Any) -> list[dict[str, Any]]:
    """120 alerts of every kind, sent in several batches; some incidents triaged."""
    rng = random.Random(7)
    for batch in range(8):
        by_sensor: dict[str, list[dict[str, Any]]] = {s: [] for s in SENSORS}
        for n in range(15):
            sid, text, category, severity = rng.choice(SIGNATURES)
            by_sensor[rng.choice(SENSORS)].append(console.alert(
                batch * 100 + n, at=T0 + rng.uniform(0, 12 * 3600), sid=sid, signature=text,
                category=category, severity=severity, src=rng.choice(SOURCES),
                dest=rng.choice(DESTINATIONS)))
        for sensor, alerts in by_sensor.items():
            if alerts:
                console.send(sensor, alerts)
    triaged = ["acknowledged", "escalated", "resolved_fp", "resolved_tp", "investigating"]
    for incident in console.incidents(limit=1000):
        if incident["id"] % 7 < len(triaged):
            console.act(incident["id"], "state", {"state": triaged[incident["id"] % 7]})
    return console.feed(limit=1000)


def states(console: Any) -> dict[int, str]:
    return {i["id"]: i["state"] for i in console.incidents(limit=1000)}


def matches(record: dict[str, Any], params: dict[str, Any], state_of: dict[int, str]) -> bool:
    """What `params` means, applied to one feed record."""
    ts = datetime.fromisoformat(record["timestamp"]).timestamp()
    info = record["alert"]
    checks = {
        "tenant": lambda v: record["tenant"] == v,
        "sensor": lambda v: record["sensor_id"] == v,
        "sid": lambda v: info["signature_id"] == v,
        "category": lambda v: info["category"] == v,
        "q": lambda v: v.strip().lower() in info["signature"].lower(),
        "src_ip": lambda v: ipaddress.ip_address(record["src_ip"]) == ipaddress.ip_address(v),
        "dest_ip": lambda v: ipaddress.ip_address(record["dest_ip"]) == ipaddress.ip_address(v),
        "since": lambda v: ts >= v,
        "until": lambda v: ts < v,
        "min_severity": lambda v: info["severity"] <= v,
        "state": lambda v: state_of.get(record["incident_id"]) == v,
    }
    return all(checks[key](value) for key, value in params.items())


def paged(console: Any, params: dict[str, Any], limit: int = 7) -> list[int]:
    """Every id the filter answers, page by page with before_id."""
    seen: list[int] = []
    before = None
    while True:
        page = console.get("/api/v1/alerts", limit=limit, **params,
                           **({"before_id": before} if before else {})).json()
        seen += [a["id"] for a in page["alerts"]]
        before = page["next_before_id"]
        if before is None:
            return seen


COMBINATIONS: list[dict[str, Any]] = [
    {"category": "Potentially Bad Traffic"},
    {"q": "beacon"}, {"q": "POLICY"}, {"q": "100%"}, {"q": "sure_match"}, {"q": "_"},
    {"src_ip": "2001:db8::23"}, {"dest_ip": "198.51.100.7"},
    {"since": T0 + 3 * 3600}, {"since": T0 + 2 * 3600, "until": T0 + 5 * 3600},
    {"min_severity": 1}, {"min_severity": 3},
    {"state": "new"}, {"state": "escalated"}, {"state": "resolved_fp"},
    {"state": "new", "tenant": "tanaka-kogyo"}, {"state": "acknowledged", "q": "beacon"},
    {"state": "new", "sensor": "pi-002", "min_severity": 2},
    {"state": "new", "since": T0 + 3600, "until": T0 + 8 * 3600},
    {"state": "investigating", "src_ip": "192.168.1.50", "category": "Potentially Bad Traffic"},
    {"q": "et ", "tenant": "suzuki-shoten"}, {"q": "beacon", "min_severity": 1},
    {"q": "et", "dest_ip": "2001:db8::9"}, {"src_ip": "192.168.1.23", "since": T0 + 7200},
    {"sid": 2027865, "q": "dns"}, {"min_severity": 2, "since": T0 + 6 * 3600},
]


def test_every_filter_answers_what_it_means_page_by_page(
        console: Any, mixed: list[dict[str, Any]]) -> None:
    state_of = states(console)
    for params in COMBINATIONS:
        expected = [a["id"] for a in mixed if matches(a, params, state_of)]
        assert expected, f"the fixture should hold alerts for {params}"
        assert paged(console, params) == expected, params
        assert console.feed_ids(after_id=0, limit=1000, **params) == sorted(expected), params


@pytest.mark.parametrize("params", [{"state": "new"}, {"state": "resolved_fp", "q": "et"}])
def test_a_long_state_walk_hands_over_to_one_query(console: Any, mixed: list[dict[str, Any]],
                                                   params: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed_repo, "MAX_WALK", 1)
    state_of = states(console)
    assert paged(console, params) == [a["id"] for a in mixed if matches(a, params, state_of)]


def test_a_search_matching_many_sids_reads_them_as_one_clause(
        console: Any, mixed: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed_repo, "MAX_FAN_OUT", 1)
    state_of = states(console)
    params = {"q": "e"}
    assert paged(console, params) == [a["id"] for a in mixed if matches(a, params, state_of)]


def test_category_filter(console: Any) -> None:
    console.send("pi-001", [console.alert(1, category="Misc activity"), console.alert(2)])
    assert [a["alert"]["category"] for a in console.feed(category="Misc activity")] == [
        "Misc activity"]


def test_signature_search_is_a_case_insensitive_substring(console: Any) -> None:
    console.send("pi-001", [console.alert(1, sid=1, signature="ET MALWARE Emotet CnC"),
                            console.alert(2, sid=2, signature="ET POLICY curl")])
    assert [a["alert"]["signature_id"] for a in console.feed(q="emotet cnc")] == [1]
    assert [a["alert"]["signature_id"] for a in console.feed(q="  ET  ")] == [2, 1]
    assert console.feed(q="ransomware") == []


def test_signature_search_takes_like_wildcards_literally(console: Any) -> None:
    console.send("pi-001", [console.alert(1, sid=1, signature="100% match"),
                            console.alert(2, sid=2, signature="1000 matches"),
                            console.alert(3, sid=3, signature="a_b"),
                            console.alert(4, sid=4, signature="axb")])
    assert [a["alert"]["signature_id"] for a in console.feed(q="100%")] == [1]
    assert [a["alert"]["signature_id"] for a in console.feed(q="a_b")] == [3]


def test_signature_search_keeps_gids_apart(console: Any) -> None:
    console.send("pi-001", [console.alert(1, sid=5, gid=1, signature="ET SCAN nmap"),
                            console.alert(2, sid=5, gid=3, signature="decoder event")])
    assert [a["alert"]["gid"] for a in console.feed(q="nmap")] == [1]


def test_ipv6_addresses_match_in_any_spelling(console: Any) -> None:
    console.send("pi-001", [console.alert(1, src="2001:0db8:0000:0000:0000:0000:0000:0001"),
                            console.alert(2, src="2001:db8::2")])
    assert len(console.feed(src_ip="2001:db8::1")) == 1
    assert len(console.feed(src_ip="2001:0db8:0000:0000:0000:0000:0000:0002")) == 1


def test_time_range_is_on_event_time(console: Any) -> None:
    console.send("pi-001", [console.alert(n, at=T0 + n * 600) for n in range(6)])
    assert len(console.feed(since=T0 + 600, until=T0 + 1800)) == 2
    assert len(console.feed(since="2024-04-30T17:50:00Z")) == 1


def test_state_filter_follows_triage(console: Any) -> None:
    console.send("pi-001", [console.alert(1, sid=1), console.alert(2, sid=2)])
    first, _ = console.incidents()
    console.act(first["id"], "state", {"state": "escalated"})
    assert {a["incident_id"] for a in console.feed(state="escalated")} == {first["id"]}
    assert len(console.feed(state="new")) == 1
    assert console.feed(state="resolved_tp") == []


@pytest.mark.parametrize(("params", "field"), [
    ({"state": "open"}, "state"), ({"src_ip": "192.168.1"}, "src_ip"),
    ({"dest_ip": "::g"}, "dest_ip"), ({"until": "tomorrow"}, "until"),
    ({"since": T0, "until": T0}, "until"), ({"q": "x" * 201}, "q"),
])
def test_bad_filters_are_422_naming_the_parameter(console: Any, params: dict[str, Any],
                                                  field: str) -> None:
    answer = console.get("/api/v1/alerts", **params)
    assert answer.status_code == 422
    assert field in answer.json()["error"]
