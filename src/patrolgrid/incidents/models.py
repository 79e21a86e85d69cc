"""Incidents (警情) and their dispatch: who was sent, what they did and when, and the timeline.

An incident moves 待派 new → 已派 dispatched → 已接 accepted → 出警 en route → 到场 on scene →
处置完毕 handled → 结案 closed (or 已撤销 cancelled). Each person sent gets an assignment with
its own progress; the incident's status is the furthest any live assignment has got.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import IntEnum, StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from patrolgrid.core.db import Base, RowId, UTCDateTime, utcnow
from patrolgrid.core.errors import LocalizedValueError


class IncidentSource(StrEnum):
    camera = "camera"  # 视频发现
    hotline = "hotline"  # 电话报警
    officer = "officer"  # 民警上报
    transfer_110 = "transfer_110"  # 110 转警
    citizen = "citizen"  # 群众求助


class IncidentType(StrEnum):
    congestion = "congestion"  # 拥堵
    accident = "accident"  # 事故
    illegal_parking = "illegal_parking"  # 违停
    blocking = "blocking"  # 占道/堵路
    assistance = "assistance"  # 求助
    other = "other"  # 其他


class Priority(IntEnum):
    urgent = 1  # 紧急
    high = 2  # 较急
    normal = 3  # 一般


class IncidentStatus(StrEnum):
    new = "new"  # 待派
    dispatched = "dispatched"  # 已派
    accepted = "accepted"  # 已接
    en_route = "en_route"  # 出警
    on_scene = "on_scene"  # 到场
    handled = "handled"  # 处置完毕
    closed = "closed"  # 结案
    cancelled = "cancelled"  # 已撤销


class AssignmentStatus(StrEnum):
    dispatched = "dispatched"
    accepted = "accepted"
    en_route = "en_route"
    on_scene = "on_scene"
    handled = "handled"
    declined = "declined"  # by the officer
    withdrawn = "withdrawn"  # by the operator (reassigned, cancelled, or the incident closed)


# How far each status has got, so that an incident shows its most advanced live assignment.
PROGRESS: dict[str, int] = {
    AssignmentStatus.dispatched: 1,
    AssignmentStatus.accepted: 2,
    AssignmentStatus.en_route: 3,
    AssignmentStatus.on_scene: 4,
    AssignmentStatus.handled: 5,
}
LIVE = frozenset(
    {
        AssignmentStatus.dispatched,
        AssignmentStatus.accepted,
        AssignmentStatus.en_route,
        AssignmentStatus.on_scene,
    }
)
FINISHED = frozenset({IncidentStatus.closed, IncidentStatus.cancelled})
# Incident codes and daily metrics follow the local calendar day (China Standard Time).
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True, default="")
    source: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer, default=Priority.normal.value)
    status: Mapped[str] = mapped_column(String(12), default=IncidentStatus.new.value)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    # The road the location was snapped to (None when no network is loaded or none is near).
    road_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    road_segment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    road_distance_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    caller_name: Mapped[str] = mapped_column(String(50), default="")
    caller_phone: Mapped[str] = mapped_column(String(20), default="")
    camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="SET NULL"), nullable=True
    )
    squadron_id: Mapped[int | None] = mapped_column(
        ForeignKey("squadrons.id", ondelete="SET NULL"), nullable=True, index=True
    )
    reporter_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The first time each step was reached: the response-time metrics are read from these.
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="")  # handling note or cancel reason
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Assignment(Base):
    """One person sent to one incident, with that person's own progress."""

    __tablename__ = "incident_assignments"
    __table_args__ = (
        Index("ix_assignments_person_status", "person_id", "status"),
        Index("ix_assignments_status_due", "status", "accept_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    support: Mapped[bool] = mapped_column(default=False)  # 增援: sent in addition to the first
    status: Mapped[str] = mapped_column(String(12), default=AssignmentStatus.dispatched.value)
    dispatched_by: Mapped[str] = mapped_column(String(64))
    dispatched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    accept_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    timeout_alerted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    eta_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    distance_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    en_route_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    arrived_how: Mapped[str | None] = mapped_column(String(8), nullable=True)  # auto | button
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(String(500), default="")
    # The person's tracking status before accepting; given back when the assignment ends.
    status_before: Mapped[str | None] = mapped_column(String(12), nullable=True)


class IncidentEvent(Base):
    """The incident's timeline: every step, who took it and when."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    person_name: Mapped[str | None] = mapped_column(String(50), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class IncidentPhoto(Base):
    __tablename__ = "incident_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(10))  # report | handling
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- API schemas -----------------------------------------------------------------------------

_PHONE = re.compile(r"^\+?[0-9][0-9\-]{2,19}$")


def _finite_coordinate(value: float | None, low: float, high: float, what: str) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not low <= value <= high:
        raise LocalizedValueError(
            f"incidents.bad_{what}",
            f"{'经度' if what == 'lon' else '纬度'}应在 {low}…{high} 之间",
            f"{'Longitude' if what == 'lon' else 'Latitude'} must be within {low}…{high}",
        )
    return value


class _Place(BaseModel):
    """An optional map point: both coordinates or neither."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    lon: float | None = None
    lat: float | None = None

    @field_validator("lon")
    @classmethod
    def _lon(cls, value: float | None) -> float | None:
        return _finite_coordinate(value, -180, 180, "lon")

    @field_validator("lat")
    @classmethod
    def _lat(cls, value: float | None) -> float | None:
        return _finite_coordinate(value, -90, 90, "lat")

    @model_validator(mode="after")
    def _both_or_neither(self) -> _Place:
        if (self.lon is None) != (self.lat is None):
            raise LocalizedValueError(
                "incidents.half_position",
                "经度和纬度须同时给出",
                "Give both longitude and latitude",
            )
        return self


class IncidentIn(_Place):
    """A new incident from the console. The place is a map point, or the camera's position."""

    source: IncidentSource
    type: IncidentType
    priority: Priority = Priority.normal
    camera_id: RowId | None = None
    address: str = Field("", max_length=200)
    description: str = Field("", max_length=2000)
    caller_name: str = Field("", max_length=50)
    caller_phone: str = Field("", max_length=20)
    squadron_id: RowId | None = None

    @field_validator("caller_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = re.sub(r"\s", "", value)
        if value and not _PHONE.match(value):
            raise LocalizedValueError(
                "incidents.bad_phone", "电话号码格式不正确", "Not a valid phone number"
            )
        return value

    @model_validator(mode="after")
    def _somewhere(self) -> IncidentIn:
        if self.lon is None and self.camera_id is None:
            raise LocalizedValueError(
                "incidents.no_place",
                "请在地图上选择位置或选择摄像头",
                "Choose a place on the map or a camera",
            )
        return self


class OfficerReportIn(_Place):
    """An incident an officer reports from the app; the place defaults to where they are."""

    type: IncidentType
    priority: Priority = Priority.normal
    description: str = Field("", max_length=2000)
    handle_myself: bool = False  # 自行处置: the reporter takes it on at once


class IncidentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    type: IncidentType | None = None
    priority: Priority | None = None
    description: str | None = Field(None, max_length=2000)
    address: str | None = Field(None, max_length=200)
    squadron_id: RowId | None = None


class DispatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    person_ids: list[RowId] = Field(min_length=1, max_length=20)
    note: str = Field("", max_length=500)

    @field_validator("person_ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise LocalizedValueError(
                "incidents.duplicate_person", "同一人不能重复选择", "A person is listed twice"
            )
        return value


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    person_id: RowId
    reason: str = Field(min_length=1, max_length=500)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(min_length=1, max_length=500)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: str = Field(min_length=1, max_length=2000)


class OptionalNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str = Field("", max_length=2000)


class AssignmentOut(BaseModel):
    id: int
    incident_id: int
    person_id: int
    person_name: str
    badge_no: str
    mobile: str
    support: bool
    status: AssignmentStatus
    dispatched_by: str
    dispatched_at: dt.datetime
    accept_due_at: dt.datetime
    overdue: bool  # not accepted in time: the console offers the next officer
    eta_seconds: float | None
    distance_m: float | None
    accepted_at: dt.datetime | None
    en_route_at: dt.datetime | None
    arrived_at: dt.datetime | None
    arrived_how: str | None
    handled_at: dt.datetime | None
    ended_at: dt.datetime | None
    end_reason: str


class TimelineEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    kind: str
    actor: str
    person_id: int | None
    person_name: str | None
    text: str
    data: dict[str, Any] | None


class PhotoOut(BaseModel):
    id: int
    stage: str
    url: str
    uploaded_by: str
    created_at: dt.datetime


class Durations(BaseModel):
    """Seconds between the steps; None until both ends have happened."""

    receive_to_dispatch: float | None
    dispatch_to_accept: float | None
    dispatch_to_arrive: float | None
    arrive_to_handled: float | None


class NavigationLinks(BaseModel):
    amap: str
    baidu: str


class IncidentOut(BaseModel):
    id: int
    code: str
    source: IncidentSource
    type: IncidentType
    priority: Priority
    status: IncidentStatus
    lon: float
    lat: float
    address: str
    road_name: str | None
    description: str
    caller_name: str
    caller_phone: str
    camera_id: int | None
    squadron_id: int | None
    squadron_name: str | None
    reporter_person_id: int | None
    created_by: str
    created_at: dt.datetime
    dispatched_at: dt.datetime | None
    accepted_at: dt.datetime | None
    arrived_at: dt.datetime | None
    handled_at: dt.datetime | None
    closed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    outcome: str
    durations: Durations
    assignments: list[AssignmentOut]
    alert: bool  # an assignment is overdue for acceptance, or every one was declined


class IncidentDetail(IncidentOut):
    timeline: list[TimelineEntry]
    photos: list[PhotoOut]
    navigation: NavigationLinks


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int


class Candidate(BaseModel):
    """An available person ranked for an incident by road travel time."""

    person_id: int
    name: str
    badge_no: str
    kind: str
    post: str
    mobile: str
    squadron_id: int
    squadron_name: str
    status: str
    lon: float
    lat: float
    position_age_s: float
    eta_seconds: float | None  # None: cannot reach it by road
    road_m: float | None
    straight_m: float
    tried: bool  # already sent to this incident and declined, withdrawn or overdue


class Recommendation(BaseModel):
    incident_id: int
    computed_ms: float
    routed: bool  # False when no road network is loaded: ranked by straight line instead
    items: list[Candidate]


class MyAssignment(BaseModel):
    """What an officer's app shows for one dispatch."""

    assignment: AssignmentOut
    incident: IncidentDetail


class MyAssignments(BaseModel):
    items: list[MyAssignment]


class MetricSummary(BaseModel):
    count: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None


class MetricGroup(BaseModel):
    key: str
    label: str
    incidents: int
    handled: int
    receive_to_dispatch: MetricSummary
    dispatch_to_accept: MetricSummary
    dispatch_to_arrive: MetricSummary
    arrive_to_handled: MetricSummary


class MetricsOut(BaseModel):
    group_by: str
    start: dt.datetime
    end: dt.datetime
    groups: list[MetricGroup]
    total: MetricGroup
