"""The stored road network: roads, their segments between intersections, the nodes those
segments meet at, and administrative/community areas. One network at a time; `RoadNetwork`
records where it came from and a version that changes with every import (the routing graph of
every process is rebuilt when it does)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from patrolgrid.core.db import Base, UTCDateTime, utcnow
from patrolgrid.core.errors import LocalizedValueError
from patrolgrid.roads.keys import AREA_KEY_MAX, SEGMENT_KEY_MAX


class RoadNetwork(Base):
    __tablename__ = "road_network"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(255))  # file name, or "demo"
    generated: Mapped[bool] = mapped_column(default=False)  # the demo county, not real geography
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


class Road(Base):
    __tablename__ = "roads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    highway: Mapped[str] = mapped_column(String(32))
    oneway: Mapped[str] = mapped_column(String(10))
    maxspeed_kmh: Mapped[float | None] = mapped_column(Float, nullable=True)
    lanes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bridge: Mapped[bool] = mapped_column(default=False, server_default=false())


class RoadNode(Base):
    __tablename__ = "road_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class RoadSegment(Base):
    __tablename__ = "road_segments"
    __table_args__ = (Index("ix_road_segments_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable across re-imports (roads/keys.py), unlike the id: what grid plans are keyed by.
    key: Mapped[str] = mapped_column(String(SEGMENT_KEY_MAX), unique=True)
    road_id: Mapped[int] = mapped_column(ForeignKey("roads.id", ondelete="CASCADE"), index=True)
    from_node_id: Mapped[int] = mapped_column(ForeignKey("road_nodes.id", ondelete="CASCADE"))
    to_node_id: Mapped[int] = mapped_column(ForeignKey("road_nodes.id", ondelete="CASCADE"))
    # [[lon, lat], ...] from the from-node to the to-node, WGS-84.
    coords: Mapped[list[list[float]]] = mapped_column(JSON)
    length_m: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    key: Mapped[str] = mapped_column(String(AREA_KEY_MAX), unique=True)  # stable (roads/keys.py)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    admin_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)  # GeoJSON (Multi)Polygon
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


# What the map says over a network marked `generated` (the demo county), so nobody mistakes it
# for real geography.
GENERATED_LABEL_ZH = "演示用生成路网(非真实地理数据)"
GENERATED_LABEL_EN = "Generated demo road network — not real geography"


# ---- API schemas -----------------------------------------------------------------------------

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def _check_lonlat(value: tuple[float, float]) -> tuple[float, float]:
    lon, lat = value
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise LocalizedValueError(
            "geo.bad_coordinate",
            "经纬度超出范围(经度 -180~180,纬度 -90~90)",
            "Longitude must be -180..180 and latitude -90..90",
        )
    return value


# A WGS-84 point as [lon, lat]: the only coordinate system the API speaks.
LonLatIn = Annotated[tuple[FiniteFloat, FiniteFloat], AfterValidator(_check_lonlat)]


class NetworkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    source: str
    generated: bool
    imported_at: dt.datetime
    segments: int
    roads: int
    total_km: float


class TileSource(BaseModel):
    kind: str = "raster"
    tiles: list[str]
    tile_size: int
    attribution: str
    max_zoom: int
    coord_system: str


class Label(BaseModel):
    zh: str
    en: str


class MapConfig(BaseModel):
    center: tuple[float, float]
    zoom: float
    bounds: tuple[float, float, float, float] | None
    network_label: Label | None
    network_attribution: str | None
    tile_source: TileSource | None


class NearestSegment(BaseModel):
    segment_id: int
    road_id: int
    name: str
    highway: str
    distance_m: float
    point: tuple[float, float]
    fraction: float


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: LonLatIn = Field(alias="from")
    to: LonLatIn


class RouteOut(BaseModel):
    seconds: float
    meters: float
    geometry: dict[str, Any]
    segment_ids: list[int]


class TravelTimesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    to: LonLatIn
    from_: list[LonLatIn] = Field(alias="from", min_length=1, max_length=5000)
    limit_s: float | None = Field(None, gt=0, le=24 * 3600)


class TravelTimeOut(BaseModel):
    seconds: float
    meters: float


class TravelTimesOut(BaseModel):
    items: list[TravelTimeOut | None]


class RoadMatch(BaseModel):
    id: int
    name: str
    highway: str
    center: tuple[float, float]


class RoadMatches(BaseModel):
    items: list[RoadMatch]
