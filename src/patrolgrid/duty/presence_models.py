"""API schemas of 见警率 / 管事率 and of the alone alerts (the tables are in `models.py`)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from patrolgrid.duty.models import Duty, PersonRef, PlanRef, PostRole, ShiftOut

# A table request covers at most this many days (a month): each day × shift × grid is computed
# from the position history.
MAX_TABLE_DAYS = 31


class PresencePerson(BaseModel):
    person: PersonRef
    role: PostRole
    duty: Duty | None
    rostered: bool  # False: counted as the grid's post holder (no roster that day)
    points: int  # positions inside the shift window
    minutes_on_duty: int  # minutes of the window in which the person reported a position
    covered: int  # the grid's cells this person covered
    presence_rate: float | None  # covered ÷ the grid's cells
    handled: int  # the grid's events this person handled


class PresenceGrid(BaseModel):
    grid_id: int
    number: int
    name: str
    colour: str
    segments: int
    slots: int
    cells: int  # segments × slots begun
    covered: int
    presence_rate: float | None  # 见警率, 0..1; None while no slot of the shift has begun
    events: int
    handled: int
    handling_rate: float | None  # 管事率, 0..1; None when there were no events
    people: list[PresencePerson]


class PresenceOut(BaseModel):
    day: dt.date
    shift: ShiftOut
    plan: PlanRef
    window_start: dt.datetime
    window_end: dt.datetime
    slot_minutes: int
    radius_m: float
    slots: int  # slots begun by now (all of them once the shift is over)
    grids: list[PresenceGrid]


class TableRow(BaseModel):
    day: dt.date
    shift_id: int
    shift_name: str
    grid_id: int
    grid_name: str
    person: PersonRef | None  # None: the grid's own row
    role: PostRole | None
    cells: int
    covered: int
    presence_rate: float | None
    events: int
    handled: int
    handling_rate: float | None
    minutes_on_duty: int  # the grid's row: the sum over its people


class TableOut(BaseModel):
    start: dt.date
    end: dt.date
    plan: PlanRef
    slot_minutes: int
    radius_m: float
    rows: list[TableRow]


class AlertOut(BaseModel):
    id: int
    person: PersonRef
    grid_id: int
    grid_name: str
    squadron_id: int  # the squadron whose grid it is (grid names repeat across squadrons)
    squadron_name: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    open: bool
    nearest_lead_m: float | None
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None


class AlertList(BaseModel):
    items: list[AlertOut]


GeoJSON = dict[str, Any]


class TableFormat(StrEnum):
    json = "json"
    xlsx = "xlsx"
