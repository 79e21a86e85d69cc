"""Who is making a request, resolved once per request from the cookie or bearer token."""

from __future__ import annotations

from dataclasses import dataclass

from patrolgrid.core.audit import Actor
from patrolgrid.core.auth.roles import ROLE_PERMISSIONS, Perm, Role


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: Role
    token_id: int
    ip: str | None

    @property
    def permissions(self) -> frozenset[Perm]:
        return ROLE_PERMISSIONS[self.role]

    def can(self, perm: Perm) -> bool:
        return perm in self.permissions

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, name=self.username, ip=self.ip)
