"""The generated demo county: a road network in the shape of a Yangtze county seat and its towns.

No OSM extract of Yunyang is available offline, so the demo makes one up. It is placed around the
county seat's published coordinate (108.70 E, 30.93 N, WGS-84) and uses Yunyang's real road,
subdistrict and township names (reference/DOMAIN.md §6), but every line is generated: the river's
course, the street grid and the roads do not follow the real ones. Screens that show it must show
`DEMO_LABEL_ZH` / `DEMO_LABEL_EN`.

What is generated (seeded, so the same seed gives the same county):

- the Yangtze, running west to east with a gentle meander;
- the county seat on the north bank: a riverside avenue (滨江大道), a grid of named streets that
  thins out uphill, some one-way pairs and unnamed service lanes inside blocks; split into three
  subdistricts (街道);
- a smaller south-bank district (the fourth 街道), joined to the seat by one bridge (长江大桥), the
  only road that crosses the river;
- eight townships (镇/乡) 7-23 km away, each a small street grid, joined to the seat by winding
  county roads (two of them through named tunnels) and to each other by one link road.

Every road's source_id starts with "demo:". Two-way roads and the one-way pairs are laid out so
that every node can reach every other (one strongly connected component).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from pyproj import Transformer

from patrolgrid.geo.network import Area, AreaKind, LonLat, Oneway, ParsedNetwork, Road
from patrolgrid.geo.osm import network_from_polylines
from patrolgrid.roads.models import GENERATED_LABEL_EN, GENERATED_LABEL_ZH

DEMO_LABEL_ZH = GENERATED_LABEL_ZH
DEMO_LABEL_EN = GENERATED_LABEL_EN

CENTRE_LONLAT: LonLat = (108.70, 30.93)  # county seat, 双江街道 (DOMAIN.md §6, ±1 km)
DEFAULT_SEED = 20230724  # the date of the source article

# Real Yunyang road names (DOMAIN.md §6: the source article and two local notices).
REAL_STREET_NAMES: tuple[str, ...] = (
    "滨江大道",
    "云江大道",
    "青龙路",
    "大雁路",
    "杏花路",
    "杏湾路",
    "迎宾大道",
    "北城大道",
    "凤翔路",
    "紫荆大道",
    "体育路",
    "紫纱路",
    "稻香路",
    "沙滨路",
    "三合路",
    "五同路",
    "移民大道",
    "唐坊路",
    "香山路",
)
REAL_ROUTE_NAMES: tuple[str, ...] = (
    "G348",
    "万云滨江快速路",
    "长江大桥",
    "灯笼石隧道",
    "谭家岩隧道",
)

# Common Chinese street names, used where the grid needs more streets than we have real names for.
GENERATED_STREET_NAMES: tuple[str, ...] = (
    "人民路",
    "新城路",
    "文化路",
    "建设路",
    "学府路",
    "健康路",
    "和平路",
    "育才路",
    "广场路",
    "环城路",
    "兴业路",
    "朝阳路",
    "桂园路",
    "锦绣路",
    "春晖路",
    "明月路",
    "翠屏路",
    "长兴路",
    "滨河路",
    "复兴路",
    "银杏路",
    "康宁路",
    "青年路",
    "宏图路",
    "梧桐路",
    "江南大道",
    "南山路",
    "望江路",
)

# --- layout, in metres east (x) and north (y) of CENTRE_LONLAT ---------------------------------

# An azimuthal equidistant projection centred on the seat: metres in, metres out, no distortion
# that matters at 25 km.
_LOCAL_CRS = f"+proj=aeqd +lon_0={CENTRE_LONLAT[0]} +lat_0={CENTRE_LONLAT[1]} +datum=WGS84 +units=m"
_RIVER_HALF_EXTENT_M = 25_000.0
_RIVER_STEP_M = 250.0
_RIVER_EDGE_STEP_M = 50.0
_BANK_OFFSET_M = 420.0  # river centre line to the riverside road; the river is ~700 m wide

_SEAT_COLUMNS = 21  # north-south streets, 250 m apart, centred on x = 0
_SEAT_ROWS = 12  # west-east streets, following the river, 180 m apart
_SEAT_COLUMN_SPACING_M = 250.0
_SEAT_ROW_SPACING_M = 180.0
_SOUTH_COLUMNS = 9
_SOUTH_ROWS = 4
_TOWN_SPACING_M = 160.0
_JITTER_M = 15.0
_LANE_SHARE = 0.5  # share of city blocks with a service lane through them


class _Street(NamedTuple):
    name: str
    highway: str
    maxspeed_kmh: int
    lanes: int
    oneway: Oneway = Oneway.no


# South to north; row 0 is the riverside avenue.
_SEAT_ROW_STREETS: tuple[_Street, ...] = (
    _Street("滨江大道", "primary", 60, 6),
    _Street("云江大道", "secondary", 50, 4),
    _Street("青龙路", "tertiary", 40, 2, Oneway.forward),  # a one-way pair: eastbound
    _Street("大雁路", "tertiary", 40, 2, Oneway.backward),  # westbound
    _Street("移民大道", "secondary", 50, 4),
    _Street("凤翔路", "residential", 30, 2),
    _Street("紫荆大道", "secondary", 50, 4),
    _Street("体育路", "residential", 30, 2),
    _Street("稻香路", "residential", 30, 2),
    _Street("北城大道", "secondary", 50, 4),
    _Street("五同路", "residential", 30, 2),
    _Street("香山路", "residential", 30, 2),
)
# Named columns by index (x = (index - 10) * 250 m); the rest get generated names.
_SEAT_COLUMN_STREETS: dict[int, _Street] = {
    10: _Street("迎宾大道", "secondary", 50, 4),  # continues the bridge north
    9: _Street("杏花路", "tertiary", 40, 2, Oneway.forward),  # a one-way pair: northbound
    11: _Street("杏湾路", "tertiary", 40, 2, Oneway.backward),  # southbound
    8: _Street("紫纱路", "tertiary", 40, 2),
    12: _Street("三合路", "tertiary", 40, 2),
    7: _Street("唐坊路", "residential", 30, 2),
}
_SOUTH_ROW_STREETS: tuple[_Street, ...] = (
    _Street("沙滨路", "tertiary", 40, 2),
    _Street("江南大道", "secondary", 50, 4),
    _Street("南山路", "residential", 30, 2),
    _Street("望江路", "residential", 30, 2),
)

_TOWN_ROW_SUFFIXES = ("正街", "新街", "老街", "上街", "下街")
_CHINESE_NUMERALS = "一二三四五六七八九"


@dataclass(frozen=True)
class Township:
    key: str  # ASCII, for source ids
    name: str
    short: str  # the name without 镇/乡, for street names
    kind: AreaKind
    centre_m: tuple[float, float]
    rows: int
    columns: int


# Real Yunyang townships (DOMAIN.md §6 lists 黄石镇; the others are among the county's 31 镇 and
# 7 乡). Their positions here are generated, not their real ones.
TOWNSHIPS: tuple[Township, ...] = (
    Township("huangshi", "黄石镇", "黄石", AreaKind.town, (1_200, 7_500), 5, 6),
    Township("jiangkou", "江口镇", "江口", AreaKind.town, (-17_000, 3_500), 5, 7),
    Township("fengming", "凤鸣镇", "凤鸣", AreaKind.town, (-8_000, 12_500), 4, 6),
    Township("nanxi", "南溪镇", "南溪", AreaKind.town, (9_500, 16_000), 5, 7),
    Township("hongshi", "红狮镇", "红狮", AreaKind.town, (17_500, 2_500), 4, 6),
    Township("longjiao", "龙角镇", "龙角", AreaKind.town, (-1_500, 23_000), 4, 5),
    Township("guling", "故陵镇", "故陵", AreaKind.town, (15_000, -9_000), 4, 6),
    Township("qingshui", "清水土家族乡", "清水", AreaKind.township, (-12_000, -12_000), 3, 5),
)
TOWNSHIPS_BY_KEY = {town.key: town for town in TOWNSHIPS}
_TOWN_AREA_RADIUS_M = 2_600.0

# The seat's subdistricts (DOMAIN.md §6 lists the four 街道; how they divide the town is made up):
# three side by side on the north bank, between these eastings (m), and one on the south bank.
_NORTH_BANK_SUBDISTRICTS = (
    ("qinglong", "青龙街道", -2_650.0, -750.0),
    ("shuangjiang", "双江街道", -750.0, 1_000.0),
    ("renhe", "人和街道", 1_000.0, 2_650.0),
)
_SOUTH_BANK_SUBDISTRICT = ("panlong", "盘龙街道")

BRIDGE_KEY = "bridge-changjiang"

Point = tuple[float, float]


@dataclass(frozen=True)
class DemoCounty:
    """The generated network, plus what grid design needs to treat the river as a barrier."""

    network: ParsedNetwork
    river: dict[str, Any]  # GeoJSON Feature: the river's centre line (LineString), name 长江
    bridges: list[str]  # source_ids of the roads that cross the river


def river_y(x: float) -> float:
    """The river centre line's northing (m) at easting x: about 1 km south of the seat centre."""
    return -1_000.0 + 300.0 * math.sin(x / 5_000.0)


class _Builder:
    """Collects roads as metre polylines, then projects and splits them in one go."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)  # noqa: S311 - layout noise, not security
        self.roads: list[Road] = []
        self.polylines: list[tuple[int, list[Point]]] = []
        self.areas: list[tuple[str, str, AreaKind, list[Point]]] = []  # key, name, kind, ring
        self._generated_names: Iterator[str] = iter(GENERATED_STREET_NAMES)

    def next_generated_name(self) -> str:
        # Raises StopIteration if the layout ever outgrows the list: add names then.
        return next(self._generated_names)

    def jitter(self) -> Point:
        return (
            self.random.uniform(-_JITTER_M, _JITTER_M),
            self.random.uniform(-_JITTER_M, _JITTER_M),
        )

    def road(
        self,
        key: str,
        name: str,
        highway: str,
        maxspeed: float | None,
        lanes: int | None,
        points: Sequence[Point],
        oneway: Oneway = Oneway.no,
        *,
        bridge: bool = False,
    ) -> None:
        self.polylines.append((len(self.roads), list(points)))
        speed = float(maxspeed) if maxspeed is not None else None
        self.roads.append(Road(f"demo:{key}", name, highway, oneway, speed, lanes, bridge))

    def street(self, key: str, street: _Street, points: Sequence[Point]) -> None:
        name, highway, maxspeed, lanes, oneway = street
        self.road(key, name, highway, maxspeed, lanes, points, oneway)

    def area(self, key: str, name: str, kind: AreaKind, ring: list[Point]) -> None:
        self.areas.append((key, name, kind, ring))

    def finish(self) -> DemoCounty:
        """Project everything from metres to WGS-84 and cut the roads into segments."""
        to_lonlat = Transformer.from_crs(_LOCAL_CRS, "EPSG:4326", always_xy=True)

        def project(points: Sequence[Point]) -> list[LonLat]:
            lons, lats = to_lonlat.transform([x for x, _ in points], [y for _, y in points])
            return list(zip(lons, lats, strict=True))

        areas = [
            Area(
                source_id=f"demo:area-{key}",
                name=name,
                kind=kind,
                admin_level=8,
                geometry={"type": "Polygon", "coordinates": [[list(p) for p in project(ring)]]},
            )
            for key, name, kind, ring in self.areas
        ]
        polylines = [(road_index, project(points)) for road_index, points in self.polylines]
        network = network_from_polylines(self.roads, polylines, areas)
        river_points = [
            (x, river_y(x))
            for x in (
                -_RIVER_HALF_EXTENT_M + i * _RIVER_STEP_M
                for i in range(round(2 * _RIVER_HALF_EXTENT_M / _RIVER_STEP_M) + 1)
            )
        ]
        river = {
            "type": "Feature",
            "properties": {"name": "长江", "generated": True},
            "geometry": {
                "type": "LineString",
                "coordinates": [list(p) for p in project(river_points)],
            },
        }
        return DemoCounty(network=network, river=river, bridges=[f"demo:{BRIDGE_KEY}"])


def _grid_streets(
    builder: _Builder,
    prefix: str,
    nodes: dict[tuple[int, int], Point],
    row_streets: Sequence[_Street],
    column_streets: dict[int, _Street],
) -> None:
    """Rows (west to east) and columns (south to north) through a grid's nodes, plus service lanes
    through some blocks. A row passes each block's midpoint, so a lane can meet it there."""
    columns = sorted({j for j, _ in nodes})
    rows = sorted({k for _, k in nodes})

    def midpoint(j: int, k: int) -> Point:
        (x1, y1), (x2, y2) = nodes[(j, k)], nodes[(j + 1, k)]
        return ((x1 + x2) / 2, (y1 + y2) / 2)

    for k in rows:
        span = [j for j in columns if (j, k) in nodes]
        points: list[Point] = []
        for j in span:
            points.append(nodes[(j, k)])
            if (j + 1, k) in nodes:
                points.append(midpoint(j, k))
        builder.street(f"{prefix}-ew-{k:02d}", row_streets[k], points)
    for j in columns:
        points = [nodes[(j, k)] for k in rows if (j, k) in nodes]
        builder.street(f"{prefix}-ns-{j:02d}", column_streets[j], points)
    lane_number = 0
    for j in columns:
        for k in rows:
            block = ((j, k), (j + 1, k), (j, k + 1), (j + 1, k + 1))
            if all(corner in nodes for corner in block) and builder.random.random() < _LANE_SHARE:
                lane_number += 1
                builder.road(
                    f"{prefix}-lane-{lane_number:03d}",
                    "",
                    "service",
                    None,
                    None,
                    [midpoint(j, k), midpoint(j, k + 1)],
                )


def _seat(builder: _Builder) -> tuple[dict[tuple[int, int], Point], dict[tuple[int, int], Point]]:
    """The county seat (north bank) and the south-bank district, joined by the bridge."""
    centre = _SEAT_COLUMNS // 2
    seat: dict[tuple[int, int], Point] = {}
    for j in range(_SEAT_COLUMNS):
        x = (j - centre) * _SEAT_COLUMN_SPACING_M
        # The town climbs the hillside: the grid is deepest in the centre.
        depth = _SEAT_ROWS - 1 - (5 * abs(j - centre)) // centre
        for k in range(depth + 1):
            dx, dy = builder.jitter() if k > 0 else (0.0, 0.0)
            seat[(j, k)] = (x + dx, river_y(x) + _BANK_OFFSET_M + k * _SEAT_ROW_SPACING_M + dy)
    seat_columns = {
        j: _SEAT_COLUMN_STREETS.get(j)
        or _Street(builder.next_generated_name(), "residential", 30, 2)
        for j in range(_SEAT_COLUMNS)
    }
    _grid_streets(builder, "seat", seat, _SEAT_ROW_STREETS, seat_columns)

    south_centre = _SOUTH_COLUMNS // 2
    south: dict[tuple[int, int], Point] = {}
    for i in range(_SOUTH_COLUMNS):
        x = (i - south_centre) * _SEAT_COLUMN_SPACING_M
        for k in range(_SOUTH_ROWS):
            dx, dy = builder.jitter() if k > 0 else (0.0, 0.0)
            south[(i, k)] = (x + dx, river_y(x) - _BANK_OFFSET_M - k * _SEAT_ROW_SPACING_M + dy)
    south_columns = {
        i: _Street(builder.next_generated_name(), "residential", 30, 2)
        for i in range(_SOUTH_COLUMNS)
    }
    _grid_streets(builder, "south", south, _SOUTH_ROW_STREETS, south_columns)

    bridge = [seat[(centre, 0)], (0.0, river_y(0.0)), south[(south_centre, 0)]]
    builder.road(BRIDGE_KEY, "长江大桥", "primary", 60, 4, bridge, bridge=True)
    return seat, south


def _town(builder: _Builder, town: Township) -> dict[tuple[int, int], Point]:
    cx, cy = town.centre_m
    nodes: dict[tuple[int, int], Point] = {}
    for j in range(town.columns):
        for k in range(town.rows):
            dx, dy = builder.jitter()
            nodes[(j, k)] = (
                cx + (j - (town.columns - 1) / 2) * _TOWN_SPACING_M + dx,
                cy + (k - (town.rows - 1) / 2) * _TOWN_SPACING_M + dy,
            )
    # The middle row is the main street (正街); the others and the lanes (巷) are residential.
    main_row = town.rows // 2
    other_suffixes = iter(_TOWN_ROW_SUFFIXES[1:])
    rows = [
        _Street(f"{town.short}正街", "tertiary", 40, 2)
        if k == main_row
        else _Street(f"{town.short}{next(other_suffixes)}", "residential", 30, 2)
        for k in range(town.rows)
    ]
    columns = {
        j: _Street(f"{town.short}{_CHINESE_NUMERALS[j]}巷", "residential", 30, 2)
        for j in range(town.columns)
    }
    _grid_streets(builder, f"town-{town.key}", nodes, rows, columns)
    return nodes


def _winding(builder: _Builder, start: Point, end: Point, bank: int) -> list[Point]:
    """A county road from start to end: vertices every ~300 m, meandering sideways, kept on one
    side of the river (bank +1 north, -1 south) at least the riverside road's distance away."""
    (x1, y1), (x2, y2) = start, end
    length = math.hypot(x2 - x1, y2 - y1)
    steps = max(2, round(length / 300))
    normal = (-(y2 - y1) / length, (x2 - x1) / length)
    amplitude = min(0.08 * length, 900.0) * builder.random.uniform(0.5, 1.0)
    waves = builder.random.choice((2, 3))
    phase = builder.random.uniform(0, math.pi)
    points = [start]
    for step in range(1, steps):
        t = step / steps
        offset = amplitude * math.sin(math.pi * t) * math.sin(waves * math.pi * t + phase)
        x = x1 + t * (x2 - x1) + normal[0] * offset
        y = y1 + t * (y2 - y1) + normal[1] * offset
        bank_y = river_y(x) + bank * _BANK_OFFSET_M
        y = max(y, bank_y) if bank > 0 else min(y, bank_y)
        points.append((x, y))
    points.append(end)
    return points


class _Link(NamedTuple):
    """A county road from a point of the seat to the nearest street corner of a township."""

    key: str
    name: str
    highway: str
    maxspeed: int
    start: Point
    town_key: str
    bank: int  # +1 north of the river, -1 south
    tunnel: tuple[str, str] | None = None  # key and name of a tunnel in its middle


def _nearest(nodes: dict[tuple[int, int], Point], target: Point) -> Point:
    return min(nodes.values(), key=lambda p: math.hypot(p[0] - target[0], p[1] - target[1]))


def _county_road(
    builder: _Builder,
    key: str,
    name: str,
    highway: str,
    maxspeed: int,
    points: list[Point],
    tunnel: tuple[str, str] | None = None,
) -> None:
    """A county road; with a tunnel, its middle tenth is a straight, separately named piece."""
    lanes = 4 if highway in ("trunk", "primary") else 2
    if tunnel is None:
        builder.road(key, name, highway, maxspeed, lanes, points)
        return
    tunnel_key, tunnel_name = tunnel
    enter, leave = round(len(points) * 0.45), round(len(points) * 0.55)
    builder.road(f"{key}-1", name, highway, maxspeed, lanes, points[: enter + 1])
    builder.road(tunnel_key, tunnel_name, highway, 40, lanes, [points[enter], points[leave]])
    builder.road(f"{key}-2", name, highway, maxspeed, lanes, points[leave:])


def _octagon(builder: _Builder, centre: Point, radius: float) -> list[Point]:
    cx, cy = centre
    ring = []
    for corner in range(8):
        angle = corner * math.pi / 4 + math.pi / 8
        r = radius * builder.random.uniform(0.85, 1.15)
        ring.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return [*ring, ring[0]]


def _bank_polygon(west: float, east: float, far_y: float) -> list[Point]:
    """A ring from the river's centre line (between eastings west and east) to northing far_y,
    counter-clockwise as RFC 7946 asks."""
    # Vertices on a fixed 50 m lattice, so neighbouring polygons share their river edge exactly.
    lattice = range(math.ceil(west / _RIVER_EDGE_STEP_M), math.floor(east / _RIVER_EDGE_STEP_M) + 1)
    xs = sorted({west, east, *(i * _RIVER_EDGE_STEP_M for i in lattice)})
    ring = [*((x, river_y(x)) for x in xs), (east, far_y), (west, far_y)]
    if far_y < river_y(west):  # south bank: the same walk would be clockwise
        ring.reverse()
    return [*ring, ring[0]]


def generate_demo_county(seed: int = DEFAULT_SEED) -> DemoCounty:
    """The demo county for `seed`; the same seed always gives an equal result."""
    builder = _Builder(seed)
    seat, south = _seat(builder)
    towns = {town.key: _town(builder, town) for town in TOWNSHIPS}

    def top_of_column(j: int) -> Point:
        return seat[(j, max(k for jj, k in seat if jj == j))]

    def town_gate(key: str, towards: Point) -> Point:
        return _nearest(towns[key], towards)

    centre = _SEAT_COLUMNS // 2
    west_end, east_end = seat[(0, 0)], seat[(_SEAT_COLUMNS - 1, 0)]
    south_west, south_east = south[(0, 0)], south[(_SOUTH_COLUMNS - 1, 0)]
    north, south_bank = 1, -1
    links = [
        _Link(
            "road-huangshi",
            "黄石公路",
            "secondary",
            60,
            top_of_column(centre),
            "huangshi",
            north,
            ("tunnel-denglongshi", "灯笼石隧道"),
        ),
        _Link(
            "road-nanxi",
            "南溪公路",
            "secondary",
            60,
            top_of_column(_SEAT_COLUMNS - 3),
            "nanxi",
            north,
            ("tunnel-tanjiayan", "谭家岩隧道"),
        ),
        _Link("road-fengming", "凤鸣公路", "tertiary", 50, top_of_column(2), "fengming", north),
        _Link("road-wanyun", "万云滨江快速路", "trunk", 80, west_end, "jiangkou", north),
        _Link("road-g348", "G348", "primary", 70, east_end, "hongshi", north),
        _Link("road-guling", "故陵公路", "secondary", 60, south_east, "guling", south_bank),
        _Link("road-qingshui", "清水公路", "tertiary", 50, south_west, "qingshui", south_bank),
    ]
    for link in links:
        points = _winding(builder, link.start, town_gate(link.town_key, link.start), link.bank)
        _county_road(builder, link.key, link.name, link.highway, link.maxspeed, points, link.tunnel)
    # Town to town: 黄石 on to 龙角, and a link 凤鸣–江口 that closes a loop in the west.
    for key, name, from_town, to_town in (
        ("road-longjiao", "龙角公路", "huangshi", "longjiao"),
        ("road-fengjiang", "凤鸣—江口公路", "fengming", "jiangkou"),
    ):
        start = town_gate(from_town, TOWNSHIPS_BY_KEY[to_town].centre_m)
        end = town_gate(to_town, start)
        _county_road(builder, key, name, "tertiary", 50, _winding(builder, start, end, north))

    seat_top = max(y for _, y in seat.values()) + 300.0
    for key, name, west, east in _NORTH_BANK_SUBDISTRICTS:
        builder.area(key, name, AreaKind.subdistrict, _bank_polygon(west, east, seat_top))
    south_half_width = (_SOUTH_COLUMNS // 2 + 1) * _SEAT_COLUMN_SPACING_M
    south_bottom = min(y for _, y in south.values()) - 300.0
    key, name = _SOUTH_BANK_SUBDISTRICT
    polygon = _bank_polygon(-south_half_width, south_half_width, south_bottom)
    builder.area(key, name, AreaKind.subdistrict, polygon)
    for town in TOWNSHIPS:
        polygon = _octagon(builder, town.centre_m, _TOWN_AREA_RADIUS_M)
        builder.area(town.key, town.name, town.kind, polygon)
    return builder.finish()
