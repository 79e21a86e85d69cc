"""Live tracking: devices bound to people, their position history, each person's latest state
(position and status), and alarms raised by devices."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from patrolgrid.core.db import Base, RowId, UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL needs 64 bits for history.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Status(StrEnum):
    off_duty = "off_duty"  # 下班
    on_duty = "on_duty"  # 在岗
    patrolling = "patrolling"  # 巡逻
    en_route = "en_route"  # 出警中
    on_scene = "on_scene"  # 处置中
    sos = "sos"  # 求助
    offline = "offline"  # 离线


# What officers may set themselves; the others belong to dispatch, SOS and the sweeper.
SELF_SET = frozenset({Status.off_duty, Status.on_duty, Status.patrolling})
# Statuses the offline sweeper watches: on duty, so silence means something.
WATCHED = frozenset({Status.on_duty, Status.patrolling, Status.en_route, Status.on_scene})


class DeviceKind(StrEnum):
    app = "app"  # our officer app
    traccar = "traccar"  # a phone running Traccar Client
    tracker = "tracker"  # a GPS tracker speaking the OsmAnd protocol


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100), default="")
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("auth_tokens.id", ondelete="SET NULL"), nullable=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Position(Base):
    """Append-only history. (device, ts) is unique: a repeated report is stored once."""

    __tablename__ = "positions"
    __table_args__ = (
        UniqueConstraint("device_id", "ts", name="uq_positions_device_ts"),
        Index("ix_positions_person_ts", "person_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    ts: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float | None] = mapped_column(Float, nullable=True)
    heading: Mapped[float | None] = mapped_column(Float, nullable=True)
    altitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    battery: Mapped[float | None] = mapped_column(Float, nullable=True)  # 0..1
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonState(Base):
    """The latest position and the status of each person (one row per person)."""

    __tablename__ = "person_states"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(12), default=Status.off_duty.value)
    # The status to return to when a report arrives from an `offline` person.
    status_before_offline: Mapped[str | None] = mapped_column(String(12), nullable=True)
    status_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), nullable=True
    )
    ts: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    speed_kmh: Mapped[float | None] = mapped_column(Float, nullable=True)
    heading: Mapped[float | None] = mapped_column(Float, nullable=True)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    battery: Mapped[float | None] = mapped_column(Float, nullable=True)


class Alarm(Base):
    __tablename__ = "alarms"
    __table_args__ = (UniqueConstraint("device_id", "ts", "kind", name="uq_alarms_device_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    ts: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The person's status before an SOS turned it to `sos`; restored on acknowledgement.
    previous_status: Mapped[str | None] = mapped_column(String(12), nullable=True)


# ---- API schemas -----------------------------------------------------------------------------


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    identifier: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    kind: DeviceKind
    name: str = Field("", max_length=100)
    person_id: RowId
    enabled: bool = True


class DeviceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, max_length=100)
    person_id: RowId | None = None
    enabled: bool | None = None


class SelfDeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    identifier: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    name: str = Field("", max_length=100)


class DeviceOut(BaseModel):
    id: int
    identifier: str
    kind: DeviceKind
    name: str
    person_id: int
    person_name: str
    person_badge: str
    squadron_name: str
    enabled: bool
    last_seen_at: dt.datetime | None
    created_at: dt.datetime


class DeviceList(BaseModel):
    items: list[DeviceOut]


class SelfDeviceOut(BaseModel):
    device: DeviceOut
    token: str


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status


class LivePerson(BaseModel):
    person_id: int
    name: str
    badge_no: str
    kind: str
    post: str
    mobile: str
    squadron_id: int
    squadron_name: str
    status: Status
    lon: float | None
    lat: float | None
    ts: dt.datetime | None
    speed_kmh: float | None
    heading: float | None
    accuracy_m: float | None
    battery: float | None
    device_id: int | None


class LivePeople(BaseModel):
    items: list[LivePerson]


class TrackPoint(BaseModel):
    ts: dt.datetime
    lon: float
    lat: float
    speed_kmh: float | None
    heading: float | None
    accuracy_m: float | None


class Track(BaseModel):
    person_id: int
    points: list[TrackPoint]


class AlarmOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    person_id: int
    kind: str
    ts: dt.datetime
    lon: float
    lat: float
    received_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None


class AlarmList(BaseModel):
    items: list[AlarmOut]
