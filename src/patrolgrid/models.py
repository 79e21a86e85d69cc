"""Every table, imported in one place so that Alembic sees the whole schema."""

from patrolgrid.core.audit import AuditEntry
from patrolgrid.core.auth.models import AuthToken, User
from patrolgrid.core.db import Base
from patrolgrid.org.models import Brigade, Person, Squadron

metadata = Base.metadata

__all__ = ["AuditEntry", "AuthToken", "Brigade", "Person", "Squadron", "User", "metadata"]
