"""Read a drivable road network from an OpenStreetMap extract or a GeoJSON file.

`read_network(path)` accepts `.osm.pbf`/`.pbf`, OSM XML (`.osm`, `.osm.bz2`, `.osm.gz`) and GeoJSON
(`.geojson`, `.json`) and returns a `ParsedNetwork`: roads, the segments between intersections with
their geodesic lengths, and administrative areas. Every failure to read is a `NetworkFileError`
with a machine-readable code and a zh/en message; no parser exception escapes.

Which OSM ways count as drivable (our choices, for a traffic-police patrol network):

- `highway` in the motor-vehicle classes: motorway, trunk, primary, secondary, tertiary (and their
  `_link`s), unclassified, residential, living_street, service and road (class not yet surveyed).
  Not kept: footway, cycleway, path, steps, pedestrian, bridleway, track (mostly unpaved farm and
  forest tracks), busway, construction, proposed and anything else.
- `service` roads are kept (alleys, compound and yard roads are patrolled), except
  `service=parking_aisle`, `driveway` and `drive-through`, which only add noise to routing.
- `area=yes` (a square drawn as a highway polygon) is not a road.
- Car access is decided by the most specific tag present among `motorcar`, `motor_vehicle`,
  `vehicle`, `access`; `no` and `private` drop the way (so `access=private` + `motor_vehicle=yes`
  is kept, and `access=destination` + `motorcar=no`, a bus lane, is dropped).

Road attributes: the name is `name:zh-Hans`, else `name:zh`, else `name`, else `ref` (many Chinese
national and provincial roads carry only a ref such as "G348"). `oneway` yes/true/1 → forward,
-1/reverse → backward, no/false/0 and reversible/alternating → no; without a tag, motorways,
motorway links and roundabouts (`junction=roundabout|circular`) are one-way. `maxspeed` is read
in km/h ("50", "50 km/h"), mph or knots and converted; zone values ("CN:urban", "RU:rural"),
"none", "signals", "walk" and garbage give None, so routing falls back to the per-class default
(`geo.speeds`) rather than guessing a country's law. Where several limits are given ("60;40") the
lowest is used. `bridge` (yes, viaduct, ... anything but no) marks the road as a bridge, which grid
design lets cross a barrier such as a river.

Segments: a way is cut at every node used more than once by the kept ways (shared by two ways, or
visited twice by one, such as a loop) and at its ends. Repeated consecutive node references are
collapsed first, which is what would otherwise leave zero-length pieces. Extracts are clipped, so
ways reference nodes that are not in the file: each run of located nodes is kept as its own line
and its ends become segment ends.

GeoJSON: LineString and MultiLineString features are roads (source_id "f<n>", n counting features
from 1), read with the same tag rules from their properties (`oneway: true` works; a line without
`highway` is taken as `road`). Vertices that coincide once snapped to 1e-7° (about 1 cm) are one
node, whose id is derived from the coordinate (`coordinate_node_id`). Named Polygon and
MultiPolygon features are areas, their kind from a `kind` or `level` property (`subdistrict`,
`街道`, `镇`, ...), else from `admin_level` and the name as below. Coordinates must be WGS-84.

OSM areas: administrative boundaries (`boundary=administrative` relations and closed ways) with a
name and an `admin_level`, assembled into GeoJSON MultiPolygons by osmium (a boundary the extract
cut short cannot be assembled and is skipped). The kind follows the OSM China convention: 6
county/district, 8 town/township/subdistrict told apart by the name's suffix 镇/乡/街道, 9-10
community/village, any other level `other`. Other countries' data is mapped by level alone (8 →
town).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson
import osmium
import osmium.filter
import osmium.geom
from pyproj import Geod

from patrolgrid.core.errors import AppError
from patrolgrid.geo.network import Area, AreaKind, LonLat, Oneway, ParsedNetwork, Road, Segment

ProgressCallback = Callable[[str, int, int | None], None]
"""Called as progress(stage, done, total) with stage "ways", "areas" or "segments"; total is None
while it is not known."""

_GEOD = Geod(ellps="WGS84")

DRIVABLE_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
_EXCLUDED_SERVICE = frozenset({"parking_aisle", "driveway", "drive-through"})
_CAR_ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")
_NO_CAR_ACCESS = frozenset({"no", "private"})
_NAME_KEYS = ("name:zh-Hans", "name:zh", "name")
_NOT_BRIDGE = frozenset({"no", "false", "0", ""})

_SPEED_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?", re.IGNORECASE)
_KMH_PER_UNIT = {"km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}
_MAX_PLAUSIBLE_KMH = 300.0  # a larger number is a typo; speeds.py applies the tighter routing range
_LANES_RE = re.compile(r"\d{1,2}", re.ASCII)

# GeoJSON vertices closer than this are the same node (1e-7° is about 1 cm).
_COORDINATE_DECIMALS = 7
_FIXED_PER_DEGREE = 10_000_000
_PROGRESS_EVERY = 5_000


class NetworkFileError(AppError):
    """A road-network file that cannot be used. `code` is one of:

    geo.file_unreadable, geo.bad_format, geo.osm_corrupt, geo.geojson_invalid, geo.osm_no_roads.
    As an AppError it renders as HTTP 422 with the standard error envelope.
    """

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(422, code, zh, en)


def _bad_format(zh: str, en: str) -> NetworkFileError:
    return NetworkFileError("geo.bad_format", zh, en)


def _no_roads() -> NetworkFileError:
    return NetworkFileError(
        "geo.osm_no_roads",
        "文件中没有可通行机动车的道路",
        "The file contains no roads open to motor vehicles",
    )


class Tags(Protocol):
    """What the tag rules need: osmium's TagList and a dict[str, str] both provide it."""

    def get(self, key: str, /) -> str | None: ...


# --- tag rules -------------------------------------------------------------------------------


def is_drivable(tags: Tags) -> bool:
    highway = tags.get("highway")
    if highway not in DRIVABLE_HIGHWAYS:
        return False
    if highway == "service" and tags.get("service") in _EXCLUDED_SERVICE:
        return False
    if tags.get("area") == "yes":
        return False
    for key in _CAR_ACCESS_KEYS:
        value = tags.get(key)
        if value is not None:
            return value not in _NO_CAR_ACCESS
    return True


def parse_maxspeed(value: str | None) -> float | None:
    """km/h from an OSM maxspeed value, or None when it names no number we can trust."""
    if value is None:
        return None
    speeds = []
    for part in value.split(";"):
        match = _SPEED_RE.fullmatch(part.strip())
        if match is None:
            continue
        unit = (match[2] or "km/h").lower()
        kmh = round(float(match[1]) * _KMH_PER_UNIT[unit], 1)
        if 0 < kmh <= _MAX_PLAUSIBLE_KMH:
            speeds.append(kmh)
    return min(speeds) if speeds else None


def parse_lanes(value: str | None) -> int | None:
    if value is None or _LANES_RE.fullmatch(value.strip()) is None:
        return None
    lanes = int(value)
    return lanes if lanes > 0 else None


def parse_oneway(tags: Tags) -> Oneway:
    value = (tags.get("oneway") or "").strip().lower()
    if value in {"yes", "true", "1"}:
        return Oneway.forward
    if value in {"-1", "reverse"}:
        return Oneway.backward
    if value in {"no", "false", "0", "reversible", "alternating"}:
        return Oneway.no
    implied = tags.get("highway") in {"motorway", "motorway_link"} or tags.get("junction") in {
        "roundabout",
        "circular",
    }
    return Oneway.forward if implied else Oneway.no


def _name(tags: Tags, keys: Sequence[str] = _NAME_KEYS) -> str:
    for key in keys:
        value = (tags.get(key) or "").strip()
        if value:
            return value
    return ""


def road_from_tags(source_id: str, tags: Tags) -> Road:
    return Road(
        source_id=source_id,
        name=_name(tags, (*_NAME_KEYS, "ref")),
        highway=tags.get("highway") or "road",
        oneway=parse_oneway(tags),
        maxspeed_kmh=parse_maxspeed(tags.get("maxspeed")),
        lanes=parse_lanes(tags.get("lanes")),
        bridge=(tags.get("bridge") or "no").strip().lower() not in _NOT_BRIDGE,
    )


def _parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _kind_from_name(name: str) -> AreaKind | None:
    if name.endswith("街道"):
        return AreaKind.subdistrict
    if name.endswith("乡"):
        return AreaKind.township
    if name.endswith("镇"):
        return AreaKind.town
    if name.endswith(("社区", "村")):
        return AreaKind.community
    if name.endswith("县"):
        return AreaKind.county
    return None


def area_kind(admin_level: int | None, name: str) -> AreaKind:
    """The AreaKind of an administrative area, by OSM China's admin_level convention."""
    if admin_level == 6:
        return AreaKind.county
    if admin_level == 8:
        return _kind_from_name(name) or AreaKind.town
    if admin_level in (9, 10):
        return AreaKind.community
    if admin_level is None:
        return _kind_from_name(name) or AreaKind.other
    return AreaKind.other


# --- splitting lines into segments -----------------------------------------------------------


@dataclass
class _Line:
    """One unbroken run of a road's points, with the id of the node at each point."""

    road_index: int
    node_ids: list[int]
    lons: list[float]
    lats: list[float]

    def without_repeats(self) -> _Line:
        keep = [i for i, node in enumerate(self.node_ids) if i == 0 or node != self.node_ids[i - 1]]
        if len(keep) == len(self.node_ids):
            return self
        return _Line(
            self.road_index,
            [self.node_ids[i] for i in keep],
            [self.lons[i] for i in keep],
            [self.lats[i] for i in keep],
        )


def _assemble(
    roads: Sequence[Road],
    lines: Iterable[_Line],
    areas: Sequence[Area],
    progress: ProgressCallback | None,
) -> ParsedNetwork:
    """Cut the lines at intersections and measure the pieces. Roads left without a segment are
    dropped and the rest renumbered, so every road in the result has at least one segment."""
    usable = [line for line in (raw.without_repeats() for raw in lines) if len(line.node_ids) >= 2]
    if not usable:
        raise _no_roads()

    # All points of all lines end to end; vectorised so a county with millions of nodes is quick.
    sizes = np.fromiter((len(line.node_ids) for line in usable), dtype=np.int64, count=len(usable))
    line_ends = np.cumsum(sizes)
    line_starts = line_ends - sizes
    node_ids = np.fromiter(chain.from_iterable(line.node_ids for line in usable), dtype=np.int64)
    lons = np.fromiter(chain.from_iterable(line.lons for line in usable), dtype=np.float64)
    lats = np.fromiter(chain.from_iterable(line.lats for line in usable), dtype=np.float64)

    _, unique_index, uses = np.unique(node_ids, return_inverse=True, return_counts=True)
    is_cut = uses[unique_index] >= 2
    is_cut[line_starts] = True
    is_cut[line_ends - 1] = True

    _, _, step_m = _GEOD.inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
    step_m = np.asarray(step_m, dtype=np.float64)
    step_m[line_ends[:-1] - 1] = 0.0  # the step from one line's last point to the next line's first

    cuts = np.flatnonzero(is_cut)
    line_of_point = np.repeat(np.arange(len(usable)), sizes)
    within_line = line_of_point[cuts[:-1]] == line_of_point[cuts[1:]]
    starts = cuts[:-1][within_line]
    ends = cuts[1:][within_line]
    # Each sum runs to the next segment's start; the steps in between are the zeroed line joins.
    lengths = np.add.reduceat(step_m, starts)

    road_of_line = [line.road_index for line in usable]
    new_road_index: dict[int, int] = {}
    for old in road_of_line:
        new_road_index.setdefault(old, len(new_road_index))

    lon_list, lat_list, id_list = lons.tolist(), lats.tolist(), node_ids.tolist()
    line_list = line_of_point.tolist()
    nodes: dict[int, LonLat] = {}
    segments: list[Segment] = []
    total = len(starts)
    for start, end, length in zip(starts.tolist(), ends.tolist(), lengths.tolist(), strict=True):
        from_node, to_node = id_list[start], id_list[end]
        nodes[from_node] = (lon_list[start], lat_list[start])
        nodes[to_node] = (lon_list[end], lat_list[end])
        segments.append(
            Segment(
                road_index=new_road_index[road_of_line[line_list[start]]],
                from_node=from_node,
                to_node=to_node,
                coords=tuple(
                    zip(lon_list[start : end + 1], lat_list[start : end + 1], strict=True)
                ),
                length_m=length,
            )
        )
        if progress is not None and len(segments) % _PROGRESS_EVERY == 0:
            progress("segments", len(segments), total)
    if progress is not None:
        progress("segments", total, total)
    kept_roads = [roads[old] for old in new_road_index]
    return ParsedNetwork(roads=kept_roads, nodes=nodes, segments=segments, areas=list(areas))


def coordinate_node_id(lon: float, lat: float) -> int:
    """A node id derived from a point snapped to 1e-7°, so the same point always gets the same id.

    Packs the two fixed-point integers (lon 0..3.6e9 < 2**32, lat 0..1.8e9 < 2**31) into 63 bits
    and negates, so the id fits a signed 64-bit column and never collides with a (positive) OSM id.
    """
    lon_fixed = round(lon * _FIXED_PER_DEGREE) + 1_800_000_000
    lat_fixed = round(lat * _FIXED_PER_DEGREE) + 900_000_000
    return -((lon_fixed << 31) | lat_fixed) - 1


def network_from_polylines(
    roads: Sequence[Road],
    polylines: Iterable[tuple[int, Sequence[LonLat]]],
    areas: Sequence[Area] = (),
    progress: ProgressCallback | None = None,
) -> ParsedNetwork:
    """Build a network from (road index, points) lines that carry no node ids (GeoJSON, the demo
    county). Points that coincide after snapping to 1e-7° are one node, so lines that share an
    end or a vertex meet there; the node ids come from `coordinate_node_id`."""
    lines = []
    for road_index, points in polylines:
        lons = [round(lon, _COORDINATE_DECIMALS) for lon, _ in points]
        lats = [round(lat, _COORDINATE_DECIMALS) for _, lat in points]
        ids = [coordinate_node_id(lon, lat) for lon, lat in zip(lons, lats, strict=True)]
        lines.append(_Line(road_index, ids, lons, lats))
    return _assemble(roads, lines, areas, progress)


# --- OSM (.pbf / XML) -------------------------------------------------------------------------


def _located_runs(road_index: int, way_nodes: Iterable[osmium.osm.NodeRef]) -> Iterator[_Line]:
    """The way's runs of nodes whose location the file provides (clipped extracts lack some)."""
    run = _Line(road_index, [], [], [])
    for node in way_nodes:
        location = node.location
        if location.valid():
            run.node_ids.append(node.ref)
            run.lons.append(location.lon)
            run.lats.append(location.lat)
        elif run.node_ids:
            yield run
            run = _Line(road_index, [], [], [])
    if run.node_ids:
        yield run


def _osm_area(area: osmium.osm.Area, factory: osmium.geom.GeoJSONFactory) -> Area | None:
    tags = area.tags
    name = _name(tags)
    admin_level = _parse_int(tags.get("admin_level"))
    if not name or admin_level is None:
        return None
    try:
        geometry = orjson.loads(factory.create_multipolygon(area))
    except RuntimeError:  # osmium assembled the area but could not make a polygon of it
        return None
    return Area(
        source_id=("w" if area.from_way() else "r") + str(area.orig_id()),
        name=name,
        kind=area_kind(admin_level, name),
        admin_level=admin_level,
        geometry=geometry,
    )


def _read_osm(path: Path, file_format: str, progress: ProgressCallback | None) -> ParsedNetwork:
    boundaries = ("boundary", "administrative")
    highway_ways = osmium.filter.KeyFilter("highway")
    highway_ways.enable_for(osmium.osm.WAY)
    boundary_areas = osmium.filter.TagFilter(boundaries)
    boundary_areas.enable_for(osmium.osm.AREA)
    # Node locations are cached in memory (osmium's flex_mem index: sparse for small extracts,
    # dense for large ones); only highway ways and boundary areas ever reach Python.
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), file_format))
        .with_locations()
        .with_areas(osmium.filter.TagFilter(boundaries))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY | osmium.osm.AREA))
        .with_filter(highway_ways)
        .with_filter(boundary_areas)
    )
    factory = osmium.geom.GeoJSONFactory()
    roads: list[Road] = []
    lines: list[_Line] = []
    areas: list[Area] = []
    ways_read = 0
    try:
        for obj in processor:
            if isinstance(obj, osmium.osm.Way):
                ways_read += 1
                if progress is not None and ways_read % _PROGRESS_EVERY == 0:
                    progress("ways", ways_read, None)
                if is_drivable(obj.tags):
                    lines.extend(_located_runs(len(roads), obj.nodes))
                    roads.append(road_from_tags(f"w{obj.id}", obj.tags))
            elif isinstance(obj, osmium.osm.Area):
                area = _osm_area(obj, factory)
                if area is not None:
                    areas.append(area)
                    if progress is not None:
                        progress("areas", len(areas), None)
    except (RuntimeError, OSError, osmium.InvalidLocationError) as error:
        raise NetworkFileError(
            "geo.osm_corrupt",
            f"OSM 文件已损坏或不完整:{error}",
            f"The OSM file is corrupt or truncated: {error}",
        ) from error
    if progress is not None:
        progress("ways", ways_read, ways_read)
    return _assemble(roads, lines, areas, progress)


# --- GeoJSON ----------------------------------------------------------------------------------

# Values of a polygon feature's `kind` or `level` property.
_AREA_KIND_WORDS: Mapping[str, AreaKind] = {
    **{kind.value: kind for kind in AreaKind},
    "县": AreaKind.county,
    "区": AreaKind.county,
    "镇": AreaKind.town,
    "乡": AreaKind.township,
    "街道": AreaKind.subdistrict,
    "社区": AreaKind.community,
    "村": AreaKind.community,
}


def _geojson_invalid(zh: str, en: str) -> NetworkFileError:
    return NetworkFileError("geo.geojson_invalid", f"GeoJSON 无效:{zh}", f"Invalid GeoJSON: {en}")


def _as_tags(properties: Mapping[str, Any]) -> dict[str, str]:
    """GeoJSON properties as OSM-style string tags (true → "yes", 50.0 → "50")."""
    tags = {}
    for key, value in properties.items():
        if isinstance(value, bool):
            tags[key] = "yes" if value else "no"
        elif isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            tags[key] = str(int(value))
        elif isinstance(value, float | str):
            tags[key] = str(value)
    return tags


def _position(value: Any, where: str) -> LonLat:
    if (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in value[:2])
    ):
        lon, lat = float(value[0]), float(value[1])
        if math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90:
            return lon, lat
    raise _geojson_invalid(
        f"{where} 的坐标不是经纬度 [lon, lat]", f"{where} has a coordinate that is not [lon, lat]"
    )


def _positions(value: Any, where: str) -> list[LonLat]:
    if not isinstance(value, list):
        raise _geojson_invalid(f"{where} 的坐标不是数组", f"{where} coordinates are not an array")
    return [_position(item, where) for item in value]


def _ring_lists(value: Any, where: str) -> list[list[list[float]]]:
    """A polygon's rings as [[lon, lat], ...] lists, each closed and of at least 4 positions."""
    if not isinstance(value, list) or not value:
        raise _geojson_invalid(f"{where} 不是多边形", f"{where} is not a polygon")
    rings = []
    for ring in value:
        points = _positions(ring, where)
        if len(points) < 4 or points[0] != points[-1]:
            raise _geojson_invalid(f"{where} 的环未闭合", f"{where} has a ring that is not closed")
        rings.append([[lon, lat] for lon, lat in points])
    return rings


def _geojson_area_kind(tags: Mapping[str, str], name: str) -> tuple[AreaKind, int | None]:
    admin_level = _parse_int(tags.get("admin_level"))
    for key in ("kind", "level"):
        value = (tags.get(key) or "").strip()
        kind = _AREA_KIND_WORDS.get(value.lower())
        if kind is not None:
            return kind, admin_level
        if key == "level" and admin_level is None:
            admin_level = _parse_int(value)
    return area_kind(admin_level, name), admin_level


def _read_geojson(raw: bytes, progress: ProgressCallback | None) -> ParsedNetwork:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise _geojson_invalid(f"JSON 语法错误:{error}", f"not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise _geojson_invalid("顶层不是对象", "the top level is not an object")
    crs_name = str(((document.get("crs") or {}).get("properties") or {}).get("name", "CRS84"))
    if not crs_name.endswith(("CRS84", "4326")):
        raise _geojson_invalid(
            f"坐标系 {crs_name} 不受支持,请使用 WGS-84 经纬度",
            f"coordinate system {crs_name} is not supported; use WGS-84 longitude/latitude",
        )
    if document.get("type") == "FeatureCollection" and isinstance(document.get("features"), list):
        features = document["features"]
    elif document.get("type") == "Feature":
        features = [document]
    else:
        raise _geojson_invalid(
            "应为 FeatureCollection 或 Feature", "expected a FeatureCollection or a Feature"
        )

    roads: list[Road] = []
    polylines: list[tuple[int, list[LonLat]]] = []
    areas: list[Area] = []
    for number, feature in enumerate(features, start=1):
        where = f"feature {number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise _geojson_invalid(f"第 {number} 项不是 Feature", f"{where} is not a Feature")
        geometry = feature.get("geometry")
        properties = feature.get("properties") or {}
        if not isinstance(geometry, dict) or not isinstance(properties, dict):
            continue  # null geometry is allowed by RFC 7946 and carries nothing we can use
        tags = _as_tags(properties)
        kind, coordinates = geometry.get("type"), geometry.get("coordinates")
        if kind in ("LineString", "MultiLineString"):
            tags.setdefault("highway", "road")
            if not is_drivable(tags):
                continue
            parts = [coordinates] if kind == "LineString" else coordinates
            if not isinstance(parts, list):
                raise _geojson_invalid(
                    f"{where} 的坐标不是数组", f"{where} coordinates are not an array"
                )
            for part in parts:
                polylines.append((len(roads), _positions(part, where)))
            roads.append(road_from_tags(f"f{number}", tags))
        elif kind in ("Polygon", "MultiPolygon") and _name(tags):
            polygons = [coordinates] if kind == "Polygon" else coordinates
            if not isinstance(polygons, list):
                raise _geojson_invalid(f"{where} 不是多边形", f"{where} is not a polygon")
            rings = [_ring_lists(polygon, where) for polygon in polygons]
            area_name = _name(tags)
            area_kind_, admin_level = _geojson_area_kind(tags, area_name)
            areas.append(
                Area(
                    source_id=f"f{number}",
                    name=area_name,
                    kind=area_kind_,
                    admin_level=admin_level,
                    geometry={
                        "type": kind,
                        "coordinates": rings[0] if kind == "Polygon" else rings,
                    },
                )
            )
        if progress is not None and number % _PROGRESS_EVERY == 0:
            progress("ways", number, len(features))
    if progress is not None:
        progress("ways", len(features), len(features))
    return network_from_polylines(roads, polylines, areas, progress)


# --- entry point ------------------------------------------------------------------------------

# Longest suffix first, so ".osm.pbf" is not taken for ".pbf" and ".osm.gz" not for ".gz".
_FORMATS_BY_SUFFIX = (
    (".osm.pbf", "pbf"),
    (".osm.bz2", "osm.bz2"),
    (".osm.gz", "osm.gz"),
    (".geojson", "geojson"),
    (".json", "geojson"),
    (".pbf", "pbf"),
    (".osm", "osm"),
)
_SNIFF_BYTES = 4096


def _looks_like(file_format: str, head: bytes) -> bool:
    """Whether the first bytes fit the format, so a renamed PNG or text file is told apart from a
    damaged OSM file."""
    if file_format == "pbf":
        # A 4-byte big-endian length, then the first BlobHeader, whose type is "OSMHeader".
        header_size = int.from_bytes(head[:4], "big")
        return 0 < header_size < 64 * 1024 and b"OSMHeader" in head[4 : 4 + header_size]
    if file_format == "osm.bz2":
        return head.startswith(b"BZh")
    if file_format == "osm.gz":
        return head.startswith(b"\x1f\x8b")
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if file_format == "osm":
        return text.startswith(b"<") and b"<osm" in text
    return text.startswith(b"{")  # GeoJSON: always an object


def read_network(path: Path, progress: ProgressCallback | None = None) -> ParsedNetwork:
    """Read the drivable road network and administrative areas from `path`.

    The format comes from the name's suffix and is checked against the file's first bytes. Raises
    NetworkFileError (and nothing else) when the file cannot be read or holds no drivable road.
    """
    lowered = path.name.lower()
    file_format = next(
        (fmt for suffix, fmt in _FORMATS_BY_SUFFIX if lowered.endswith(suffix)), None
    )
    if file_format is None:
        raise _bad_format(
            "不支持的文件类型,请使用 .osm.pbf、.osm(可为 .bz2/.gz 压缩)或 .geojson",
            "Unsupported file type; use .osm.pbf, .osm (optionally .bz2/.gz) or .geojson",
        )
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
            raw = head + file.read() if file_format == "geojson" else b""
    except OSError as error:
        raise NetworkFileError(
            "geo.file_unreadable",
            f"无法读取文件:{error.strerror or error}",
            f"Cannot read the file: {error.strerror or error}",
        ) from error
    if not head:
        raise _bad_format("文件为空", "The file is empty")
    if not _looks_like(file_format, head):
        raise _bad_format(
            f"文件内容不是 {file_format} 格式(可能是扩展名不对)",
            f"The file's content is not {file_format} (wrong extension?)",
        )
    if file_format == "geojson":
        return _read_geojson(raw, progress)
    return _read_osm(path, file_format, progress)
