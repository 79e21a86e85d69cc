"""Every table, imported in one place so that Alembic sees the whole schema."""

from patrolgrid.core.audit import AuditEntry
from patrolgrid.core.auth.models import AuthToken, User
from patrolgrid.core.db import Base
from patrolgrid.org.models import Brigade, Person, Squadron
from patrolgrid.roads.models import Area, Road, RoadNetwork, RoadNode, RoadSegment
from patrolgrid.tracking.models import Alarm, Device, PersonState, Position

metadata = Base.metadata

__all__ = [
    "Alarm",
    "Area",
    "AuditEntry",
    "AuthToken",
    "Brigade",
    "Device",
    "Person",
    "PersonState",
    "Position",
    "Road",
    "RoadNetwork",
    "RoadNode",
    "RoadSegment",
    "Squadron",
    "User",
    "metadata",
]
