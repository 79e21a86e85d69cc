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
from patrolgrid.duty.models import DutyAlert, DutyPost, DutyShift, RosterEntry
from patrolgrid.grids.models import (
    Accident,
    AreaFigures,
    DesignJob,
    GridPlan,
    GridSettings,
    PlanGrid,
    PlanUnit,
    Territory,
    UnitRating,
)
from patrolgrid.incidents.models import Assignment, Incident, IncidentEvent, IncidentPhoto
from patrolgrid.org.models import Brigade, Person, Squadron
from patrolgrid.roads.models import Area, Road, RoadNetwork, RoadNode, RoadSegment
from patrolgrid.sms.models import SmsMessage
from patrolgrid.tracking.models import Alarm, Device, PersonState, Position

metadata = Base.metadata

__all__ = [
    "Accident",
    "Alarm",
    "Area",
    "AreaFigures",
    "Assignment",
    "AuditEntry",
    "AuthToken",
    "Brigade",
    "Camera",
    "CommandGroup",
    "DesignJob",
    "Device",
    "DutyAlert",
    "DutyPost",
    "DutyShift",
    "GridPlan",
    "GridSettings",
    "GroupMember",
    "GroupMessage",
    "Incident",
    "IncidentEvent",
    "IncidentPhoto",
    "Person",
    "PersonState",
    "PlanGrid",
    "PlanUnit",
    "Position",
    "Road",
    "RoadNetwork",
    "RoadNode",
    "RoadSegment",
    "RosterEntry",
    "SmsMessage",
    "SosAlert",
    "SosResponder",
    "Squadron",
    "Territory",
    "UnitRating",
    "User",
    "VideoSession",
    "metadata",
]
