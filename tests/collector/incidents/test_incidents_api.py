"""GET /api/v1/incidents (filters, order, cursor) and GET /api/v1/incidents/{id}."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

T0 = 1714496400.0
HOUR = 3600.0


@pytest.fixture
def ids(console: Any) -> dict[str, int]:
    """Five incidents of two tenants, each named by what sets it apart."""
    console.send("pi-001", [console.alert(1, at=T0, severity=3)])
    console.send("pi-001", [console.alert(2, at=T0 + 1 * HOUR, sid=2000001, severity=1,
                                          signature="ET MALWARE Emotet CnC Beacon",
                                          category="Malware Command and Control Activity")])
    console.send("pi-002", [console.alert(3, at=T0 + 2 * HOUR, src="192.168.1.50")])
    console.send("pi-001", [console.alert(4, at=T0 + 3 * HOUR, dest="2001:db8::9")])
    console.send("pi-101", [console.alert(5, at=T0 + 4 * HOUR)])
    names = ["beacon", "emotet", "other-host", "ipv6", "suzuki"]
    newest_first = [i["id"] for i in console.incidents()]
    return dict(zip(names, reversed(newest_first), strict=True))


def listed(console: Any, **params: Any) -> list[int]:
    return [i["id"] for i in console.incidents(**params)]


def test_newest_last_seen_first(console: Any, ids: dict[str, int]) -> None:
    assert listed(console) == [ids[n] for n in
                               ("suzuki", "ipv6", "other-host", "emotet", "beacon")]


def test_cursor_pages_through_without_repeats(console: Any, ids: dict[str, int]) -> None:
    seen: list[int] = []
    before = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"before": before} if before else {})
        page = console.get("/api/v1/incidents", **params).json()
        seen += [i["id"] for i in page["incidents"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == listed(console)


def test_bad_cursor_is_422(console: Any, ids: dict[str, int]) -> None:
    answer = console.get("/api/v1/incidents", before="yesterday")
    assert answer.status_code == 422 and "before" in answer.json()["error"]


@pytest.mark.parametrize(("params", "names"), [
    ({"tenant": "suzuki-shoten"}, ["suzuki"]),
    ({"sensor": "pi-002"}, ["other-host"]),
    ({"min_severity": 1}, ["emotet"]),
    ({"category": "Malware Command and Control Activity"}, ["emotet"]),
    ({"sid": 2000001}, ["emotet"]),
    ({"q": "emotet cnc"}, ["emotet"]),
    ({"q": "suspicious BEACON", "tenant": "tanaka-kogyo"}, ["ipv6", "other-host", "beacon"]),
    ({"src_ip": "192.168.1.50"}, ["other-host"]),
    ({"dest_ip": "2001:0db8:0000:0000:0000:0000:0000:0009"}, ["ipv6"]),
    ({"since": "2024-04-30T18:30:00Z", "until": "2024-04-30T19:30:00Z"}, ["other-host"]),
])
def test_filters(console: Any, ids: dict[str, int], params: dict[str, Any],
                 names: list[str]) -> None:
    assert listed(console, **params) == [ids[n] for n in names]


def test_time_range_matches_incidents_it_overlaps(console: Any) -> None:
    console.send("pi-001", [console.alert(1, at=T0), console.alert(2, at=T0 + 1800),
                            console.alert(3, at=T0 + 3600)])
    [incident] = console.incidents()
    assert listed(console, since=T0 + 600, until=T0 + 1200) == [incident["id"]]
    assert listed(console, since=T0 + 3601) == []
    assert listed(console, until=T0) == []


def test_state_and_assignee_filters(console: Any, ids: dict[str, int]) -> None:
    console.act(ids["emotet"], "state", {"state": "escalated"})
    console.act(ids["beacon"], "assign", {"assignee": "ken"})
    assert listed(console, state="escalated") == [ids["emotet"]]
    assert listed(console, state="new", tenant="tanaka-kogyo") == [
        ids["ipv6"], ids["other-host"], ids["beacon"]]
    assert listed(console, assignee="ken") == [ids["beacon"]]


def test_search_without_a_match_is_empty(console: Any, ids: dict[str, int]) -> None:
    assert listed(console, q="no such words") == []


@pytest.mark.parametrize(("params", "field"), [
    ({"state": "closed"}, "state"), ({"src_ip": "not-an-ip"}, "src_ip"),
    ({"since": "soon"}, "since"), ({"since": "2024-05-02", "until": "2024-05-01"}, "until"),
    ({"min_severity": 0}, "min_severity"), ({"q": "x" * 201}, "q"),
])
def test_bad_filters_are_422_naming_the_parameter(console: Any, params: dict[str, Any],
                                                  field: str) -> None:
    answer = console.get("/api/v1/incidents", **params)
    assert answer.status_code == 422
    assert field in answer.json()["error"]


def test_detail_has_the_incident_its_alerts_newest_first_and_paging(console: Any) -> None:
    console.send("pi-001", [console.alert(n, at=T0 + n) for n in range(5)])
    [incident] = console.incidents()
    detail = console.incident(incident["id"], limit=3)
    assert detail["incident"] == incident
    assert detail["allowed_transitions"] == ["acknowledged", "investigating", "escalated",
                                             "resolved_tp", "resolved_fp"]
    first = [a["id"] for a in detail["alerts"]]
    assert first == sorted(first, reverse=True) and len(first) == 3
    rest = console.incident(incident["id"], limit=3, before_id=detail["next_before_id"])
    assert [a["id"] for a in rest["alerts"]] == [first[-1] - 1, first[-1] - 2]
    assert rest["next_before_id"] is None
    assert {a["incident_id"] for a in detail["alerts"]} == {incident["id"]}
    assert detail["alerts"][0]["alert"]["signature"] == "ET POLICY Suspicious beacon"


def test_unknown_incident_is_404(console: Any) -> None:
    assert console.get("/api/v1/incidents/99").status_code == 404
    assert console.get("/api/v1/incidents/0").status_code == 404


def test_times_are_utc_with_an_offset(console: Any, ids: dict[str, int]) -> None:
    incident = console.incident(ids["beacon"])["incident"]
    assert incident["first_seen"] == "2024-04-30T17:00:00Z"
    assert datetime.fromisoformat(incident["created_at"]).utcoffset() == timedelta(0)
