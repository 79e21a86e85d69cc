"""The road network as read from a file, before it is stored: what readers produce and the
`roads` domain persists. Coordinates are WGS-84 (lon, lat) everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

LonLat = tuple[float, float]


class Oneway(StrEnum):
    no = "no"
    forward = "forward"  # only from the segment's first point to its last
    backward = "backward"  # only from the last point to the first (OSM oneway=-1)


@dataclass(frozen=True)
class Road:
    """A named road as its source describes it (an OSM way or a GeoJSON line feature)."""

    source_id: str  # e.g. "w123456" for an OSM way, "f17" for the 17th GeoJSON feature
    name: str  # name:zh, else name, else "" (unnamed)
    highway: str  # OSM highway class: motorway, trunk, primary, ..., residential, service
    oneway: Oneway
    maxspeed_kmh: float | None
    lanes: int | None
    bridge: bool = False  # OSM bridge=* (anything but "no"): may cross a barrier such as a river


@dataclass(frozen=True)
class Segment:
    """A piece of a road between two intersections (or a road end)."""

    road_index: int  # index into ParsedNetwork.roads
    from_node: int  # node id (OSM node id, or a generated id)
    to_node: int
    coords: tuple[LonLat, ...]  # from_node's point first, to_node's point last, >= 2 points
    length_m: float  # geodesic length on the WGS-84 ellipsoid


class AreaKind(StrEnum):
    county = "county"  # 县/区
    town = "town"  # 镇
    township = "township"  # 乡
    subdistrict = "subdistrict"  # 街道
    community = "community"  # 社区/村
    other = "other"


@dataclass(frozen=True)
class Area:
    source_id: str
    name: str
    kind: AreaKind
    admin_level: int | None
    geometry: dict[str, Any]  # GeoJSON Polygon or MultiPolygon


@dataclass
class ParsedNetwork:
    roads: list[Road] = field(default_factory=list)
    nodes: dict[int, LonLat] = field(default_factory=dict)  # only the nodes segments use
    segments: list[Segment] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)

    @property
    def total_km(self) -> float:
        return sum(s.length_m for s in self.segments) / 1000.0
