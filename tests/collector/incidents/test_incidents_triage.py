"""Triage: states and transitions, assignment, notes, suppression, and the audit of each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from collector.audit import audit_entries
from collector.incidents import triage
from collector.incidents.models import Incident
from collector.notify.testing import add_contact, notice_rows
from collector.overrides import active_overrides
from collector.state import AppState
from yamori.errors import IngestError

T0 = 1714496400.0


@pytest.fixture
def incident(console: Any) -> int:
    console.send("pi-001", [console.alert(1, at=T0), console.alert(2, at=T0 + 5)])
    [row] = console.incidents()
    return int(row["id"])


def audit(console: Any) -> list[tuple[str, str, str, str | None, dict[str, Any]]]:
    """(actor, action, target, tenant, detail) of every entry, oldest first."""
    state: AppState = console.app.state.collector
    with state.database.session() as session:
        entries = audit_entries(session, limit=1000)
        return [(e.actor, e.action, e.target, e.tenant, json.loads(e.detail))
                for e in reversed(entries)]


def test_states_follow_the_allowed_transitions_and_each_is_audited(console: Any,
                                                                     incident: int) -> None:
    for state in ("acknowledged", "investigating", "escalated", "resolved_tp"):
        answer = console.act(incident, "state", {"state": state})
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == state
    detail = console.incident(incident)
    assert detail["incident"]["resolved_at"] is not None
    assert detail["allowed_transitions"] == ["investigating"]
    moves = [(d["from"], d["to"]) for actor, action, target, tenant, d in audit(console)
             if action == "incident.state" and target == f"incident:{incident}"
             and actor == "aiko" and tenant == "tanaka-kogyo"]
    assert moves == [("new", "acknowledged"), ("acknowledged", "investigating"),
                     ("investigating", "escalated"), ("escalated", "resolved_tp")]


def test_a_resolved_incident_can_be_reopened(console: Any, incident: int) -> None:
    console.act(incident, "state", {"state": "resolved_fp"})
    answer = console.act(incident, "state", {"state": "investigating"})
    assert answer.status_code == 200
    assert answer.json()["resolved_at"] is None


@pytest.mark.parametrize(("path", "target"), [
    (["acknowledged"], "new"), (["acknowledged"], "acknowledged"),
    (["resolved_fp"], "acknowledged"), (["investigating"], "acknowledged"),
])
def test_disallowed_transition_is_409_and_changes_nothing(console: Any, incident: int,
                                                            path: list[str], target: str) -> None:
    for state in path:
        console.act(incident, "state", {"state": state})
    answer = console.act(incident, "state", {"state": target})
    assert answer.status_code == 409
    assert f"to {target}" in answer.json()["error"] and "allowed:" in answer.json()["error"]
    assert console.incident(incident)["incident"]["state"] == path[-1]


def test_unknown_state_is_422_naming_the_states(console: Any, incident: int) -> None:
    answer = console.act(incident, "state", {"state": "closed"})
    assert answer.status_code == 422
    assert "resolved_fp" in answer.json()["error"]


def test_state_change_with_a_note_keeps_the_note(console: Any, incident: int) -> None:
    console.act(incident, "state", {"state": "escalated", "note": "PC を切り離すよう依頼"})
    [note] = console.incident(incident)["notes"]
    assert (note["author"], note["text"]) == ("aiko", "PC を切り離すよう依頼")
    [entry] = [e for e in audit(console) if e[1] == "incident.state"]
    assert entry[4]["note"] == "PC を切り離すよう依頼"


def test_a_stale_state_change_is_409(console: Any, incident: int) -> None:
    state: AppState = console.app.state.collector
    with state.database.session() as mine, state.database.session() as theirs:
        seen = mine.get(Incident, incident)
        assert seen is not None and seen.state == "new"
        triage.change_state(theirs, theirs.get(Incident, incident), "acknowledged", "ken")
        with pytest.raises(IngestError) as refused:
            triage.change_state(mine, seen, "resolved_fp", "aiko")
    assert refused.value.status == 409
    assert console.incident(incident)["incident"]["state"] == "acknowledged"


def test_assign_and_unassign_are_audited(console: Any, incident: int) -> None:
    answer = console.act(incident, "assign", {"assignee": "ken"})
    assert answer.status_code == 200 and answer.json()["assignee"] == "ken"
    assert console.act(incident, "assign", {"assignee": None}).json()["assignee"] is None
    assigns = [(e[0], e[4]) for e in audit(console) if e[1] == "incident.assign"]
    assert assigns == [("aiko", {"from": None, "to": "ken"}),
                       ("aiko", {"from": "ken", "to": None})]


def test_assignment_needs_the_assignee_field(console: Any, incident: int) -> None:
    assert console.act(incident, "assign", {}).status_code == 422


def test_notes_are_kept_in_order_with_author_and_time(console: Any, incident: int) -> None:
    first = console.act(incident, "notes", {"text": "beacon every 60 s"})
    console.as_analyst("ken")
    console.act(incident, "notes", {"text": "same host seen last week"})
    assert first.status_code == 201 and first.json()["at"]
    notes = console.incident(incident)["notes"]
    assert [(n["author"], n["text"]) for n in notes] == [
        ("aiko", "beacon every 60 s"), ("ken", "same host seen last week")]
    assert [e[0] for e in audit(console) if e[1] == "incident.note"] == ["aiko", "ken"]


def test_empty_note_is_422(console: Any, incident: int) -> None:
    assert console.act(incident, "notes", {"text": ""}).status_code == 422


def test_suppress_for_the_source_creates_the_override_and_resolves_as_fp(
        console: Any, incident: int) -> None:
    answer = console.act(incident, "suppress", {"scope": "source", "reason": "backup server"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["incident"]["state"] == "resolved_fp"
    assert body["override"] == {"kind": "suppress", "gid": 1, "sid": 2019401, "track": "by_src",
                                "ip": "192.168.1.23", "type": None, "count": None,
                                "seconds": None}
    state: AppState = console.app.state.collector
    with state.database.session() as session:
        [override] = active_overrides(session, "tanaka-kogyo")
        assert (override.id, override.created_by, override.reason) == (
            body["override_id"], "aiko", "backup server")
        assert active_overrides(session, "suzuki-shoten") == []
    [entry] = [e for e in audit(console) if e[1] == "incident.suppress"]
    assert entry[3] == "tanaka-kogyo"
    assert (entry[4]["override_id"], entry[4]["from"], entry[4]["to"]) == (
        body["override_id"], "new", "resolved_fp")


def test_suppress_the_whole_rule(console: Any, incident: int) -> None:
    override = console.act(incident, "suppress", {"scope": "rule"}).json()["override"]
    assert (override["kind"], override["sid"], override["track"], override["ip"]) == (
        "suppress", 2019401, None, None)


def test_suppress_with_a_threshold(console: Any, incident: int) -> None:
    body = {"scope": "threshold", "type": "limit", "track": "by_dst", "count": 1,
            "seconds": 3600}
    override = console.act(incident, "suppress", body).json()["override"]
    assert override == {"kind": "threshold", "gid": 1, "sid": 2019401, "track": "by_dst",
                        "ip": None, "type": "limit", "count": 1, "seconds": 3600}


def test_threshold_without_a_rate_is_422_and_creates_nothing(console: Any,
                                                               incident: int) -> None:
    answer = console.act(incident, "suppress", {"scope": "threshold", "count": 5})
    assert answer.status_code == 422
    assert "count and seconds" in answer.json()["error"]
    assert console.incident(incident)["incident"]["state"] == "new"


def test_suppressing_a_resolved_incident_is_409_and_adds_no_override(console: Any,
                                                                      incident: int) -> None:
    console.act(incident, "state", {"state": "resolved_tp"})
    assert console.act(incident, "suppress", {"scope": "rule"}).status_code == 409
    state: AppState = console.app.state.collector
    with state.database.session() as session:
        assert active_overrides(session, "tanaka-kogyo") == []


def test_actions_on_an_unknown_incident_are_404(console: Any) -> None:
    for action, body in (("state", {"state": "acknowledged"}), ("assign", {"assignee": "x"}),
                         ("notes", {"text": "x"}), ("suppress", {"scope": "rule"})):
        assert console.act(424242, action, body).status_code == 404


def notices(console: Any) -> list[tuple[str, int | None, str | None]]:
    return [(n.kind, n.incident_id, n.tenant) for n in notice_rows(console.app)]


def test_escalation_notifies_the_tenants_contacts_and_so_does_its_resolution(
        console: Any, incident: int) -> None:
    # Loopback, closed port: the delivery worker's attempts go nowhere.
    add_contact(console.app, "json://127.0.0.1:9/yamori-test", tenant="tanaka-kogyo")
    add_contact(console.app, "json://127.0.0.1:9/yamori-test", tenant="suzuki-shoten")
    console.act(incident, "state", {"state": "escalated"})
    assert console.incident(incident)["incident"]["escalated_at"] is not None
    assert notices(console) == [("escalated", incident, "tanaka-kogyo")]
    # The notice links to the customer's own view of this incident.
    (escalated,) = notice_rows(console.app)
    assert json.loads(escalated.payload)["url"] == f"/my#incident-{incident}"
    console.act(incident, "state", {"state": "resolved_tp"})
    assert notices(console) == [("escalated", incident, "tanaka-kogyo"),
                                ("resolved", incident, "tanaka-kogyo")]


def test_resolving_an_incident_never_escalated_tells_nobody(console: Any,
                                                            incident: int) -> None:
    add_contact(console.app, "json://127.0.0.1:9/yamori-test", tenant="tanaka-kogyo")
    console.act(incident, "state", {"state": "acknowledged"})
    console.act(incident, "suppress", {"scope": "rule"})
    assert notices(console) == []
