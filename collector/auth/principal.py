"""Who is asking: the authenticated console user as every query sees them.

Owns: `Principal` (username, role, tenant, language) and the tenant rule every
query applies: admins and analysts see every tenant, a customer viewer sees
exactly one. Does not own: how a principal is authenticated (deps.py) or stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "analyst", "customer"]
ROLES: tuple[Role, ...] = ("admin", "analyst", "customer")


@dataclass(slots=True, frozen=True)
class Principal:
    """An authenticated console user."""

    username: str
    role: Role
    tenant: str | None = None  # set (and only set) for customer viewers
    lang: str = "ja"

    @property
    def is_staff(self) -> bool:
        """Vendor side (admin or analyst): sees all tenants."""
        return self.role in ("admin", "analyst")

    def tenant_scope(self) -> str | None:
        """The one tenant this user is limited to, or None for all tenants."""
        return None if self.is_staff else self.tenant

    def can_see(self, tenant: str) -> bool:
        return self.is_staff or tenant == self.tenant
