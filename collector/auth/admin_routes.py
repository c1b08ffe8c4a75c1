"""The admin API for accounts and the audit log: /api/v1/users, /api/v1/audit.

Owns: listing and creating users, changing one (role, tenant, disabled,
language, password reset), each change committed together with its audit
entry; and reading the audit log. Admins only (a session admin or the admin
bearer token); analysts and customers get 403. Does not own: the account
rules (users.py) or the audit table (collector/audit.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from collector.api.deps import SessionDep
from collector.audit import audit_entries, record_audit
from collector.auth.deps import AdminUser
from collector.auth.schemas import AuditPublic, UserCreate, UserPublic, UserUpdate
from collector.auth.users import create_user, get_user, list_users, update_user
from yamori.errors import IngestError

router = APIRouter(prefix="/api/v1", tags=["accounts"])
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


@router.get("/users")
def users(admin: AdminUser, db: SessionDep) -> dict[str, list[UserPublic]]:
    """Every console account, by username."""
    return {"users": [UserPublic.of(user) for user in list_users(db)]}


@router.post("/users", status_code=201)
def add_user(body: UserCreate, admin: AdminUser, db: SessionDep) -> UserPublic:
    """Create an account; audited as user.create."""
    user = create_user(db, body.username, body.password, body.role, body.tenant, body.language)
    record_audit(db, admin.username, "user.create", f"user:{user.username}",
                 {"role": user.role, "tenant": user.tenant, "language": user.language},
                 tenant=user.tenant)
    db.commit()
    return UserPublic.of(user)


@router.patch("/users/{username}")
def change_user(username: str, body: UserUpdate, admin: AdminUser, db: SessionDep) -> UserPublic:
    """Change role, tenant, disabled, language or password; audited as user.update."""
    user = get_user(db, username)
    if user is None:
        raise IngestError(f"no user '{username}'", 404)
    changed = update_user(db, user, body.changes())
    record_audit(db, admin.username, "user.update", f"user:{user.username}", changed,
                 tenant=user.tenant)
    db.commit()
    return UserPublic.of(user)


@router.get("/audit")
def audit(admin: AdminUser, db: SessionDep,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
          tenant: Annotated[str | None, Query(max_length=128, pattern=PRINTABLE)] = None,
          ) -> dict[str, Any]:
    """Newest first; page with `before_id` = the previous answer's next_before_id."""
    entries = audit_entries(db, tenant, limit, before_id)
    next_before = entries[-1].id if len(entries) == limit else None
    return {"entries": [AuditPublic.of(entry) for entry in entries],
            "next_before_id": next_before}
