"""Triage actions on one incident: change state, assign, note, suppress.

Owns: performing each action and writing its audit entry in the same
transaction (`record_audit`), then committing. A state change is a
conditional UPDATE (only from the state the analyst saw), so two analysts
acting at once cannot both move it: the second gets 409. Escalating queues
the customer's notices, and resolving an escalated incident tells them it
is closed (collector/notify, in the same transaction). Suppression turns
the incident into a per-tenant override (collector/overrides.py, delivered
to the tenant's boxes with the ruleset) and resolves it as a false positive.
Does not own: who may act (routes.py: staff only), the state machine
(states.py) or sending notices.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from collector.audit import record_audit
from collector.incidents.models import Incident, IncidentNote
from collector.incidents.schemas import SuppressRequest
from collector.incidents.states import RESOLVED_STATES, check_transition
from collector.notify.api import IncidentKind, IncidentNotice, enqueue_incident_notice
from collector.overrides import TenantOverride, add_override
from uplink.schema import RuleOverride
from yamori.errors import IngestError


def target(incident: Incident) -> str:
    return f"incident:{incident.id}"


def change_state(session: Session, incident: Incident, state: str, actor: str,
                 note: str | None = None, now: datetime | None = None) -> None:
    """Move the incident to `state` (409 if not allowed from its current state); commits."""
    when = now or datetime.now(UTC)
    before = incident.state
    _move(session, incident, state, when)
    _tell_customer(session, incident, actor, when)
    detail: dict[str, object] = {"from": before, "to": incident.state}
    if note is not None:
        _add_note(session, incident, actor, note, when)
        detail["note"] = note
    record_audit(session, actor, "incident.state", target(incident), detail,
                 tenant=incident.tenant, now=when)
    session.commit()


def assign(session: Session, incident: Incident, assignee: str | None, actor: str,
           now: datetime | None = None) -> None:
    """Assign the incident to `assignee` (None: unassign); commits."""
    when = now or datetime.now(UTC)
    before = incident.assignee
    incident.assignee, incident.updated_at = assignee, when
    record_audit(session, actor, "incident.assign", target(incident),
                 {"from": before, "to": assignee}, tenant=incident.tenant, now=when)
    session.commit()


def add_note(session: Session, incident: Incident, author: str, text: str,
             now: datetime | None = None) -> IncidentNote:
    """Add a note by `author`; commits."""
    when = now or datetime.now(UTC)
    note = _add_note(session, incident, author, text, when)
    record_audit(session, author, "incident.note", target(incident), {"note_id": note.id},
                 tenant=incident.tenant, now=when)
    session.commit()
    return note


def suppress(session: Session, incident: Incident, request: SuppressRequest, actor: str,
             now: datetime | None = None) -> TenantOverride:
    """Create the tenant override `request` describes and resolve the incident as FP; commits."""
    when = now or datetime.now(UTC)
    if incident.state in RESOLVED_STATES:
        raise IngestError(f"incident {incident.id} is already {incident.state}", 409)
    before = incident.state
    reason = request.reason or f"suppressed from incident {incident.id} ({incident.signature})"
    override = add_override(session, incident.tenant, override_for(incident, request), actor,
                            reason=reason, now=when)
    _move(session, incident, "resolved_fp", when)
    _tell_customer(session, incident, actor, when)
    record_audit(session, actor, "incident.suppress", target(incident), {
        "override_id": override.id, "override": override.to_wire().model_dump(exclude_none=True),
        "from": before, "to": incident.state, "reason": reason,
    }, tenant=incident.tenant, now=when)
    session.commit()
    return override


def override_for(incident: Incident, request: SuppressRequest) -> RuleOverride:
    """The threshold.config entry `request` asks for, for the incident's rule."""
    fields: dict[str, object] = {"gid": incident.gid, "sid": incident.signature_id}
    if request.scope == "source":
        fields.update(kind="suppress", track="by_src", ip=incident.src_ip)
    elif request.scope == "rule":
        fields.update(kind="suppress")
    else:
        fields.update(kind="threshold", type=request.type, track=request.track,
                      count=request.count, seconds=request.seconds)
    try:
        return RuleOverride.model_validate(fields)
    except ValidationError as exc:
        raise IngestError(f"cannot suppress this incident's rule: {exc.errors()[0]['msg']}",
                          422) from exc


def _move(session: Session, incident: Incident, state: str, when: datetime) -> None:
    new_state = check_transition(incident.state, state)
    resolved_at = when if new_state in RESOLVED_STATES else None
    moved = session.execute(
        update(Incident)
        .where(Incident.id == incident.id, Incident.state == incident.state)
        .values(state=new_state, resolved_at=resolved_at, updated_at=when)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise IngestError(f"incident {incident.id} was changed meanwhile; reload it", 409)
    session.refresh(incident)


def _tell_customer(session: Session, incident: Incident, actor: str, when: datetime) -> None:
    """Escalation notices, and the resolution of an escalated incident, to the tenant's contacts."""
    kind: IncidentKind
    if incident.state == "escalated":
        kind = "escalated"
        incident.escalated_at = incident.escalated_at or when
    elif incident.state in RESOLVED_STATES and incident.escalated_at is not None:
        kind = "resolved"
    else:
        return
    notice = IncidentNotice(
        incident_id=incident.id, tenant=incident.tenant, signature=incident.signature,
        category=incident.category, gid=incident.gid, sid=incident.signature_id,
        severity=incident.severity, src_ip=incident.src_ip, dest_ip=incident.dest_ip,
        internal_host=None, count=incident.count,
        first_seen=datetime.fromtimestamp(incident.first_seen, UTC),
        last_seen=datetime.fromtimestamp(incident.last_seen, UTC),
        # The customer's own view; the notifier joins it to console_base_url.
        url=f"/my#incident-{incident.id}")
    enqueue_incident_notice(session, notice, kind, actor, now=when)


def _add_note(session: Session, incident: Incident, author: str, text: str,
              when: datetime) -> IncidentNote:
    note = IncidentNote(incident_id=incident.id, author=author, at=when, text=text)
    session.add(note)
    session.flush()
    return note
