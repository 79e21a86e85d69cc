"""Duty (勤务): who holds which post in which grid of a plan ("一路一警, 一警N员"), the squadron's
shifts, the weekly roster of who works where and when, and the alerts raised when an auxiliary
patrols alone.

Grids are `grid_plan_grids` rows (fixed for a plan's life), so posts belong to one plan: when a
redesigned plan is activated, the old plan's posts stay with it as history and are carried over
by `copy-from`. Days and shift times are local (Asia/Shanghai): a shift "23:00"–"07:00" worked on
day D runs from D 23:00 to D+1 07:00 China time.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from patrolgrid.core.db import Base, RowId, UTCDateTime, utcnow
from patrolgrid.core.errors import LocalizedValueError
from patrolgrid.core.text import plain_text
from patrolgrid.grids.models import Colour, Label
from patrolgrid.incidents.models import CHINA_TIME
from patrolgrid.org.models import PersonKind


class PostRole(StrEnum):
    lead = "lead"  # 路警: the grid's one responsible police officer (民警)
    member = "member"  # 路员: an auxiliary (辅警) or public-welfare worker (公益岗位)


class Duty(StrEnum):
    """What a 路员 does in the grid."""

    patrol = "patrol"  # 巡逻
    correct = "correct"  # 纠违: on-the-spot correction of violations
    post = "post"  # 岗位: a fixed post
    peak = "peak"  # 高峰岗: a post at rush hours
    night = "night"  # 夜巡: night patrol


ROLE_LABELS: dict[PostRole, tuple[str, str]] = {
    PostRole.lead: ("路警", "Grid officer"),
    PostRole.member: ("路员", "Grid auxiliary"),
}

DUTY_LABELS: dict[Duty, tuple[str, str]] = {
    Duty.patrol: ("巡逻", "Patrol"),
    Duty.correct: ("纠违", "Violation correction"),
    Duty.post: ("岗位", "Fixed post"),
    Duty.peak: ("高峰岗", "Peak-hour post"),
    Duty.night: ("夜巡", "Night patrol"),
}

LEAD_KINDS = frozenset({PersonKind.police})
MEMBER_KINDS = frozenset({PersonKind.auxiliary, PersonKind.public_welfare})


def role_of_kind(kind: str) -> PostRole:
    """The part a person plays when rostered: a police officer is the grid's 路警 (or stands in
    for them), anyone else a 路员."""
    return PostRole.lead if kind == PersonKind.police.value else PostRole.member


# ---- tables --------------------------------------------------------------------------------------


class DutyPost(Base):
    """A person's post in one grid of one plan. The database holds both rules: one post per
    person per plan, and one 路警 per grid."""

    __tablename__ = "duty_posts"
    __table_args__ = (
        UniqueConstraint("plan_id", "person_id", name="uq_duty_posts_plan_person"),
        Index(
            "uq_duty_posts_one_lead",
            "grid_id",
            unique=True,
            sqlite_where=text("role = 'lead'"),
            postgresql_where=text("role = 'lead'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("grid_plans.id", ondelete="CASCADE"))
    grid_id: Mapped[int] = mapped_column(
        ForeignKey("grid_plan_grids.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    duty: Mapped[str | None] = mapped_column(String(10), nullable=True)  # None for a 路警
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DutyShift(Base):
    """A squadron's shift: local start and end times; an end at or before the start is on the
    next day (a night shift). `coverage_required`: every grid must have someone on in this
    shift, so the roster flags a grid nobody covers; a shift without it (a 夜班 worked by the
    夜巡 patrols, not by every grid) raises no such flag."""

    __tablename__ = "duty_shifts"
    __table_args__ = (UniqueConstraint("squadron_id", "name", name="uq_duty_shifts_squadron_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    squadron_id: Mapped[int] = mapped_column(
        ForeignKey("squadrons.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(20))
    starts: Mapped[str] = mapped_column(String(5))  # HH:MM, China time
    ends: Mapped[str] = mapped_column(String(5))
    colour: Mapped[str] = mapped_column(String(7))
    position: Mapped[int] = mapped_column(Integer, default=0)
    coverage_required: Mapped[bool] = mapped_column(default=True, server_default=true())


class RosterEntry(Base):
    """One person working one shift on one day in one grid. Conflicts (double booking, an
    uncovered grid, a 路员 away from their grid or without police) are computed and flagged,
    never refused, so that a commander can save a week as it really is."""

    __tablename__ = "duty_roster"
    __table_args__ = (
        UniqueConstraint(
            "person_id", "day", "shift_id", "grid_id", name="uq_duty_roster_person_day_shift_grid"
        ),
        Index("ix_duty_roster_grid_day", "grid_id", "day"),
        Index("ix_duty_roster_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_plan_grids.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)  # the local day the shift starts on
    shift_id: Mapped[int] = mapped_column(
        ForeignKey("duty_shifts.id", ondelete="CASCADE"), index=True
    )
    duty: Mapped[str | None] = mapped_column(String(10), nullable=True)  # None for police
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DutyAlert(Base):
    """A 路员 on patrol with no police officer of their grid near (辅警单独巡逻): open while it
    lasts (`ended_at` null); at most one open alert per person, held by the database so that
    sweepers in several processes cannot open two."""

    __tablename__ = "duty_alerts"
    __table_args__ = (
        Index(
            "uq_duty_alerts_one_open",
            "person_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_duty_alerts_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_plan_grids.id", ondelete="CASCADE"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Metres to the nearest police officer of the grid when opened; None: none has a position.
    nearest_lead_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


# ---- local days and shift times ------------------------------------------------------------------

FIRST_DAY = dt.date(2000, 1, 3)  # a Monday: every week of the range is whole
LAST_DAY = dt.date(2099, 12, 27)  # a Sunday
MAX_SHIFTS = 12  # per squadron
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def local_today(now: dt.datetime) -> dt.date:
    return now.astimezone(CHINA_TIME).date()


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week holding `day`."""
    return day - dt.timedelta(days=day.weekday())


def minutes_of(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def is_overnight(starts: str, ends: str) -> bool:
    """A shift ending at or before its start ends the next day (equal: a 24-hour shift)."""
    return minutes_of(ends) <= minutes_of(starts)


def shift_window(day: dt.date, starts: str, ends: str) -> tuple[dt.datetime, dt.datetime]:
    """When a shift worked on `day` begins and ends, as aware datetimes (China time)."""
    start = dt.datetime.combine(day, dt.time(), CHINA_TIME) + dt.timedelta(
        minutes=minutes_of(starts)
    )
    length = (minutes_of(ends) - minutes_of(starts)) % (24 * 60) or 24 * 60
    return start, start + dt.timedelta(minutes=length)


def check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise LocalizedValueError(
            "duty.bad_time", "时间应为 HH:MM(00:00–23:59)", "A time is HH:MM (00:00-23:59)"
        )
    return value


def check_day(value: dt.date) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise LocalizedValueError(
            "duty.bad_day",
            "日期应在 2000 年至 2099 年之间",
            "The date must be between 2000 and 2099",
        )
    return value


def check_shift_name(value: str) -> str:
    value = plain_text(value.strip())
    if not value:
        raise LocalizedValueError("duty.name_required", "名称不能为空", "Name is required")
    return value


HHMM = Annotated[str, Field(min_length=5, max_length=5), AfterValidator(check_hhmm)]
Day = Annotated[dt.date, AfterValidator(check_day)]
ShiftName = Annotated[str, Field(max_length=20), AfterValidator(check_shift_name)]


# ---- API schemas ---------------------------------------------------------------------------------


class PersonRef(BaseModel):
    id: int
    name: str
    badge_no: str
    kind: PersonKind
    post: str  # the person's job title in the organisation (not their duty post)
    mobile: str


class Flag(BaseModel):
    code: str
    message: Label


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: RowId
    person_id: RowId
    role: PostRole
    duty: Duty | None = None  # required for a 路员, none for a 路警


class PostUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duty: Duty | None


class PostOut(BaseModel):
    id: int
    plan_id: int
    grid_id: int
    person: PersonRef
    role: PostRole
    duty: Duty | None


class PlanRef(BaseModel):
    id: int
    name: str
    status: str
    version: int


class MemberOut(BaseModel):
    post_id: int
    person: PersonRef
    duty: Duty | None


class GridPosts(BaseModel):
    grid_id: int
    number: int
    name: str
    colour: str
    lead: PersonRef | None
    lead_post_id: int | None
    members: list[MemberOut]
    flags: list[Flag]


class PostsOut(BaseModel):
    plan: PlanRef
    grids: list[GridPosts]
    unposted: list[PersonRef]  # active people of the squadron without a post in this plan
    flags: list[Flag]


class CopySkipped(BaseModel):
    person: PersonRef
    from_grid_id: int
    role: PostRole
    code: str
    message: Label


class CopyOut(BaseModel):
    plan_id: int
    from_plan_id: int
    copied: list[PostOut]
    skipped: list[CopySkipped]


class ShiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ShiftName
    starts: HHMM
    ends: HHMM
    colour: Colour = "#409eff"
    position: int | None = Field(None, ge=0, le=1000)  # None: after the last
    coverage_required: StrictBool = True  # False: an empty grid in this shift is no conflict


class ShiftUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ShiftName | None = None
    starts: HHMM | None = None
    ends: HHMM | None = None
    colour: Colour | None = None
    position: int | None = Field(None, ge=0, le=1000)
    coverage_required: StrictBool | None = None


class ShiftOut(BaseModel):
    id: int
    name: str
    starts: str
    ends: str
    colour: str
    position: int
    overnight: bool  # ends on the next day
    coverage_required: bool  # every grid must have someone on (else no uncovered conflict)

    @classmethod
    def of(cls, shift: DutyShift) -> ShiftOut:
        return cls(
            id=shift.id,
            name=shift.name,
            starts=shift.starts,
            ends=shift.ends,
            colour=shift.colour,
            position=shift.position,
            overnight=is_overnight(shift.starts, shift.ends),
            coverage_required=shift.coverage_required,
        )


class ShiftList(BaseModel):
    items: list[ShiftOut]


class RosterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: RowId
    person_id: RowId
    day: Day
    shift_id: RowId
    duty: Duty | None = None  # a 路员's duty (default: their post's); none for police


class RosterEntryOut(BaseModel):
    id: int
    grid_id: int
    person: PersonRef
    day: dt.date
    shift_id: int
    duty: Duty | None
    role: PostRole  # from the person's kind: police stand as 路警, anyone else as 路员


class Conflict(BaseModel):
    code: str
    message: Label
    day: dt.date
    shift_id: int
    grid_id: int | None
    person_ids: list[int]
    entry_ids: list[int]


class WeekGrid(BaseModel):
    grid_id: int
    number: int
    name: str
    colour: str
    plan_id: int  # the active plan's, or an older plan's that still has entries this week


class PlanName(BaseModel):
    id: int
    name: str


class RosterWeek(BaseModel):
    week_start: dt.date
    days: list[dt.date]
    plan: PlanName | None  # the squadron's active plan
    shifts: list[ShiftOut]
    grids: list[WeekGrid]
    entries: list[RosterEntryOut]
    conflicts: list[Conflict]


class FillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    week: Day  # any day of the week to fill
    replace: bool = False  # remove the week's entries in the active plan's grids first


class GridRef(BaseModel):
    grid_id: int
    number: int
    name: str
    colour: str
    plan_id: int


class SquadronRef(BaseModel):
    id: int
    name: str


class TeamMember(BaseModel):
    person: PersonRef
    duty: Duty | None


class MyShift(BaseModel):
    day: dt.date
    shift: ShiftOut
    duty: Duty | None
    grid_id: int
    on_now: bool


class MyDuty(BaseModel):
    person: PersonRef
    squadron: SquadronRef
    grid: GridRef | None  # the person's post in the squadron's active plan
    role: PostRole | None
    duty: Duty | None
    lead: PersonRef | None
    members: list[TeamMember]
    shifts: list[MyShift]  # today and the next 6 days (and last night's shift while it lasts)
    on_duty_now: bool


class ShiftNow(BaseModel):
    shift: ShiftOut
    duty: Duty | None
    grid_id: int


class PersonDuty(BaseModel):
    person_id: int
    grid: GridRef | None
    role: PostRole | None
    duty: Duty | None
    shift_now: ShiftNow | None
