"""Grid duty (网格化勤务): squadron territories, the figures each base unit carries, versioned grid
plans and the design jobs that make them.

Everything that names a piece of road or an area does so by its stable key (`roads/keys.py`), not
by row id: a re-import of the road network renumbers the rows but keeps the keys, so plans,
ratings and accident snaps keep working. A unit key is `s:<segment key>` (a road segment, the
unit of an urban area) or `a:<area key>` (a whole town, township or community).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from patrolgrid.core.db import Base, RowId, UTCDateTime, utcnow
from patrolgrid.core.errors import LocalizedValueError
from patrolgrid.core.text import plain_text
from patrolgrid.roads.keys import AREA_KEY_MAX, SEGMENT_KEY_MAX

UNIT_KEY_MAX = AREA_KEY_MAX + 2
MAX_GRIDS = 200
MAX_UNITS_PER_REQUEST = 5000


class Figure(StrEnum):
    """The figures a unit carries; workload is a weighted sum of their shares."""

    road_km = "road_km"  # 道路里程: from the stored network
    drivers = "drivers"  # 驾驶人: imported per area, spread over its roads by length
    vehicles = "vehicles"  # 机动车: imported per area, spread the same way
    accidents = "accidents"  # 事故: imported points snapped to the nearest segment
    difficulty = "difficulty"  # 秩序管控难度: rating 1-5 (by hand, else from incidents) × road km
    police = "police"  # 警力: set by hand, else the squadron's people spread by road length


FIGURE_LABELS: dict[Figure, tuple[str, str]] = {
    Figure.road_km: ("道路里程(公里)", "Road km"),
    Figure.drivers: ("驾驶人", "Registered drivers"),
    Figure.vehicles: ("机动车", "Registered vehicles"),
    Figure.accidents: ("事故", "Accidents"),
    Figure.difficulty: ("秩序管控难度", "Order-keeping difficulty"),
    Figure.police: ("警力", "Police strength"),
}

# Police strength defaults to the squadron's people spread by road length, which says nothing
# road km does not; it weighs nothing until someone says where people are based.
DEFAULT_WEIGHTS: dict[str, float] = {
    Figure.road_km.value: 1.0,
    Figure.drivers.value: 1.0,
    Figure.vehicles.value: 0.0,
    Figure.accidents.value: 1.0,
    Figure.difficulty.value: 1.0,
    Figure.police.value: 0.0,
}


class DifficultySource(StrEnum):
    """Where a unit's difficulty rating comes from: a hand rating always wins over incidents."""

    unit = "unit"  # set by hand on the unit
    area = "area"  # set by hand on the unit's area (`a:<area key>`)
    incidents = "incidents"  # derived: incidents per road km, by the squadron's quintiles
    default = "default"  # no hand rating and no incident on the unit: 1


class Granularity(StrEnum):
    segments = "segments"  # every road segment of the area is a unit (town centres)
    area = "area"  # the whole area is one unit (a rural town or township, a community)


class PlanStatus(StrEnum):
    draft = "draft"
    active = "active"
    retired = "retired"


class JobStatus(StrEnum):
    running = "running"
    done = "done"  # a draft plan was saved (possibly the best so far, when stopped)
    failed = "failed"


# ---- tables --------------------------------------------------------------------------------------


class Territory(Base):
    """Which areas a squadron works in (an area belongs to at most one squadron)."""

    __tablename__ = "grid_territories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    squadron_id: Mapped[int] = mapped_column(
        ForeignKey("squadrons.id", ondelete="CASCADE"), index=True
    )
    area_key: Mapped[str] = mapped_column(String(AREA_KEY_MAX), unique=True)
    granularity: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AreaFigures(Base):
    """Registered drivers and vehicles of an area (imported from the vehicle administration)."""

    __tablename__ = "grid_area_figures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_key: Mapped[str] = mapped_column(String(AREA_KEY_MAX), unique=True)
    drivers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    vehicles: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(255))
    generated: Mapped[bool] = mapped_column(Boolean, default=False)  # demo data, not real
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Accident(Base):
    """One recorded accident: where and when, and the segment it was snapped to."""

    __tablename__ = "grid_accidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date, index=True)
    occurred_time: Mapped[str] = mapped_column(String(5), default="")  # HH:MM when known
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    injuries: Mapped[int] = mapped_column(Integer, default=0)
    station: Mapped[str] = mapped_column(String(100), default="")  # recording police station
    ref: Mapped[str] = mapped_column(String(64), default="")  # the source's own number
    source: Mapped[str] = mapped_column(String(255))  # file name, or "demo"
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
    # The nearest segment within ACCIDENT_SNAP_M at import (None: no road near enough), and
    # the network version it was snapped on (figures re-snap points of an older network).
    segment_key: Mapped[str | None] = mapped_column(
        String(SEGMENT_KEY_MAX), nullable=True, index=True
    )
    snap_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    snap_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class UnitRating(Base):
    """A hand-set difficulty rating and/or police strength of one unit, or of every unit of an
    area (`a:<area key>`)."""

    __tablename__ = "grid_unit_ratings"
    __table_args__ = (
        UniqueConstraint("squadron_id", "unit_key", name="uq_grid_unit_ratings_squadron_unit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    squadron_id: Mapped[int] = mapped_column(ForeignKey("squadrons.id", ondelete="CASCADE"))
    unit_key: Mapped[str] = mapped_column(String(UNIT_KEY_MAX))
    difficulty: Mapped[int | None] = mapped_column(Integer, nullable=True)
    police: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class GridSettings(Base):
    """A squadron's workload weights and figure options."""

    __tablename__ = "grid_settings"

    squadron_id: Mapped[int] = mapped_column(
        ForeignKey("squadrons.id", ondelete="CASCADE"), primary_key=True
    )
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    police_total: Mapped[float | None] = mapped_column(Float, nullable=True)
    accidents_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    accidents_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class GridPlan(Base):
    __tablename__ = "grid_plans"
    __table_args__ = (
        UniqueConstraint("squadron_id", "version", name="uq_grid_plans_squadron_version"),
        # One active plan per squadron, held by the database too.
        Index(
            "uq_grid_plans_one_active",
            "squadron_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    squadron_id: Mapped[int] = mapped_column(ForeignKey("squadrons.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default=PlanStatus.draft.value)
    k: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))  # heuristic | exact | copy
    # What the plan was made with: weights, tolerance, barriers, town_whole, design report.
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_plans.id", ondelete="SET NULL"), nullable=True
    )
    network_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PlanGrid(Base):
    __tablename__ = "grid_plan_grids"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_grid_plan_grids_plan_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("grid_plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1..k
    name: Mapped[str] = mapped_column(String(50))
    colour: Mapped[str] = mapped_column(String(7))  # #rrggbb


class PlanUnit(Base):
    __tablename__ = "grid_plan_units"
    __table_args__ = (UniqueConstraint("plan_id", "unit_key", name="uq_grid_plan_units_plan_unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("grid_plans.id", ondelete="CASCADE"))
    unit_key: Mapped[str] = mapped_column(String(UNIT_KEY_MAX))
    grid_number: Mapped[int] = mapped_column(Integer)
    # The grid the unit is locked to (the one it was in when locked), None when not locked. A
    # hand move away from it is made and reported as a broken lock.
    locked_grid: Mapped[int | None] = mapped_column(Integer, nullable=True)


class DesignJob(Base):
    """An automatic design run: its progress, and the draft plan it saved."""

    __tablename__ = "grid_design_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    squadron_id: Mapped[int] = mapped_column(
        ForeignKey("squadrons.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.running.value)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_plans.id", ondelete="SET NULL"), nullable=True
    )
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written every second by the process running it; a running job whose heartbeat stopped
    # (the process died) is shown as failed.
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


# ---- rules shared by the API and the importers ---------------------------------------------------

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_UNIT_KEY = re.compile(r"^[sa]:\S.*$")


def check_colour(value: str) -> str:
    if not _COLOUR.match(value):
        raise LocalizedValueError(
            "grids.bad_colour", "颜色应为 #RRGGBB 格式", "Colour must be #RRGGBB"
        )
    return value.lower()


def check_unit_key(value: str) -> str:
    if len(value) > UNIT_KEY_MAX or not _UNIT_KEY.match(value):
        raise LocalizedValueError(
            "grids.bad_unit_key",
            "单元编号应为 s:<路段编号> 或 a:<区域编号>",
            "A unit key is s:<segment key> or a:<area key>",
        )
    return value


def check_grid_name(value: str) -> str:
    value = plain_text(value.strip())
    if not value:
        raise LocalizedValueError("grids.name_required", "名称不能为空", "Name is required")
    return value


def _check_weights(value: dict[Figure, float]) -> dict[Figure, float]:
    if any(not math.isfinite(w) or w < 0 or w > 1000 for w in value.values()):
        raise LocalizedValueError(
            "grids.bad_weights",
            "权重应为 0 到 1000 之间的数",
            "Weights must be numbers from 0 to 1000",
        )
    if value and sum(value.values()) <= 0:
        raise LocalizedValueError(
            "grids.bad_weights", "至少一个指标的权重应大于 0", "At least one weight must be above 0"
        )
    return value


UnitKey = Annotated[str, AfterValidator(check_unit_key)]
Weights = Annotated[dict[Figure, float], AfterValidator(_check_weights)]
Colour = Annotated[str, AfterValidator(check_colour)]
GridName = Annotated[str, Field(max_length=50), AfterValidator(check_grid_name)]
PlanName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(plain_text)]


def _multiline_text(value: str) -> str:
    return plain_text(value, multiline=True)


LonLatPair = Annotated[
    tuple[
        Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)],
        Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)],
    ],
    Field(),
]

PALETTE = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#bfef45",
    "#469990",
    "#9a6324",
    "#800000",
    "#808000",
    "#000075",
    "#ffe119",
    "#aaffc3",
    "#dcbeff",
)


def grid_colour(number: int) -> str:
    return PALETTE[(number - 1) % len(PALETTE)]


def grid_default_name(number: int) -> str:
    return f"网格{number}"


# ---- API schemas: territory, figures, settings ---------------------------------------------------


class Label(BaseModel):
    zh: str
    en: str


class TerritoryAreaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=AREA_KEY_MAX)
    # None: by the area's kind (a subdistrict by its segments, anything else as a whole).
    granularity: Granularity | None = None


class TerritoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    areas: list[TerritoryAreaIn] = Field(max_length=1000)


class TerritoryAreaOut(BaseModel):
    key: str
    name: str | None  # None when the area is not in the current network
    kind: str | None
    granularity: Granularity
    present: bool


class TerritoryOut(BaseModel):
    squadron_id: int
    areas: list[TerritoryAreaOut]


class AreaOut(BaseModel):
    key: str
    name: str
    kind: str
    admin_level: int | None
    squadron_id: int | None
    granularity: Granularity | None
    drivers: int | None
    vehicles: int | None
    figures_source: str | None
    generated: bool  # the drivers/vehicles are generated demo numbers


class AreaList(BaseModel):
    items: list[AreaOut]


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weights: Weights | None = None  # figures not named weigh 0; None: the defaults
    police_total: float | None = Field(None, ge=0, le=100_000, allow_inf_nan=False)
    accidents_from: dt.date | None = None
    accidents_to: dt.date | None = None

    @field_validator("accidents_to")
    @classmethod
    def _ordered(cls, value: dt.date | None, info: Any) -> dt.date | None:
        start = info.data.get("accidents_from")
        if value is not None and start is not None and value < start:
            raise LocalizedValueError(
                "grids.bad_period",
                "事故统计的结束日期早于开始日期",
                "The accident period ends before it starts",
            )
        return value


class SettingsOut(BaseModel):
    squadron_id: int
    weights: dict[str, float]
    police_total: float | None
    police_people: int  # people of the squadron (used when police_total is not set)
    accidents_from: dt.date | None
    accidents_to: dt.date | None
    figures: dict[str, Label]


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: UnitKey  # a unit, or a:<area key> for every unit of that area
    difficulty: int | None = Field(None, ge=1, le=5)
    police: float | None = Field(None, ge=0, le=10_000, allow_inf_nan=False)


class RatingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[RatingIn] = Field(min_length=1, max_length=MAX_UNITS_PER_REQUEST)


class RatingOut(BaseModel):
    unit: str
    difficulty: int | None
    police: float | None


class RatingList(BaseModel):
    items: list[RatingOut]


class RatingBand(BaseModel):
    """The units whose difficulty was derived from incidents at one rating, and the incidents
    per road km they span."""

    rating: int
    units: int
    min_per_km: float
    max_per_km: float


class DifficultySummary(BaseModel):
    """Where the squadron's difficulty ratings come from (`DifficultySource` → units), the
    incidents counted on its units in the period, and the derived ratings' bands."""

    sources: dict[str, int]
    incidents: int
    incidents_from: dt.datetime
    incidents_to: dt.datetime
    bands: list[RatingBand]


class FiguresSummary(BaseModel):
    squadron_id: int
    network_version: int | None
    units: int
    segment_units: int
    area_units: int
    totals: dict[str, float]
    weights: dict[str, float]
    missing_areas: list[str]  # territory areas not in the current network
    notes: list[Label]
    generated: bool  # some figures are generated demo numbers
    difficulty: DifficultySummary


class DriversImportResult(BaseModel):
    imported: int
    areas: list[str]


class AccidentsImportResult(BaseModel):
    imported: int
    replaced: int
    by_year: dict[str, int]
    snapped: int
    unsnapped: int  # farther than ACCIDENT_SNAP_M from any road (kept, counted nowhere)
    network_version: int | None


class AccidentYear(BaseModel):
    year: int
    accidents: int
    snapped: int
    deaths: int
    injuries: int


class AccidentSummary(BaseModel):
    total: int
    generated: int
    years: list[AccidentYear]


# ---- API schemas: plans --------------------------------------------------------------------------


class GridOut(BaseModel):
    id: int  # stable for the plan's life: what posts and rosters refer to
    number: int
    name: str
    colour: str
    units: int


class PlanSummary(BaseModel):
    id: int
    squadron_id: int
    version: int
    name: str
    status: PlanStatus
    k: int
    method: str
    note: str
    parent_id: int | None
    network_version: int | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    activated_at: dt.datetime | None
    retired_at: dt.datetime | None
    grids: list[GridOut]
    params: dict[str, Any]


class PlanList(BaseModel):
    items: list[PlanSummary]


class ViolationOut(BaseModel):
    code: str
    message: Label
    grid: int | None  # grid number
    units: list[str]


class GridEvaluation(BaseModel):
    number: int
    name: str
    colour: str
    units: int
    workload: float  # share of the squadron's workload (all grids sum to 1)
    workload_ratio: float  # ÷ the mean per grid
    deviation: float  # workload_ratio - 1
    figures: dict[str, float]
    figure_ratios: dict[str, float]  # each figure's total ÷ its mean per grid
    figure_deviations: dict[str, float]
    contiguous: bool
    centre: str | None


class EvaluationSummary(BaseModel):
    workload_min_ratio: float
    workload_max_ratio: float
    max_deviation: float
    figure_min_ratio: dict[str, float]
    figure_max_ratio: dict[str, float]
    cut_edges: int
    total_edges: int
    contiguous: bool
    within_tolerance: bool


class Evaluation(BaseModel):
    plan_id: int
    k: int
    tolerance: float
    weights: dict[str, float]
    grids: list[GridEvaluation]
    summary: EvaluationSummary | None  # None when no unit is assigned
    violations: list[ViolationOut]
    unassigned_units: list[str]  # units of the squadron the plan gives no grid (new roads)
    vanished_units: list[str]  # units of the plan no longer in the network or territory
    network_version: int | None


class PlanUnitOut(BaseModel):
    unit: str
    grid: int
    locked: bool
    locked_grid: int | None  # the grid it is locked to


class PlanDetail(BaseModel):
    plan: PlanSummary
    units: list[PlanUnitOut]
    evaluation: Evaluation


class PlanUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlanName | None = None
    note: Annotated[str, Field(max_length=500), AfterValidator(_multiline_text)] | None = None


class GridUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: GridName | None = None
    colour: Colour | None = None


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: list[UnitKey] = Field(min_length=1, max_length=MAX_UNITS_PER_REQUEST)
    to_grid: int = Field(ge=1, le=MAX_GRIDS)


class MoveOut(BaseModel):
    moved: list[PlanUnitOut]
    unchanged: int
    evaluation: Evaluation


class LockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: list[UnitKey] = Field(min_length=1, max_length=MAX_UNITS_PER_REQUEST)
    locked: bool


class LockOut(BaseModel):
    changed: int
    evaluation: Evaluation


class CopyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlanName | None = None


class UnitMove(BaseModel):
    unit: str
    name: str | None
    from_grid: int | None
    to_grid: int | None


class Transfer(BaseModel):
    from_grid: int | None
    to_grid: int | None
    units: int


class GridComparison(BaseModel):
    number: int
    name_a: str | None
    name_b: str | None
    units_a: int
    units_b: int
    workload_ratio_a: float | None
    workload_ratio_b: float | None
    figure_ratios_a: dict[str, float]
    figure_ratios_b: dict[str, float]


class Comparison(BaseModel):
    a: PlanSummary
    b: PlanSummary
    moved: list[UnitMove]
    moved_count: int
    transfers: list[Transfer]
    grids: list[GridComparison]
    summary_a: EvaluationSummary | None
    summary_b: EvaluationSummary | None


class Located(BaseModel):
    """Where a point is: the nearest road segment, its unit and squadron, and its grid in the
    squadron's active plan (None where there is none)."""

    segment_key: str
    distance_m: float
    squadron_id: int | None
    unit: str | None
    plan_id: int | None
    grid: GridOut | None


# ---- API schemas: design jobs --------------------------------------------------------------------

Line = Annotated[list[LonLatPair], Field(min_length=2, max_length=10_000)]


class DesignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    k: int = Field(ge=1, le=MAX_GRIDS)
    name: PlanName | None = None
    weights: Weights | None = None  # None: the squadron's stored weights
    tolerance: float = Field(0.05, ge=0, le=0.5, allow_inf_nan=False)
    method: Literal["auto", "heuristic", "exact"] = "auto"
    time_limit_s: float = Field(30.0, ge=0.5, le=600, allow_inf_nan=False)
    max_rounds: int = Field(4000, ge=0, le=100_000)
    seed: int = Field(0, ge=0, le=2_147_483_647)
    town_whole: bool = False  # the segments of each town/township end in one grid
    barriers: list[Line] = Field(default_factory=list, max_length=50)  # e.g. a river's line
    locks_from: RowId | None = None  # keep the locked units of this plan where they are


class JobProgress(BaseModel):
    method: str
    phase: str
    iteration: int
    best_objective: float | None
    best_excess: float | None
    elapsed_s: float
    stopped_early: bool = False  # the job was stopped (or ran out of time): best plan so far


class JobOut(BaseModel):
    id: int
    squadron_id: int
    status: JobStatus
    stop_requested: bool
    progress: JobProgress | None
    plan_id: int | None
    error: dict[str, Any] | None
    params: dict[str, Any]
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class JobList(BaseModel):
    items: list[JobOut]
