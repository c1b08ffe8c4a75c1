"""The notifier's HTTP API: contacts, the test button, the delivery log (and dispatches).

Owns: /api/v1/tenants/{tenant}/contacts (staff manage; a customer viewer may
only read their own tenant's list, URLs masked as for everyone),
/api/v1/operator-contacts (admins only), POST …/{id}/test (a test notice sent
now through the delivery path, answering how it went) and GET
/api/v1/notices (notices with every attempt). Every change is audited with
`record_audit` in its own transaction. The dispatch routes live in
dispatch_routes.py and are included here, so main.py includes one router.
Does not own: the queries (contacts.py, history.py) or sending (deliver.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from collector.api.deps import RowId, SessionDep, StateDep
from collector.audit import record_audit
from collector.auth.deps import AdminUser, CurrentUser, StaffUser
from collector.notify import dispatch_routes
from collector.notify.contacts import (
    create_contact,
    delete_contact,
    get_contact,
    list_contacts,
    public_contact,
    update_contact,
)
from collector.notify.deliver import send_test_notice
from collector.notify.history import NoticeFilter, notice_log, notice_with_attempts
from collector.notify.models import NOTICE_KINDS, NOTICE_STATES
from collector.notify.schemas import (
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    NoticePage,
    TestNoticeResult,
)
from collector.notify.settings import NotifySettings
from collector.state import AppState
from yamori.errors import IngestError

router = APIRouter(tags=["notices"])
router.include_router(dispatch_routes.router)
TENANT = "/api/v1/tenants/{tenant}/contacts"
OPERATORS = "/api/v1/operator-contacts"
State = Literal["pending", "sent", "failed", "cancelled"]
assert set(State.__args__) == set(NOTICE_STATES)  # type: ignore[attr-defined]


def _now() -> datetime:
    return datetime.now(UTC)


# --- tenant contacts ----------------------------------------------------------

@router.get(TENANT, response_model=list[ContactPublic])
def tenant_contacts(tenant: str, user: CurrentUser, session: SessionDep) -> list[ContactPublic]:
    """The tenant's contacts (URLs masked); a customer viewer sees only their own tenant's."""
    if not user.can_see(tenant):
        raise IngestError("not your tenant", 403)
    return [public_contact(c) for c in list_contacts(session, tenant)]


@router.post(TENANT, response_model=ContactPublic, status_code=201)
def add_tenant_contact(tenant: str, body: ContactCreate, user: StaffUser, session: SessionDep,
                       state: StateDep) -> ContactPublic:
    """Add a contact to the tenant (its apprise URL is checked first)."""
    return _create(session, state, tenant, body, user.username)


@router.get(TENANT + "/{contact_id}", response_model=ContactPublic)
def tenant_contact(tenant: str, contact_id: RowId, _user: StaffUser,
                   session: SessionDep) -> ContactPublic:
    return public_contact(get_contact(session, contact_id, tenant))


@router.patch(TENANT + "/{contact_id}", response_model=ContactPublic)
def change_tenant_contact(tenant: str, contact_id: RowId, body: ContactUpdate, user: StaffUser,
                          session: SessionDep) -> ContactPublic:
    """Change the fields given; `quiet_hours: null` removes the window."""
    return _update(session, tenant, contact_id, body, user.username)


@router.delete(TENANT + "/{contact_id}")
def remove_tenant_contact(tenant: str, contact_id: RowId, user: StaffUser,
                          session: SessionDep) -> dict[str, Any]:
    """Retire the contact (kept for the delivery log); its waiting notices are cancelled."""
    return _delete(session, tenant, contact_id, user.username)


@router.post(TENANT + "/{contact_id}/test", response_model=TestNoticeResult)
def test_tenant_contact(tenant: str, contact_id: RowId, user: StaffUser,
                        state: StateDep) -> TestNoticeResult:
    """Send a test notice now through the delivery path; answers how the attempt went."""
    return _test(state, tenant, contact_id, user.username)


# --- operator contacts (the vendor's operators: tenant NULL) ----------------------

@router.get(OPERATORS, response_model=list[ContactPublic])
def operator_contacts(_user: AdminUser, session: SessionDep) -> list[ContactPublic]:
    return [public_contact(c) for c in list_contacts(session, None)]


@router.post(OPERATORS, response_model=ContactPublic, status_code=201)
def add_operator_contact(body: ContactCreate, user: AdminUser, session: SessionDep,
                         state: StateDep) -> ContactPublic:
    """Add an operator contact: sensor-offline notices reach it at once."""
    return _create(session, state, None, body, user.username)


@router.get(OPERATORS + "/{contact_id}", response_model=ContactPublic)
def operator_contact(contact_id: RowId, _user: AdminUser, session: SessionDep) -> ContactPublic:
    return public_contact(get_contact(session, contact_id, None))


@router.patch(OPERATORS + "/{contact_id}", response_model=ContactPublic)
def change_operator_contact(contact_id: RowId, body: ContactUpdate, user: AdminUser,
                            session: SessionDep) -> ContactPublic:
    return _update(session, None, contact_id, body, user.username)


@router.delete(OPERATORS + "/{contact_id}")
def remove_operator_contact(contact_id: RowId, user: AdminUser,
                            session: SessionDep) -> dict[str, Any]:
    return _delete(session, None, contact_id, user.username)


@router.post(OPERATORS + "/{contact_id}/test", response_model=TestNoticeResult)
def test_operator_contact(contact_id: RowId, user: AdminUser,
                          state: StateDep) -> TestNoticeResult:
    return _test(state, None, contact_id, user.username)


# --- the delivery log ----------------------------------------------------------------

@router.get("/api/v1/notices", response_model=NoticePage)
def notices(
    _user: StaffUser, session: SessionDep,
    tenant: Annotated[str | None, Query(description="only this tenant's notices")] = None,
    incident_id: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    state: Annotated[State | None, Query(description="pending, sent, failed, cancelled")] = None,
    kind: Annotated[str | None, Query(description=", ".join(NOTICE_KINDS))] = None,
    contact_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="paging cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> NoticePage:
    """Notices newest first, each with every delivery attempt (time, result, error, status)."""
    if kind is not None and kind not in NOTICE_KINDS:
        raise IngestError(f"kind: one of {', '.join(NOTICE_KINDS)}", 422)
    flt = NoticeFilter(tenant=tenant, incident_id=incident_id, state=state, kind=kind,
                       contact_id=contact_id, before_id=before_id)
    return notice_log(session, flt, limit)


# --- shared steps --------------------------------------------------------------------

def _target(tenant: str | None, contact_id: int) -> tuple[str, str]:
    return ("contact" if tenant else "operator-contact"), f"contact:{contact_id}"


def _create(session: SessionDep, state: AppState, tenant: str | None, body: ContactCreate,
            actor: str) -> ContactPublic:
    now = _now()
    contact = create_contact(session, tenant, body, actor, state.config.notify_timezone, now)
    public = public_contact(contact)
    prefix, target = _target(tenant, contact.id)
    record_audit(session, actor, f"{prefix}.create", target,
                 {"name": public.name, "kind": public.kind, "url": public.url},
                 tenant=tenant, now=now)
    session.commit()
    return public


def _update(session: SessionDep, tenant: str | None, contact_id: int, body: ContactUpdate,
            actor: str) -> ContactPublic:
    now = _now()
    contact = get_contact(session, contact_id, tenant)
    changed = update_contact(session, contact, body, now)
    public = public_contact(contact)
    prefix, target = _target(tenant, contact_id)
    record_audit(session, actor, f"{prefix}.update", target,
                 {"fields": changed, "url": public.url}, tenant=tenant, now=now)
    session.commit()
    return public


def _delete(session: SessionDep, tenant: str | None, contact_id: int,
            actor: str) -> dict[str, Any]:
    now = _now()
    contact = get_contact(session, contact_id, tenant)
    cancelled = delete_contact(session, contact, now)
    prefix, target = _target(tenant, contact_id)
    record_audit(session, actor, f"{prefix}.delete", target,
                 {"name": contact.name, "cancelled_notices": cancelled}, tenant=tenant, now=now)
    session.commit()
    return {"deleted": contact_id, "cancelled_notices": cancelled}


def _test(state: AppState, tenant: str | None, contact_id: int,
          actor: str) -> TestNoticeResult:
    sent = send_test_notice(state.database, contact_id, tenant, actor,
                            NotifySettings.from_config(state.config))
    with state.database.session() as session:
        notice = notice_with_attempts(session, sent.notice_id)
    assert notice is not None
    last = notice.deliveries[-1] if notice.deliveries else None
    return TestNoticeResult(ok=notice.state == "sent", error=last.error if last else
                            notice.last_error, http_status=last.http_status if last else None,
                            notice=notice)
