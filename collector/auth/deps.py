"""Request dependencies for console users (interface; sessions land with issue 7's auth work).

`CurrentUser` is the authenticated Principal (401 without a valid session),
`StaffUser` admits admins and analysts, `AdminUser` admins only. Routes
depend on these; tests may override `current_user` through
`app.dependency_overrides`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from collector.auth.principal import Principal
from yamori.errors import IngestError


def current_user(request: Request) -> Principal:
    """The signed-in user; replaced by the session-backed implementation."""
    raise IngestError("sign in required", 401)


CurrentUser = Annotated[Principal, Depends(current_user)]


def staff_user(user: CurrentUser) -> Principal:
    if not user.is_staff:
        raise IngestError("analysts and admins only", 403)
    return user


def admin_user(user: CurrentUser) -> Principal:
    if user.role != "admin":
        raise IngestError("admins only", 403)
    return user


StaffUser = Annotated[Principal, Depends(staff_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
