"""The generated demo county: deterministic, connected, in place, named from DOMAIN.md."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely import STRtree
from shapely.geometry import LineString, Point, shape

from patrolgrid.demo.county import (
    CENTRE_LONLAT,
    DEFAULT_SEED,
    GENERATED_STREET_NAMES,
    REAL_ROUTE_NAMES,
    REAL_STREET_NAMES,
    TOWNSHIPS,
    DemoCounty,
    generate_demo_county,
)
from patrolgrid.geo.network import AreaKind, Oneway, ParsedNetwork

DOMAIN_MD = Path(__file__).resolve().parents[3] / "shared" / "reference" / "DOMAIN.md"
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def county() -> DemoCounty:
    return generate_demo_county()


def _strong_components(network: ParsedNetwork) -> int:
    """Strongly connected components of the directed graph the segments make, honouring oneway."""
    index = {node: i for i, node in enumerate(network.nodes)}
    sources, targets = [], []
    for segment in network.segments:
        a, b = index[segment.from_node], index[segment.to_node]
        oneway = network.roads[segment.road_index].oneway
        if oneway is not Oneway.backward:
            sources.append(a)
            targets.append(b)
        if oneway is not Oneway.forward:
            sources.append(b)
            targets.append(a)
    size = len(index)
    graph = coo_matrix((np.ones(len(sources)), (sources, targets)), shape=(size, size))
    count, _ = connected_components(graph, directed=True, connection="strong")
    return int(count)


def test_deterministic(county: DemoCounty) -> None:
    assert generate_demo_county() == county
    other = generate_demo_county(seed=DEFAULT_SEED + 1)
    assert other.network.nodes != county.network.nodes  # the seed does move things
    assert len(other.network.roads) > 0


@pytest.mark.parametrize("seed", [DEFAULT_SEED, 1, 2])
def test_strongly_connected(seed: int) -> None:
    network = generate_demo_county(seed).network
    assert any(road.oneway is not Oneway.no for road in network.roads)
    assert _strong_components(network) == 1


def test_size_and_length(county: DemoCounty) -> None:
    network = county.network
    assert 1_000 <= len(network.segments) <= 3_000
    assert 200 <= network.total_km <= 400
    assert all(segment.length_m > 0 for segment in network.segments)
    print(f"demo county: {len(network.segments)} segments, {network.total_km:.1f} km")


def test_within_the_county(county: DemoCounty) -> None:
    points = [p for segment in county.network.segments for p in segment.coords]
    lons, lats = zip(*points, strict=True)
    assert min(lons) >= 108.45 and max(lons) <= 108.95
    assert min(lats) >= 30.75 and max(lats) <= 31.20


def test_names_come_from_domain_md(county: DemoCounty) -> None:
    domain = DOMAIN_MD.read_text(encoding="utf-8")
    for name in (*REAL_STREET_NAMES, *REAL_ROUTE_NAMES, "双江", "青龙", "人和", "盘龙", "黄石镇"):
        assert name in domain
    roads = county.network.roads
    used = {road.name for road in roads}
    assert set(REAL_STREET_NAMES) | set(REAL_ROUTE_NAMES) <= used
    township_prefixes = tuple(town.short for town in TOWNSHIPS)
    for road in roads:
        assert road.source_id.startswith("demo:")
        if road.name == "":
            assert road.highway == "service"
        else:
            assert (
                road.name in REAL_STREET_NAMES
                or road.name in REAL_ROUTE_NAMES
                or road.name in GENERATED_STREET_NAMES
                or road.name.startswith(township_prefixes)
            ), road.name
    # Real names first: a generated name only where every real street name is taken.
    seat_streets = {r.name for r in roads if r.source_id.startswith(("demo:seat-", "demo:south-"))}
    assert set(REAL_STREET_NAMES) <= seat_streets


def test_road_classes_and_speeds(county: DemoCounty) -> None:
    by_name = {road.name: road for road in county.network.roads}
    assert (by_name["滨江大道"].highway, by_name["滨江大道"].maxspeed_kmh) == ("primary", 60)
    for road in county.network.roads:
        if road.highway == "residential":
            assert road.maxspeed_kmh is not None and 20 <= road.maxspeed_kmh <= 40
        if road.highway in ("secondary", "tertiary") and road.name.endswith("公路"):
            assert road.maxspeed_kmh is not None and 50 <= road.maxspeed_kmh <= 70


def test_the_bridge_is_the_only_river_crossing(county: DemoCounty) -> None:
    network = county.network
    river = shape(county.river["geometry"])
    assert county.river["properties"]["name"] == "长江"
    crossing = {
        network.roads[s.road_index].source_id
        for s in network.segments
        if LineString(s.coords).intersects(river)
    }
    assert crossing == set(county.bridges) == {"demo:bridge-changjiang"}
    bridge = next(r for r in network.roads if r.source_id in county.bridges)
    assert bridge.name == "长江大桥"


def test_roads_meet_only_at_nodes(county: DemoCounty) -> None:
    """A plausible plan: no road passes over another without a junction (the bridge and tunnels
    cross nothing)."""
    segments = county.network.segments
    lines = [LineString(s.coords) for s in segments]
    tree = STRtree(lines)
    for i, line in enumerate(lines):
        for j in tree.query(line, predicate="intersects"):
            if j <= i:
                continue
            shared = {segments[i].from_node, segments[i].to_node} & {
                segments[j].from_node,
                segments[j].to_node,
            }
            assert shared, (i, int(j))
            assert line.intersection(lines[j]).geom_type == "Point"


def test_areas(county: DemoCounty) -> None:
    areas = county.network.areas
    kinds = {area.name: area.kind for area in areas}
    assert {name for name, kind in kinds.items() if kind is AreaKind.subdistrict} == {
        "双江街道",
        "青龙街道",
        "人和街道",
        "盘龙街道",
    }
    assert sum(kind is AreaKind.town for kind in kinds.values()) == 7
    assert sum(kind is AreaKind.township for kind in kinds.values()) == 1
    polygons = {area.name: shape(area.geometry) for area in areas}
    assert all(polygon.is_valid for polygon in polygons.values())
    for a, b in itertools.combinations(polygons.values(), 2):
        assert a.intersection(b).area == pytest.approx(0, abs=1e-12)
    # 双江街道 is where DOMAIN.md puts the county seat (±1 km).
    centroid = polygons["双江街道"].centroid
    assert GEOD.inv(*CENTRE_LONLAT, centroid.x, centroid.y)[2] < 1_000
    # Every town's streets lie in its own area; townships are 5-25 km from the seat.
    for town in TOWNSHIPS:
        polygon = polygons[town.name]
        town_nodes = [
            county.network.nodes[s.from_node]
            for s in county.network.segments
            if county.network.roads[s.road_index].source_id.startswith(f"demo:town-{town.key}-")
        ]
        assert town_nodes and all(polygon.contains(Point(p)) for p in town_nodes)
        centre = polygon.centroid
        assert 5_000 <= GEOD.inv(*CENTRE_LONLAT, centre.x, centre.y)[2] <= 25_000
