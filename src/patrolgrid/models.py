"""Every table, imported in one place so that Alembic sees the whole schema."""

from patrolgrid.cameras.models import Camera
from patrolgrid.command.models import (
    CommandGroup,
    GroupMember,
    GroupMessage,
    SosAlert,
    SosResponder,
    VideoSession,
)
from patrolgrid.core.audit import AuditEntry
from patrolgrid.core.auth.models import AuthToken, User
from patrolgrid.core.db import Base
from patrolgrid.incidents.models import Assignment, Incident, IncidentEvent, IncidentPhoto
from patrolgrid.org.models import Brigade, Person, Squadron
from patrolgrid.roads.models import Area, Road, RoadNetwork, RoadNode, RoadSegment
from patrolgrid.sms.models import SmsMessage
from patrolgrid.tracking.models import Alarm, Device, PersonState, Position

metadata = Base.metadata

__all__ = [
    "Alarm",
    "Area",
    "Assignment",
    "AuditEntry",
    "AuthToken",
    "Brigade",
    "Camera",
    "CommandGroup",
    "Device",
    "GroupMember",
    "GroupMessage",
    "Incident",
    "IncidentEvent",
    "IncidentPhoto",
    "Person",
    "PersonState",
    "Position",
    "Road",
    "RoadNetwork",
    "RoadNode",
    "RoadSegment",
    "SmsMessage",
    "SosAlert",
    "SosResponder",
    "Squadron",
    "User",
    "VideoSession",
    "metadata",
]
