from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import osmium.filter
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from patrolgrid.geo.network import LonLat, Oneway
from patrolgrid.geo.routing import Router, SegmentRecord, Snap
from patrolgrid.geo.speeds import DEFAULT_SPEEDS_KMH, FALLBACK_SPEED_KMH, speed_kmh

SHARED = Path(__file__).resolve().parents[3] / "shared"
GEOD = Geod(ellps="WGS84")
ORIGIN = (108.70, 30.93)  # Yunyang; the hand-made networks are laid out in metres around it
_A, _E2 = 6378137.0, 6.69437999014e-3
_PHI = math.radians(ORIGIN[1])
_W = math.sqrt(1 - _E2 * math.sin(_PHI) ** 2)
M_PER_DEG_LON = _A / _W * math.cos(_PHI) * math.pi / 180
M_PER_DEG_LAT = _A * (1 - _E2) / _W**3 * math.pi / 180


def at(x_m: float, y_m: float) -> LonLat:
    """The point x_m east and y_m north of ORIGIN."""
    return ORIGIN[0] + x_m / M_PER_DEG_LON, ORIGIN[1] + y_m / M_PER_DEG_LAT


def geodesic_m(points: Sequence[LonLat]) -> float:
    lons, lats = zip(*points, strict=True)
    return float(GEOD.line_length(lons, lats))


class Net:
    """A hand-made network: nodes on a metre grid around ORIGIN."""

    def __init__(self, nodes: dict[int, tuple[float, float]]) -> None:
        self.nodes = nodes
        self.records: list[SegmentRecord] = []

    def road(
        self,
        a: int,
        b: int,
        *,
        oneway: Oneway = Oneway.no,
        kmh: float = 36.0,
        via: Sequence[tuple[float, float]] = (),
        length_m: float | None = None,
    ) -> int:
        coords = [at(*self.nodes[a]), *(at(*p) for p in via), at(*self.nodes[b])]
        segment_id = 100 + len(self.records)
        self.records.append(
            SegmentRecord(
                id=segment_id,
                from_node=a,
                to_node=b,
                coords=coords,
                length_m=geodesic_m(coords) if length_m is None else length_m,
                oneway=oneway,
                speed_kmh=kmh,
            )
        )
        return segment_id

    def router(self) -> Router:
        return Router.build(self.records)


def square(ab_oneway: Oneway = Oneway.no) -> Net:
    """A 1 km square A(0,0) B(1000,0) C(1000,1000) D(0,1000); every side 100 s at 36 km/h."""
    net = Net({1: (0, 0), 2: (1000, 0), 3: (1000, 1000), 4: (0, 1000)})
    net.road(1, 2, oneway=ab_oneway, length_m=1000)
    net.road(2, 3, length_m=1000)
    net.road(3, 4, length_m=1000)
    net.road(4, 1, length_m=1000)
    return net


def seconds(travels: Sequence[object]) -> list[float | None]:
    return [None if t is None else round(t.seconds, 6) for t in travels]  # type: ignore[attr-defined]


# --- speeds ---------------------------------------------------------------------------------


def test_speed_prefers_a_plausible_maxspeed() -> None:
    assert speed_kmh("residential", 40.0) == 40.0
    assert speed_kmh("residential", None) == DEFAULT_SPEEDS_KMH["residential"]
    assert speed_kmh("primary", 0.0) == DEFAULT_SPEEDS_KMH["primary"]  # a tagging error
    assert speed_kmh("primary", 400.0) == DEFAULT_SPEEDS_KMH["primary"]


def test_speed_defaults_are_overridable_per_class() -> None:
    overrides = {"residential": 20.0}
    assert speed_kmh("residential", None, overrides) == 20.0
    assert speed_kmh("primary", None, overrides) == DEFAULT_SPEEDS_KMH["primary"]
    assert speed_kmh("busway", None) == FALLBACK_SPEED_KMH
    with pytest.raises(ValueError, match="positive"):
        speed_kmh("residential", None, {"residential": 0.0})


def test_every_default_class_has_a_positive_speed() -> None:
    assert all(v > 0 for v in DEFAULT_SPEEDS_KMH.values())
    for cls in ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified"):
        assert f"{cls}_link" in DEFAULT_SPEEDS_KMH or cls == "unclassified"
    for cls in ("residential", "living_street", "service"):
        assert cls in DEFAULT_SPEEDS_KMH


# --- snapping -------------------------------------------------------------------------------


def test_snap_reports_segment_fraction_point_and_distance() -> None:
    net = square()
    router = net.router()
    snap = router.snap(*at(250, 100))
    assert snap is not None
    assert snap.segment_id == 100  # A-B
    assert snap.fraction == pytest.approx(0.25, abs=1e-6)
    assert snap.distance_m == pytest.approx(100, rel=1e-3)
    assert snap.point == pytest.approx(at(250, 0), abs=1e-9)
    assert router.snap(*at(250, 100), max_distance_m=99) is None
    assert router.snap(*at(250, 100), max_distance_m=101) is not None


def test_snap_picks_the_nearest_in_metres_not_in_degrees() -> None:
    # At 31 N a degree of longitude is ~15% shorter than one of latitude: a point 90 m east of
    # one road and 100 m north of another is nearer the first, though not in raw degrees.
    net = Net({1: (0, -500), 2: (0, 500), 3: (-500, 100), 4: (500, 100)})
    north_south = net.road(1, 2)
    net.road(3, 4)
    snap = net.router().snap(*at(90, 0))
    assert snap is not None
    assert snap.segment_id == north_south
    assert snap.distance_m == pytest.approx(90, rel=1e-3)


def test_snap_on_a_curved_segment_measures_fraction_by_length() -> None:
    net = Net({1: (0, 0), 2: (1000, 1000)})
    segment = net.road(1, 2, via=[(1000, 0)])  # an L: 1 km east, then 1 km north
    snap = net.router().snap(*at(1010, 500))
    assert snap is not None
    assert snap.segment_id == segment
    assert snap.fraction == pytest.approx(0.75, abs=1e-3)
    assert snap.distance_m == pytest.approx(10, rel=1e-2)


def test_an_empty_network_snaps_nothing() -> None:
    router = Router.build([])
    assert router.snap(*ORIGIN) is None
    assert router.travel_times_to(ORIGIN, [at(10, 10)]) == [None]
    assert router.route(ORIGIN, at(10, 10)) is None


def test_build_rejects_broken_records() -> None:
    net = square()
    good = net.records[0]
    for broken, message in [
        ([good, good], "unique"),
        ([SegmentRecord(1, 1, 2, good.coords, -1.0, Oneway.no, 30)], "lengths"),
        ([SegmentRecord(1, 1, 2, good.coords, 10.0, Oneway.no, 0)], "speeds"),
        ([SegmentRecord(1, 1, 2, good.coords[:1], 10.0, Oneway.no, 30)], "two points"),
    ]:
        with pytest.raises(ValueError, match=message):
            Router.build(broken)


# --- partial-edge offsets and oneways ---------------------------------------------------------


def test_midpoint_of_a_two_way_street_is_50_s_from_either_end() -> None:
    net = Net({1: (0, 0), 2: (1000, 0)})
    net.road(1, 2, length_m=1000, kmh=36)
    router = net.router()
    middle = at(500, 0)
    assert seconds(router.travel_times_from(middle, [at(0, 0), at(1000, 0)])) == [50, 50]
    assert seconds(router.travel_times_to(middle, [at(0, 0), at(1000, 0)])) == [50, 50]
    travel = router.travel_times_from(middle, [at(0, 0)])[0]
    assert travel is not None
    assert travel.metres == pytest.approx(500)


@pytest.mark.parametrize("direction", [Oneway.forward, Oneway.backward])
def test_a_oneway_street_is_left_and_entered_the_permitted_way(direction: Oneway) -> None:
    router = square(direction).router()
    middle, a, b = at(500, 0), at(0, 0), at(1000, 0)
    # Leaving: 50 s to the end the street points to; the other end is the whole square round.
    downstream, upstream = (b, a) if direction is Oneway.forward else (a, b)
    assert seconds(router.travel_times_from(middle, [downstream, upstream])) == [50, 350]
    # Arriving: 50 s from the end it comes from, 350 s from the other.
    assert seconds(router.travel_times_to(middle, [upstream, downstream])) == [50, 350]


def test_same_segment_both_directions() -> None:
    two_way = square().router()
    quarter, three_quarters = at(250, 0), at(750, 0)
    assert seconds(two_way.travel_times_from(quarter, [three_quarters])) == [50]
    assert seconds(two_way.travel_times_from(three_quarters, [quarter])) == [50]
    one_way = square(Oneway.forward).router()
    assert seconds(one_way.travel_times_from(quarter, [three_quarters])) == [50]
    # Against the one-way: 25 s on to B, round the square (300 s), 25 s in from A.
    assert seconds(one_way.travel_times_from(three_quarters, [quarter])) == [350]
    assert seconds(one_way.travel_times_to(quarter, [three_quarters])) == [350]
    route = one_way.route(three_quarters, quarter)
    assert route is not None
    assert route.seconds == pytest.approx(350)
    assert route.segment_ids == (100, 101, 102, 103, 100)


def test_a_point_at_a_node_leaves_through_it_whatever_the_oneway() -> None:
    # B is where the one-way street B->A starts and the two-way street B-C ends. A point exactly
    # at B is at the intersection: it can drive off to C even if it snaps onto B->A, whose start
    # it cannot leave backwards by. Which street a tie snaps to is not specified, so build the
    # network in both orders and require that the one-way is picked at least once.
    snapped_to_oneway = []
    for oneway_first in (True, False):
        net = Net({1: (0, 0), 2: (1000, 0), 3: (1000, 1000)})
        if oneway_first:
            oneway_id = net.road(2, 1, oneway=Oneway.forward, length_m=1000)
        net.road(2, 3, length_m=1000)
        if not oneway_first:
            oneway_id = net.road(2, 1, oneway=Oneway.forward, length_m=1000)
        router = net.router()
        snap = router.snap(*at(1000, 0))
        assert snap is not None
        snapped_to_oneway.append(snap.segment_id == oneway_id)
        assert seconds(router.travel_times_from(at(1000, 0), [at(1000, 1000)])) == [100]
        assert seconds(router.travel_times_to(at(1000, 1000), [at(1000, 0)])) == [100]
    assert any(snapped_to_oneway)


def test_unreachable_is_none() -> None:
    net = square()
    net.nodes.update({10: (5000, 0), 11: (6000, 0)})
    net.road(10, 11, length_m=1000)  # a separate island
    router = net.router()
    assert router.travel_times_to(at(5500, 0), [at(500, 0), at(5200, 0)])[0] is None
    assert seconds(router.travel_times_to(at(5500, 0), [at(5200, 0)])) == [30]
    assert router.route(at(500, 0), at(5500, 0)) is None


def test_limit_is_honoured() -> None:
    router = square(Oneway.forward).router()
    middle = at(500, 0)
    sources = [at(0, 0), at(1000, 0), at(1000, 500)]  # 50 s, 350 s, 300 s to the middle
    assert seconds(router.travel_times_to(middle, sources)) == [50, 350, 300]
    assert seconds(router.travel_times_to(middle, sources, limit_s=349)) == [50, None, 300]
    assert seconds(router.travel_times_to(middle, sources, limit_s=299.9)) == [50, None, None]
    assert seconds(router.travel_times_from(at(500, 1000), sources, limit_s=149.9)) == [
        None,
        None,
        100,
    ]


def test_points_too_far_from_the_road_are_none_with_max_snap() -> None:
    router = square().router()
    far = at(500, 400)  # 400 m from the nearest side
    near = at(500, 50)
    assert seconds(router.travel_times_to(near, [far], max_snap_m=100)) == [None]
    assert router.travel_times_to(far, [near], max_snap_m=100) == [None]
    travel = router.travel_times_to(near, [far])[0]
    assert travel is not None
    assert travel.start_snap_m == pytest.approx(400, rel=1e-3)
    assert travel.end_snap_m == pytest.approx(50, rel=1e-3)


def test_the_fastest_of_parallel_segments_is_used() -> None:
    net = Net({1: (0, 0), 2: (1000, 0), 3: (2000, 0)})
    net.road(1, 2, length_m=1000, kmh=36)
    net.road(2, 3, length_m=1000, kmh=36)
    bypass = net.road(1, 3, via=[(1000, 800)], length_m=2500, kmh=180)  # 50 s
    router = net.router()
    assert router.arc_count == 6
    assert seconds(router.travel_times_from(at(0, 0), [at(2000, 0)])) == [50]
    route = router.route(at(0, 0), at(2000, 0))
    assert route is not None
    assert route.segment_ids == (bypass,)
    assert route.metres == pytest.approx(2500)


def test_loop_segment() -> None:
    # A cul-de-sac loop from and back to node 2.
    net = Net({1: (0, 0), 2: (1000, 0)})
    net.road(1, 2, length_m=1000)
    loop = net.road(2, 2, via=[(1500, 300), (1500, -300)], length_m=1800)  # 180 s round
    router = net.router()
    assert router.arc_count == 2
    on_loop = at(1500, 0)  # halfway round
    travel = router.travel_times_from(on_loop, [at(0, 0)])[0]
    assert travel is not None
    assert travel.seconds == pytest.approx(190, abs=1e-3)
    route = router.route(at(0, 0), on_loop)
    assert route is not None
    assert route.segment_ids == (100, loop)
    assert route.seconds == pytest.approx(190, abs=1e-3)


# --- routes ---------------------------------------------------------------------------------


def test_route_geometry_runs_from_snapped_start_along_the_roads_to_snapped_end() -> None:
    net = Net({1: (0, 0), 2: (1000, 0), 3: (1000, 1000)})
    first = net.road(1, 2)
    second = net.road(2, 3, via=[(1200, 500)])
    router = net.router()
    start, end = at(300, 20), at(1150, 700)
    route = router.route(start, end)
    assert route is not None
    assert route.segment_ids == (first, second)
    assert route.geometry[0] == route.start.point
    assert route.geometry[-1] == route.end.point
    assert route.start.point == pytest.approx(at(300, 0), abs=1e-9)
    assert route.geometry[1] == pytest.approx(at(1000, 0), abs=1e-12)
    assert route.geometry[2] == pytest.approx(at(1200, 500), abs=1e-12)
    assert len(route.geometry) == 4
    # Length and time agree with the geometry drawn.
    assert route.metres == pytest.approx(geodesic_m(route.geometry), rel=1e-3)
    assert route.seconds == pytest.approx(route.metres / 10, rel=1e-9)
    travel = router.travel_times_from(start, [end])[0]
    assert travel is not None
    assert (travel.seconds, travel.metres) == pytest.approx((route.seconds, route.metres))


def test_route_on_one_segment() -> None:
    router = square().router()
    route = router.route(at(700, 0), at(200, 0))
    assert route is not None
    assert route.seconds == pytest.approx(50)
    assert route.metres == pytest.approx(500)
    assert route.segment_ids == (100,)
    assert [p[0] for p in route.geometry] == pytest.approx([at(700, 0)[0], at(200, 0)[0]])


# --- against networkx -----------------------------------------------------------------------


def random_grid_network(seed: int, size: int = 24) -> list[SegmentRecord]:
    """A perturbed grid with some streets missing, one-ways, varied speeds, bent streets and a
    few parallel streets: planar-ish, like a small town."""
    rng = random.Random(seed)
    spacing = 150.0
    position = {
        r * size + c: (c * spacing + rng.uniform(-40, 40), r * spacing + rng.uniform(-40, 40))
        for r in range(size)
        for c in range(size)
    }
    records: list[SegmentRecord] = []

    def add(a: int, b: int, via: list[tuple[float, float]]) -> None:
        coords = [at(*position[a]), *(at(*p) for p in via), at(*position[b])]
        roll = rng.random()
        oneway = Oneway.forward if roll < 0.15 else Oneway.backward if roll < 0.25 else Oneway.no
        records.append(
            SegmentRecord(
                id=len(records) + 1,
                from_node=a,
                to_node=b,
                coords=coords,
                length_m=geodesic_m(coords),
                oneway=oneway,
                speed_kmh=rng.choice([20.0, 30.0, 40.0, 50.0, 60.0]),
            )
        )

    for r in range(size):
        for c in range(size):
            here = r * size + c
            for neighbour in ([here + 1] if c + 1 < size else []) + (
                [here + size] if r + 1 < size else []
            ):
                if rng.random() < 0.1:
                    continue
                (x0, y0), (x1, y1) = position[here], position[neighbour]
                bend = [
                    ((x0 + x1) / 2 + rng.uniform(-20, 20), (y0 + y1) / 2 + rng.uniform(-20, 20))
                ]
                add(here, neighbour, bend if rng.random() < 0.3 else [])
                if rng.random() < 0.03:
                    add(here, neighbour, [((x0 + x1) / 2 + 30, (y0 + y1) / 2 + 30)])
    return records


def networkx_graph(records: Sequence[SegmentRecord]) -> nx.DiGraph:
    graph = nx.DiGraph()
    for r in records:
        seconds_ = r.length_m / (r.speed_kmh / 3.6)
        arcs = []
        if r.oneway is not Oneway.backward:
            arcs.append((r.from_node, r.to_node))
        if r.oneway is not Oneway.forward:
            arcs.append((r.to_node, r.from_node))
        for u, v in arcs:
            if u != v and (not graph.has_edge(u, v) or graph[u][v]["weight"] > seconds_):
                graph.add_edge(u, v, weight=seconds_, metres=r.length_m)
    return graph


def node_points(records: Sequence[SegmentRecord]) -> dict[int, LonLat]:
    points: dict[int, LonLat] = {}
    for r in records:
        points[r.from_node] = tuple(r.coords[0])  # type: ignore[assignment]
        points[r.to_node] = tuple(r.coords[-1])  # type: ignore[assignment]
    return points


def compare_with_networkx(records: Sequence[SegmentRecord], seed: int, pairs: int) -> int:
    """Node-to-node travel times (and route lengths) from both directions of our API equal
    networkx's Dijkstra. Returns the number of reachable pairs compared."""
    router = Router.build(records)
    graph = networkx_graph(records)
    points = node_points(records)
    nodes = sorted(points)
    rng = random.Random(seed)
    per_hub = 25
    reachable = 0
    for _ in range(pairs // per_hub):
        hub = rng.choice(nodes)
        others = rng.sample(nodes, per_hub)
        from_hub, paths = nx.single_source_dijkstra(graph, hub)
        to_hub = nx.single_source_dijkstra_path_length(graph.reverse(copy=False), hub)
        ours_from = router.travel_times_from(points[hub], [points[n] for n in others])
        ours_to = router.travel_times_to(points[hub], [points[n] for n in others])
        for node, forward, backward in zip(others, ours_from, ours_to, strict=True):
            if node in from_hub:
                assert forward is not None
                assert forward.seconds == pytest.approx(from_hub[node], abs=1e-6)
                path = paths[node]
                metres = sum(graph[u][v]["metres"] for u, v in pairwise(path))
                assert forward.metres == pytest.approx(metres, abs=1e-6)
                reachable += 1
            else:
                assert forward is None
            if node in to_hub:
                assert backward is not None
                assert backward.seconds == pytest.approx(to_hub[node], abs=1e-6)
            else:
                assert backward is None
    return reachable


def test_matches_networkx_on_a_random_town() -> None:
    records = random_grid_network(seed=1)
    assert len(records) > 900
    assert compare_with_networkx(records, seed=2, pairs=250) > 200


DRIVING = {
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "service", "road", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link",
}  # fmt: skip


def read_osm_segments(path: Path) -> list[SegmentRecord]:
    """Driving ways of an OSM extract, cut at intersections. A stand-in for the importer, enough to
    give the router a real street network to be compared on."""
    ways = []
    for way in (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    ):
        if way.is_way() and way.tags.get("highway") in DRIVING:
            nodes = [
                (n.ref, n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()
            ]
            ways.append(
                (way.tags.get("highway"), way.tags.get("oneway"), way.tags.get("maxspeed"), nodes)
            )
    uses = Counter(ref for *_, nodes in ways for ref, _, _ in nodes)
    records: list[SegmentRecord] = []
    for highway, oneway_tag, maxspeed, nodes in ways:
        oneway = {"yes": Oneway.forward, "-1": Oneway.backward}.get(oneway_tag or "", Oneway.no)
        kmh = speed_kmh(highway, float(maxspeed) if (maxspeed or "").isdigit() else None)
        start = 0
        for i in range(1, len(nodes)):
            if i == len(nodes) - 1 or uses[nodes[i][0]] > 1:
                piece = nodes[start : i + 1]
                coords = [(lon, lat) for _, lon, lat in piece]
                records.append(
                    SegmentRecord(
                        id=len(records) + 1,
                        from_node=piece[0][0],
                        to_node=piece[-1][0],
                        coords=coords,
                        length_m=geodesic_m(coords),
                        oneway=oneway,
                        speed_kmh=kmh,
                    )
                )
                start = i
    return records


def test_matches_networkx_on_helsinki() -> None:
    records = read_osm_segments(SHARED / "data" / "osm" / "Helsinki.osm.pbf")
    assert len(records) > 1000
    assert compare_with_networkx(records, seed=3, pairs=300) > 200


# --- properties -----------------------------------------------------------------------------

TOWN = Router.build(random_grid_network(seed=5, size=12))
town_points = st.tuples(
    st.floats(min_value=-100, max_value=1800), st.floats(min_value=-100, max_value=1800)
).map(lambda p: at(*p))


@settings(max_examples=60, deadline=None)
@given(town_points, town_points)
def test_the_three_queries_agree(start: LonLat, end: LonLat) -> None:
    forward = TOWN.travel_times_from(start, [end])[0]
    backward = TOWN.travel_times_to(end, [start])[0]
    route = TOWN.route(start, end)
    if route is None:
        assert forward is None and backward is None
        return
    assert forward is not None and backward is not None
    assert forward.seconds == pytest.approx(route.seconds, abs=1e-6)
    assert backward.seconds == pytest.approx(route.seconds, abs=1e-6)
    assert forward.metres == pytest.approx(route.metres, abs=1e-6)
    assert route.geometry[0] == route.start.point
    assert route.geometry[-1] == route.end.point
    drawn = geodesic_m(route.geometry) if len(route.geometry) > 1 else 0.0
    assert route.metres == pytest.approx(drawn, rel=1e-3, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(town_points, st.lists(town_points, min_size=1, max_size=20), st.floats(30, 600))
def test_a_limit_only_removes_results(
    target: LonLat, sources: list[LonLat], limit_s: float
) -> None:
    unlimited = TOWN.travel_times_to(target, sources)
    limited = TOWN.travel_times_to(target, sources, limit_s=limit_s)
    for full, cut in zip(unlimited, limited, strict=True):
        if full is None or full.seconds > limit_s:
            assert cut is None
        else:
            assert cut == full


def test_travel_times_handle_many_sources_in_input_order() -> None:
    records = random_grid_network(seed=9, size=12)
    points = list(node_points(records).values())
    rng = np.random.default_rng(0)
    sources = [points[i] for i in rng.integers(0, len(points), 50)]
    router = Router.build(records)
    many = router.travel_times_to(points[0], sources)
    one_by_one = [router.travel_times_to(points[0], [s])[0] for s in sources]
    assert many == one_by_one


def test_one_router_serves_concurrent_queries() -> None:
    records = random_grid_network(seed=11, size=12)
    router = Router.build(records)
    rng = random.Random(4)
    points = list(node_points(records).values())
    queries = [(rng.choice(points), rng.sample(points, 30)) for _ in range(40)]
    expected = [router.travel_times_to(target, sources) for target, sources in queries]
    routes = [router.route(sources[0], target) for target, sources in queries]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda q: router.travel_times_to(*q), queries))
        got_routes = list(pool.map(lambda q: router.route(q[1][0], q[0]), queries))
    assert got == expected
    assert got_routes == routes


# --- pre-snapped points and array answers (dispatch) -----------------------------------------


def snaps_of(router: Router, points: Sequence[LonLat]) -> list[Snap]:
    snaps = [router.snap(*p) for p in points]
    assert all(s is not None for s in snaps)
    return snaps  # type: ignore[return-value]


def dispatch_case(seed: int, officers: int = 120) -> tuple[Router, LonLat, list[LonLat]]:
    router = Router.build(random_grid_network(seed=seed, size=12))
    rng = random.Random(seed)
    points = [at(rng.uniform(-100, 1800), rng.uniform(-100, 1800)) for _ in range(officers + 1)]
    return router, points[0], points[1:]


def test_pre_snapped_points_give_the_same_answers_as_coordinates() -> None:
    router, incident, officers = dispatch_case(seed=21)
    snaps = snaps_of(router, officers)
    expected = router.travel_times_to(incident, officers)
    assert sum(t is not None for t in expected) > 100
    assert router.travel_times_to(incident, snaps) == expected
    incident_snap = snaps_of(router, [incident])[0]
    assert router.travel_times_to(incident_snap, snaps) == expected
    mixed = [s if i % 3 else p for i, (p, s) in enumerate(zip(officers, snaps, strict=True))]
    assert router.travel_times_to(incident, mixed) == expected
    assert router.travel_times_from(incident_snap, snaps) == router.travel_times_from(
        incident, officers
    )
    assert router.travel_times_to(incident, snaps, limit_s=200) == router.travel_times_to(
        incident, officers, limit_s=200
    )


def test_pre_snapped_points_farther_than_max_snap_are_unsnapped() -> None:
    router = square().router()
    far, near = at(500, 400), at(500, 50)
    snaps = snaps_of(router, [far, near])
    assert seconds(router.travel_times_to(near, snaps, max_snap_m=100)) == [None, 0]
    assert router.travel_times_to(snaps[0], snaps, max_snap_m=100) == [None, None]
    times = router.travel_seconds_to(near, snaps, max_snap_m=100)
    assert times.snap_m[0] == math.inf
    assert times.snap_m[1] == pytest.approx(50, rel=1e-3)


def test_snaps_must_belong_to_the_router() -> None:
    router = square().router()
    snap = Snap(segment_id=999, fraction=0.5, point=at(500, 0), distance_m=0.0)
    with pytest.raises(ValueError, match="does not have"):
        router.travel_times_to(at(0, 0), [snap])
    bad_fraction = Snap(segment_id=100, fraction=1.5, point=at(500, 0), distance_m=0.0)
    with pytest.raises(ValueError, match="fraction"):
        router.travel_seconds_to(at(0, 0), [bad_fraction])
    with pytest.raises(ValueError, match="segment 999"):
        Router.build([]).travel_seconds_to(ORIGIN, [snap])


def test_travel_seconds_match_travel_times() -> None:
    router, incident, officers = dispatch_case(seed=22)
    snaps = snaps_of(router, officers)
    for limit in (None, 150.0):
        travels = router.travel_times_to(incident, officers, limit_s=limit)
        times = router.travel_seconds_to(incident, snaps, limit_s=limit)
        assert len(times.seconds) == len(times.metres) == len(times.snap_m) == len(officers)
        for i, travel in enumerate(travels):
            if travel is None:
                assert times.seconds[i] == math.inf
                assert math.isnan(times.metres[i])
            else:
                assert (times.seconds[i], times.metres[i]) == (travel.seconds, travel.metres)
                assert (times.snap_m[i], times.one_snap_m) == (
                    travel.start_snap_m,
                    travel.end_snap_m,
                )
        back = router.travel_seconds_from(incident, snaps, limit_s=limit)
        for i, travel in enumerate(router.travel_times_from(incident, officers, limit_s=limit)):
            assert back.seconds[i] == (math.inf if travel is None else travel.seconds)
    assert not times.seconds.flags.writeable
    assert not times.metres.flags.writeable


@pytest.mark.parametrize("k", [0, 1, 7, 64, 65, 119, 500])
def test_metres_for_k_gives_metres_for_exactly_the_k_fastest(k: int) -> None:
    router, incident, officers = dispatch_case(seed=23)
    snaps = snaps_of(router, officers)
    every = router.travel_seconds_to(incident, snaps)
    some = router.travel_seconds_to(incident, snaps, metres_for=k)
    assert np.array_equal(some.seconds, every.seconds)
    fastest = every.fastest(k)
    assert len(fastest) == min(k, int(np.isfinite(every.seconds).sum()))
    assert np.flatnonzero(~np.isnan(some.metres)).tolist() == sorted(fastest.tolist())
    # The path walk (k <= 64) and the whole-tree sum give the same metres.
    assert some.metres[fastest] == pytest.approx(every.metres[fastest], abs=1e-6)
    ordered = every.seconds[fastest]
    assert np.all(ordered[:-1] <= ordered[1:])
    assert np.all(
        every.seconds[np.setdiff1d(np.arange(len(officers)), fastest)] >= ordered.max(initial=0)
    )


def test_metres_for_k_on_the_targets_own_segment_and_with_ties() -> None:
    # Officers on the incident's street travel along it; two at the same spot tie, and the tie
    # goes to the first in input order.
    router = square(Oneway.forward).router()
    incident = at(500, 0)
    officers = [at(1000, 500), at(300, 0), at(300, 0), at(800, 0), at(0, 500)]
    times = router.travel_seconds_to(incident, officers, metres_for=2)
    assert times.seconds.round(6).tolist() == [300, 20, 20, 370, 100]
    assert times.fastest().tolist() == [1, 2, 4, 0, 3]
    assert times.metres[[1, 2]] == pytest.approx([200, 200])
    assert np.isnan(times.metres[[0, 3, 4]]).all()
    with pytest.raises(ValueError, match="metres_for"):
        router.travel_seconds_to(incident, officers, metres_for=-1)


def test_travel_seconds_edge_cases() -> None:
    router = square().router()
    empty = router.travel_seconds_to(at(500, 0), [])
    assert len(empty.seconds) == 0 and empty.fastest().tolist() == []
    unsnapped = Router.build([]).travel_seconds_to(ORIGIN, [at(10, 10)], metres_for=1)
    assert unsnapped.seconds.tolist() == [math.inf]
    assert unsnapped.one_snap_m == math.inf
    net = square()
    net.nodes.update({10: (5000, 0), 11: (6000, 0)})
    net.road(10, 11, length_m=1000)
    island = net.router().travel_seconds_to(at(5500, 0), [at(500, 0), at(5200, 0)], metres_for=5)
    assert island.seconds.round(6).tolist() == [math.inf, 30]
    assert island.fastest().tolist() == [1]
    assert island.metres[1] == pytest.approx(300)
    assert math.isnan(island.metres[0])


@settings(max_examples=40, deadline=None)
@given(
    town_points,
    st.lists(town_points, min_size=1, max_size=30),
    st.integers(0, 40),
    st.one_of(st.none(), st.floats(30, 600)),
)
def test_metres_for_agrees_with_travel_times(
    target: LonLat, sources: list[LonLat], k: int, limit_s: float | None
) -> None:
    travels = TOWN.travel_times_to(target, sources, limit_s=limit_s)
    times = TOWN.travel_seconds_to(target, snaps_of(TOWN, sources), limit_s=limit_s, metres_for=k)
    reachable = sorted(
        (i for i, t in enumerate(travels) if t is not None),
        key=lambda i: travels[i].seconds,  # type: ignore[union-attr]
    )
    assert times.fastest(k).tolist() == reachable[:k]
    for i, travel in enumerate(travels):
        assert times.seconds[i] == (math.inf if travel is None else travel.seconds)
        if i in reachable[:k]:
            assert travel is not None
            assert times.metres[i] == pytest.approx(travel.metres, abs=1e-6)
        else:
            assert math.isnan(times.metres[i])


def test_snap_many_equals_snap_one_by_one() -> None:
    router = square().router()
    points = [at(250, 100), at(500, 400), at(1000, 1000), at(-30, 500)]
    assert router.snap_many(points) == [router.snap(*p) for p in points]
    assert router.snap_many(points, max_distance_m=150) == [
        router.snap(*p, max_distance_m=150) for p in points
    ]
    assert router.snap_many(points, max_distance_m=150)[1] is None
    assert router.snap_many([]) == []
    assert Router.build([]).snap_many(points) == [None] * 4
