"""On-scene command: officer SOS (求助) with its responders, and command groups (指挥集群) with
their members, chat and video sessions, all kept for later review."""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from patrolgrid.core.db import Base, RowId, UTCDateTime, utcnow
from patrolgrid.core.errors import LocalizedValueError


class SosStatus(StrEnum):
    active = "active"  # raised, nobody has taken it yet
    acknowledged = "acknowledged"  # a commander has it; still going on
    resolved = "resolved"


class SosAlert(Base):
    __tablename__ = "sos_alerts"
    __table_args__ = (Index("ix_sos_alerts_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=SosStatus.active.value)
    source: Mapped[str] = mapped_column(String(8))  # app | device
    # The app's own id for its press, so that its retries find the same alert.
    client_ref: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    alarm_id: Mapped[int | None] = mapped_column(
        ForeignKey("alarms.id", ondelete="SET NULL"), nullable=True
    )
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_before: Mapped[str | None] = mapped_column(String(12), nullable=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolution: Mapped[str] = mapped_column(Text, default="")


class SosResponder(Base):
    """Someone told about an SOS on their phone, and whether they answered "on my way"."""

    __tablename__ = "sos_responders"
    __table_args__ = (UniqueConstraint("sos_id", "person_id", name="uq_sos_responders"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sos_id: Mapped[int] = mapped_column(ForeignKey("sos_alerts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(8))  # nearby | grid | group | self
    eta_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    notified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class GroupOrigin(StrEnum):
    incident = "incident"
    sos = "sos"
    area = "area"  # lassoed on the map


class CommandGroup(Base):
    __tablename__ = "command_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(10))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )
    sos_id: Mapped[int | None] = mapped_column(
        ForeignKey("sos_alerts.id", ondelete="SET NULL"), nullable=True
    )
    open: Mapped[bool] = mapped_column(default=True)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class GroupMember(Base):
    """One stay of one account in a group: joining again after leaving is a new row."""

    __tablename__ = "command_group_members"
    __table_args__ = (Index("ix_group_members_group_user", "group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("command_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(10))  # commander | member
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class GroupMessage(Base):
    __tablename__ = "command_group_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("command_groups.id", ondelete="CASCADE"), index=True
    )
    sender_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sender_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # text | photo | location | system
    text: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    content_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VideoSession(Base):
    """Someone's camera live in a group or an SOS, from start to stop."""

    __tablename__ = "video_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room: Mapped[str] = mapped_column(String(20), index=True)  # group:<id> | sos:<id>
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


# ---- API schemas -----------------------------------------------------------------------------


def _coordinate(value: float | None, low: float, high: float, code: str) -> float | None:
    if value is not None and (not math.isfinite(value) or not low <= value <= high):
        raise LocalizedValueError(code, "坐标超出范围", "Coordinate out of range")
    return value


class SosIn(BaseModel):
    """The officer app's SOS. `client_ref` is the app's id for this press (its retries reuse it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    client_ref: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    lon: float | None = None
    lat: float | None = None

    @field_validator("lon")
    @classmethod
    def _lon(cls, value: float | None) -> float | None:
        return _coordinate(value, -180, 180, "command.bad_lon")

    @field_validator("lat")
    @classmethod
    def _lat(cls, value: float | None) -> float | None:
        return _coordinate(value, -90, 90, "command.bad_lat")

    @model_validator(mode="after")
    def _both(self) -> SosIn:
        if (self.lon is None) != (self.lat is None):
            raise LocalizedValueError(
                "command.half_position", "经度和纬度须同时给出", "Give both longitude and latitude"
            )
        return self


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str = Field(min_length=1, max_length=2000)


class ResponderOut(BaseModel):
    person_id: int
    name: str
    mobile: str
    reason: str
    eta_seconds: float | None
    notified_at: dt.datetime
    answered_at: dt.datetime | None


class TrailPoint(BaseModel):
    ts: dt.datetime
    lon: float
    lat: float


class SosOut(BaseModel):
    id: int
    person_id: int
    person_user_id: int | None  # whom the consoles call for the live video
    name: str
    badge_no: str
    kind: str
    post: str
    mobile: str
    squadron_name: str
    status: SosStatus
    source: str
    lon: float | None  # the latest known position
    lat: float | None
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    escalated_at: dt.datetime | None
    resolved_at: dt.datetime | None
    resolved_by: str | None
    resolution: str
    responders: list[ResponderOut]
    trail: list[TrailPoint]  # the last minutes before and since the SOS


class SosList(BaseModel):
    items: list[SosOut]


class GroupIn(BaseModel):
    """A group from an incident, an SOS, or an area lassoed on the map, plus people chosen."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field("", max_length=100)
    origin: GroupOrigin
    incident_id: RowId | None = None
    sos_id: RowId | None = None
    area: list[tuple[float, float]] | None = Field(None, min_length=3, max_length=500)
    person_ids: list[RowId] = Field(default_factory=list, max_length=50)

    @field_validator("area")
    @classmethod
    def _ring(cls, value: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        for lon, lat in value or []:
            _coordinate(lon, -180, 180, "command.bad_lon")
            _coordinate(lat, -90, 90, "command.bad_lat")
        return value

    @model_validator(mode="after")
    def _origin(self) -> GroupIn:
        needed = {
            GroupOrigin.incident: ("incident_id", self.incident_id),
            GroupOrigin.sos: ("sos_id", self.sos_id),
            GroupOrigin.area: ("area", self.area),
        }[self.origin]
        if needed[1] is None:
            raise LocalizedValueError(
                "command.origin_missing",
                f"请提供 {needed[0]}",
                f"{needed[0]} is required for this origin",
            )
        return self


class MembersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_ids: list[RowId] = Field(min_length=1, max_length=50)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: str = Field(pattern=r"^(text|location)$")
    text: str = Field("", max_length=2000)
    lon: float | None = None
    lat: float | None = None

    @model_validator(mode="after")
    def _content(self) -> MessageIn:
        if self.kind == "text" and not self.text:
            raise LocalizedValueError("command.empty_message", "消息不能为空", "Message is empty")
        if self.kind == "location":
            if self.lon is None or self.lat is None:
                raise LocalizedValueError(
                    "command.no_location", "位置消息需要经纬度", "A location needs lon and lat"
                )
            _coordinate(self.lon, -180, 180, "command.bad_lon")
            _coordinate(self.lat, -90, 90, "command.bad_lat")
        return self


class MemberOut(BaseModel):
    id: int
    user_id: int
    person_id: int | None
    name: str
    role: str
    joined_at: dt.datetime
    left_at: dt.datetime | None


class MessageOut(BaseModel):
    id: int
    group_id: int
    sender_user_id: int | None
    sender_name: str
    kind: str
    text: str
    lon: float | None
    lat: float | None
    photo_url: str | None
    created_at: dt.datetime


class VideoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    room: str
    user_id: int
    name: str
    started_at: dt.datetime
    ended_at: dt.datetime | None


class GroupOut(BaseModel):
    id: int
    name: str
    origin: GroupOrigin
    incident_id: int | None
    sos_id: int | None
    open: bool
    created_by: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str | None
    members: list[MemberOut]  # everyone who was ever in it; left_at tells who left


class GroupDetail(GroupOut):
    messages: list[MessageOut]
    videos: list[VideoOut]


class GroupList(BaseModel):
    items: list[GroupOut]


class MemberPosition(BaseModel):
    user_id: int
    person_id: int
    name: str
    status: str
    lon: float | None
    lat: float | None
    ts: dt.datetime | None


class MemberPositions(BaseModel):
    items: list[MemberPosition]


class RtcConfig(BaseModel):
    ice_servers: list[dict[str, Any]]
