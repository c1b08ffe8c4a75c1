"""Contacts: who hears about a tenant's incidents, and the vendor's operators (tenant NULL).

Owns: creating, changing, listing and (softly) deleting contacts — the URL is
checked with apprise and its kind derived from it, quiet hours and time zone
checked — and the public, masked form. Deleting keeps the row for the
delivery log and cancels its notices still waiting. Does not own: HTTP
(routes.py) or who may do what (the routes' dependencies).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from collector.fleet.liveness import as_utc
from collector.notify.channels import describe, mask
from collector.notify.models import PENDING, Contact, Notice
from collector.notify.queue import cancel_pending
from collector.notify.quiet import parse_hhmm, zone
from collector.notify.schemas import ContactCreate, ContactPublic, ContactUpdate, QuietHours
from yamori.errors import IngestError


def create_contact(session: Session, tenant: str | None, body: ContactCreate, actor: str,
                   default_tz: str, now: datetime) -> Contact:
    """Add a contact (tenant None: an operator contact); the caller commits."""
    channel = describe(body.url)
    timezone = _checked_zone(body.timezone or default_tz)
    start, end = _checked_quiet(body.quiet_hours)
    contact = Contact(tenant=tenant, name=body.name.strip(), kind=channel.kind,
                      url=body.url.strip(), lang=body.lang, min_severity=body.min_severity,
                      quiet_start=start, quiet_end=end, timezone=timezone,
                      enabled=body.enabled, created_by=actor, created_at=now, updated_at=now)
    session.add(contact)
    session.flush()
    return contact


def update_contact(session: Session, contact: Contact, body: ContactUpdate,
                   now: datetime) -> list[str]:
    """Apply the fields `body` sets; returns their names (the caller audits and commits)."""
    given = body.model_fields_set
    if "url" in given and body.url is not None:
        contact.kind, contact.url = describe(body.url).kind, body.url.strip()
    if "quiet_hours" in given:
        contact.quiet_start, contact.quiet_end = _checked_quiet(body.quiet_hours)
    if "timezone" in given and body.timezone is not None:
        contact.timezone = _checked_zone(body.timezone)
    for field in ("name", "lang", "min_severity", "enabled"):
        value = getattr(body, field)
        if field in given and value is not None:
            setattr(contact, field, value.strip() if isinstance(value, str) else value)
    contact.updated_at = now
    return sorted(given)


def delete_contact(session: Session, contact: Contact, now: datetime) -> int:
    """Retire `contact` and cancel its waiting notices; returns how many were cancelled."""
    contact.deleted_at = contact.updated_at = now
    contact.enabled = False
    waiting = list(session.scalars(select(Notice.id).where(Notice.contact_id == contact.id,
                                                           Notice.state == PENDING)))
    return cancel_pending(session, waiting, now, "contact deleted")


def get_contact(session: Session, contact_id: int, tenant: str | None) -> Contact:
    """The live contact `contact_id` of `tenant` (None: operators); 404 otherwise."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.deleted_at is not None or contact.tenant != tenant:
        raise IngestError(f"no contact {contact_id}" + (f" for tenant '{tenant}'"
                                                        if tenant else " among operators"), 404)
    return contact


def list_contacts(session: Session, tenant: str | None) -> list[Contact]:
    """The live contacts of `tenant` (None: operators), oldest first."""
    query = select(Contact).where(_of(tenant), Contact.deleted_at.is_(None)).order_by(Contact.id)
    return list(session.scalars(query))


def active_contacts(session: Session, tenant: str | None) -> list[Contact]:
    """The contacts notices go to: live and enabled."""
    return [c for c in list_contacts(session, tenant) if c.enabled]


def public_contact(contact: Contact) -> ContactPublic:
    """The contact as the API shows it, its URL masked."""
    quiet = (QuietHours(start=contact.quiet_start, end=contact.quiet_end)
             if contact.quiet_start and contact.quiet_end else None)
    return ContactPublic(
        id=contact.id, tenant=contact.tenant, name=contact.name, kind=contact.kind,
        url=mask(contact.url), lang=contact.lang, min_severity=contact.min_severity,
        quiet_hours=quiet, timezone=contact.timezone, enabled=contact.enabled,
        created_by=contact.created_by, created_at=as_utc(contact.created_at),
        updated_at=as_utc(contact.updated_at))


def _of(tenant: str | None) -> ColumnElement[bool]:
    return Contact.tenant.is_(None) if tenant is None else Contact.tenant == tenant


def _checked_zone(name: str) -> str:
    zone(name)
    return name


def _checked_quiet(quiet: QuietHours | None) -> tuple[str | None, str | None]:
    if quiet is None:
        return None, None
    if parse_hhmm(quiet.start, "quiet_hours.start") == parse_hhmm(quiet.end,
                                                                   "quiet_hours.end"):
        raise IngestError("quiet_hours: start and end must differ", 422)
    return quiet.start, quiet.end
