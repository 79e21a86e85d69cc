"""Authentication, roles and permissions."""

from patrolgrid.core.auth.deps import public, requires
from patrolgrid.core.auth.principal import Principal
from patrolgrid.core.auth.roles import Perm, Role

__all__ = ["Perm", "Principal", "Role", "public", "requires"]
