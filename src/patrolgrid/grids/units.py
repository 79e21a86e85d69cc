"""A squadron's base units, their figures and adjacency, computed from the stored network, the
squadrons' territories and the imported figures. Pure computation (numpy, scipy, shapely): the
database is read by `service.py`, and the results are cached by the grids runtime.

Which segments belong to which territory area (`assign_segments`):

1. A segment lies in the area it runs through longest (a tie goes to the smaller area). County-
   level areas are skipped unless a squadron's territory names one.
2. An area that is not itself in a territory but lies inside one (a community inside a town)
   counts as that territory area; a segment inside an area nobody claims belongs to nobody.
3. A segment inside no area at all (a county road between two towns whose drawn boundaries do
   not meet) goes to the territory area nearest along such roads, up to `CONNECTOR_REACH_M`:
   the road between two towns is shared between them at its middle.

Units (`build_units`): a territory area of granularity `segments` gives one unit per segment
(`s:<segment key>`), one of granularity `area` one unit for the whole area (`a:<area key>`).

Difficulty (`with_incidents`): a unit's rating 1-5 is its hand rating, else its area's, else one
derived from the incidents on its roads (`incident_ratings`), else 1; the figure is rating × km.

Adjacency: two units touch where their roads meet at a node, and two whole-area units also
where their boundaries share a border. With barrier lines (a river), an adjacency whose two
units' representative points lie on opposite sides is a barrier, unless a bridge segment
(OSM `bridge=*`) meets the other unit there and crosses the line, which makes it a bridge.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from patrolgrid.grids.design import Adjacency, EdgeKind, Unit, UnitGraph
from patrolgrid.grids.models import DifficultySource, Figure, Granularity

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

FIGURES: tuple[str, ...] = tuple(f.value for f in Figure)
DIFFICULTY_LEVELS = 5  # ratings run 1..5
CONNECTOR_REACH_M = 10_000.0
_TOWN_KINDS = frozenset({"town", "township"})
_METRES_PER_DEGREE_LAT = 110_574.0
_METRES_PER_DEGREE_LON = 111_320.0


@dataclass(frozen=True)
class AreaData:
    key: str
    name: str
    kind: str
    admin_level: int | None
    geometry: dict[str, Any]
    shape: Any  # shapely (Multi)Polygon


@dataclass(frozen=True)
class NetworkData:
    """The stored network as arrays, one version of it."""

    version: int
    seg_ids: IntArray  # row ids (what the router's snaps name)
    seg_keys: tuple[str, ...]
    from_node: IntArray
    to_node: IntArray
    length_m: FloatArray
    bridge: BoolArray
    road_names: tuple[str, ...]
    coords: tuple[list[list[float]], ...]
    lines: npt.NDArray[np.object_]  # shapely LineStrings
    mid: FloatArray  # n × 2, lon/lat of each segment's middle (by length)
    areas: tuple[AreaData, ...]
    seg_index: Mapping[str, int]
    seg_index_by_id: Mapping[int, int]
    area_index: Mapping[str, int]


SegmentRow = tuple[int, str, int, int, float, list[list[float]], bool, str]
AreaRow = tuple[str, str, str, int | None, dict[str, Any]]


def network_data(
    version: int, segments: Sequence[SegmentRow], areas: Sequence[AreaRow]
) -> NetworkData:
    """Rows as (id, key, from node, to node, length m, coords, bridge, road name) and areas as
    (key, name, kind, admin level, GeoJSON geometry)."""
    n = len(segments)
    coords = tuple(row[5] for row in segments)
    if n:
        points = np.array([p for line in coords for p in line], dtype=np.float64)
        which = np.repeat(np.arange(n), [len(line) for line in coords])
        lines = np.asarray(shapely.linestrings(points, indices=which), dtype=object)
        mids = shapely.line_interpolate_point(lines, 0.5, normalized=True)
        mid = shapely.get_coordinates(mids)
    else:
        lines = np.empty(0, dtype=object)
        mid = np.zeros((0, 2))
    area_data = tuple(
        AreaData(
            key, name, kind, level, geometry, shapely.make_valid(shapely.geometry.shape(geometry))
        )
        for key, name, kind, level, geometry in areas
    )
    keys = tuple(row[1] for row in segments)
    ids = np.array([row[0] for row in segments], dtype=np.int64)
    return NetworkData(
        version=version,
        seg_ids=ids,
        seg_keys=keys,
        from_node=np.array([row[2] for row in segments], dtype=np.int64),
        to_node=np.array([row[3] for row in segments], dtype=np.int64),
        length_m=np.array([row[4] for row in segments], dtype=np.float64),
        bridge=np.array([row[6] for row in segments], dtype=np.bool_),
        road_names=tuple(row[7] for row in segments),
        coords=coords,
        lines=lines,
        mid=np.asarray(mid, dtype=np.float64).reshape(-1, 2),
        areas=area_data,
        seg_index={key: i for i, key in enumerate(keys)},
        seg_index_by_id={int(sid): i for i, sid in enumerate(ids.tolist())},
        area_index={area.key: i for i, area in enumerate(area_data)},
    )


# ---- which territory area each segment belongs to ------------------------------------------------


def assign_segments(net: NetworkData, territory_keys: Sequence[str]) -> IntArray:
    """For each segment, the index into `territory_keys` of the area it belongs to, or -1."""
    n = len(net.seg_keys)
    home = np.full(n, -1, dtype=np.int64)
    position = {key: i for i, key in enumerate(territory_keys)}
    present = [net.area_index[k] for k in territory_keys if k in net.area_index]
    if n == 0 or not present:
        return home
    candidates = np.array(
        [i for i, a in enumerate(net.areas) if a.kind != "county" or a.key in position],
        dtype=np.int64,
    )
    polygons = np.array([net.areas[i].shape for i in candidates], dtype=object)
    tree = shapely.STRtree(polygons)
    line_of, poly_of = tree.query(net.lines, predicate="intersects")
    inside = np.full(n, -1, dtype=np.int64)
    if line_of.size:
        overlap = shapely.length(shapely.intersection(net.lines[line_of], polygons[poly_of]))
        keep = overlap > 0
        line_of, poly_of, overlap = line_of[keep], poly_of[keep], overlap[keep]
        order = np.lexsort((shapely.area(polygons)[poly_of], -overlap, line_of))
        line_of, poly_of = line_of[order], poly_of[order]
        first = np.ones(line_of.size, dtype=np.bool_)
        first[1:] = line_of[1:] != line_of[:-1]
        inside[line_of[first]] = candidates[poly_of[first]]
    owner = _territory_of_areas(net, position)
    within = inside >= 0
    home[within] = owner[inside[within]]
    loose = np.flatnonzero(~within)
    if loose.size:
        _attach_connectors(net, home, loose)
    return home


def _territory_of_areas(net: NetworkData, position: Mapping[str, int]) -> IntArray:
    """Each area's territory index: its own, else the smallest territory area containing it."""
    owner = np.full(len(net.areas), -1, dtype=np.int64)
    territory_areas = [i for i, a in enumerate(net.areas) if a.key in position]
    for i in territory_areas:
        owner[i] = position[net.areas[i].key]
    others = [i for i, a in enumerate(net.areas) if a.key not in position]
    if not others or not territory_areas:
        return owner
    shapes = np.array([net.areas[i].shape for i in territory_areas], dtype=object)
    sizes = shapely.area(shapes)
    points = shapely.point_on_surface(np.array([net.areas[i].shape for i in others], dtype=object))
    contains = shapely.contains(shapes[:, None], points[None, :])
    for column, area in enumerate(others):
        hits = np.flatnonzero(contains[:, column])
        if hits.size:
            best = territory_areas[int(hits[np.argmin(sizes[hits])])]
            owner[area] = owner[best]
    return owner


def _attach_connectors(net: NetworkData, home: IntArray, loose: IntArray) -> None:
    """Segments inside no area go to the territory area nearest along such segments."""
    nodes, inverse = np.unique(np.concatenate([net.from_node, net.to_node]), return_inverse=True)
    n = len(net.seg_keys)
    head, tail = inverse[:n], inverse[n:]
    # The graph of loose segments only (parallel pieces: the shortest counts).
    weight = net.length_m[loose] + 1e-3
    a, b = head[loose], tail[loose]
    order = np.argsort(weight)
    pairs = np.minimum(a, b)[order] * len(nodes) + np.maximum(a, b)[order]
    _, first = np.unique(pairs, return_index=True)
    keep = order[first]
    graph = coo_matrix((weight[keep], (a[keep], b[keep])), shape=(len(nodes), len(nodes))).tocsr()
    owned = np.flatnonzero(home >= 0)
    if owned.size == 0:
        return
    seed_territory = np.full(len(nodes), -1, dtype=np.int64)
    seed_territory[head[owned]] = home[owned]
    seed_territory[tail[owned]] = home[owned]
    touching = np.zeros(len(nodes), dtype=np.bool_)
    touching[a] = True
    touching[b] = True
    seeds = np.flatnonzero((seed_territory >= 0) & touching)
    if seeds.size == 0:
        return
    dist, _, source = dijkstra(
        graph,
        directed=False,
        indices=seeds,
        min_only=True,
        return_predecessors=True,
        limit=CONNECTOR_REACH_M,
    )
    ends = np.stack([dist[a], dist[b]])
    nearer = np.argmin(ends, axis=0)
    end_node = np.where(nearer == 0, a, b)
    reach = ends.min(axis=0) + net.length_m[loose] / 2
    ok = np.isfinite(reach) & (reach <= CONNECTOR_REACH_M) & (source[end_node] >= 0)
    home[loose[ok]] = seed_territory[source[end_node[ok]]]


# ---- units ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureInputs:
    """What figures are made of, for one squadron."""

    area_figures: Mapping[str, tuple[int | None, int | None]]  # area key → drivers, vehicles
    segment_accidents: FloatArray  # per segment of the network
    segment_incidents: FloatArray  # per segment of the network, in the squadron's period
    ratings: Mapping[str, tuple[int | None, float | None]]  # unit or a:<area> → diff., police
    police_total: float


@dataclass
class UnitSet:
    """A squadron's units: ids, names, figures, positions and adjacency."""

    squadron_id: int
    network: NetworkData
    ids: list[str]
    kinds: list[str]  # segment | area
    names: list[str]
    area_keys: list[str]  # the territory area each unit belongs to
    figures: FloatArray  # n × len(FIGURES)
    lonlat: FloatArray  # n × 2, representative point
    xy: FloatArray  # n × 2, metres (local projection)
    segments: list[IntArray]  # each unit's segment indices
    edge_u: IntArray
    edge_v: IntArray
    edge_bridges: list[tuple[int, ...]]  # bridge segments meeting at the adjacency
    town_groups: list[list[int]]  # units of each town/township split into segments
    unit_of_segment: IntArray  # per segment of the network: its unit here, or -1
    hand_difficulty: IntArray  # the hand rating (the unit's, else its area's), 0 where none
    hand_source: list[str]  # `unit` or `area` where there is a hand rating, else ""
    incidents: FloatArray  # incidents on the unit's roads in the squadron's period
    difficulty_rating: IntArray  # the rating the difficulty figure was made with, 1..5
    difficulty_source: list[str]  # DifficultySource of each rating
    missing_areas: list[str]
    notes: list[tuple[str, str]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {uid: i for i, uid in enumerate(self.ids)}

    @property
    def n(self) -> int:
        return len(self.ids)

    def edge_kinds(self, barriers: Sequence[Sequence[Sequence[float]]]) -> list[EdgeKind]:
        if not barriers or self.edge_u.size == 0:
            return [EdgeKind.NORMAL] * int(self.edge_u.size)
        barrier = shapely.multilinestrings(
            [np.asarray(line, dtype=np.float64) for line in barriers]
        )
        links = shapely.linestrings(
            np.stack([self.lonlat[self.edge_u], self.lonlat[self.edge_v]], axis=1)
        )
        crosses = shapely.intersects(links, barrier)
        bridge_segments = np.flatnonzero(self.network.bridge)
        crossing_bridges: set[int] = set()
        if bridge_segments.size:
            hit = shapely.intersects(self.network.lines[bridge_segments], barrier)
            crossing_bridges = set(bridge_segments[hit].tolist())
        kinds = []
        for e, cross in enumerate(crosses.tolist()):
            if not cross:
                kinds.append(EdgeKind.NORMAL)
            elif any(s in crossing_bridges for s in self.edge_bridges[e]):
                kinds.append(EdgeKind.BRIDGE)
            else:
                kinds.append(EdgeKind.BARRIER)
        return kinds

    def graph(
        self,
        subset: Sequence[int] | None = None,
        *,
        barriers: Sequence[Sequence[Sequence[float]]] = (),
        town_whole: bool = False,
        locked: Mapping[str, int] | None = None,
    ) -> UnitGraph:
        """The engine's input for all units, or for `subset` (unit indices) only."""
        chosen = np.arange(self.n) if subset is None else np.asarray(sorted(subset), np.int64)
        keep = np.zeros(self.n, dtype=np.bool_)
        keep[chosen] = True
        units = [
            Unit(
                self.ids[i],
                dict(zip(FIGURES, self.figures[i].tolist(), strict=True)),
                float(self.xy[i, 0]),
                float(self.xy[i, 1]),
            )
            for i in chosen.tolist()
        ]
        kinds = self.edge_kinds(barriers)
        edges = [
            Adjacency(self.ids[u], self.ids[v], kinds[e])
            for e, (u, v) in enumerate(zip(self.edge_u.tolist(), self.edge_v.tolist(), strict=True))
            if keep[u] and keep[v]
        ]
        groups: list[list[str]] = []
        if town_whole:
            allowed = [
                (u, v)
                for e, (u, v) in enumerate(
                    zip(self.edge_u.tolist(), self.edge_v.tolist(), strict=True)
                )
                if kinds[e] is not EdgeKind.BARRIER and keep[u] and keep[v]
            ]
            for group in self.town_groups:
                members = [i for i in group if keep[i]]
                for part in _components(members, allowed):
                    if len(part) > 1:
                        groups.append([self.ids[i] for i in part])
        return UnitGraph(
            units=units,
            edges=edges,
            stay_whole=groups,
            locked=dict(locked or {}),
        )


def _components(members: list[int], edges: list[tuple[int, int]]) -> list[list[int]]:
    if len(members) <= 1:
        return [members]
    position = {u: i for i, u in enumerate(members)}
    pairs = [(position[u], position[v]) for u, v in edges if u in position and v in position]
    rows = np.array([p[0] for p in pairs], dtype=np.int64)
    cols = np.array([p[1] for p in pairs], dtype=np.int64)
    matrix = coo_matrix(
        (np.ones(rows.size), (rows, cols)), shape=(len(members), len(members))
    ).tocsr()
    count, labels = connected_components(matrix, directed=False)
    parts: list[list[int]] = [[] for _ in range(count)]
    for member, label in zip(members, labels.tolist(), strict=True):
        parts[label].append(member)
    return parts


def build_units(
    squadron_id: int,
    net: NetworkData,
    home: IntArray,
    territory_keys: Sequence[str],
    squadron_territory: Sequence[tuple[str, Granularity]],
    inputs: FigureInputs,
) -> UnitSet:
    """The squadron's units. `home` comes from `assign_segments(net, territory_keys)` (every
    squadron's areas); `squadron_territory` lists this squadron's areas and granularities."""
    position = {key: i for i, key in enumerate(territory_keys)}
    ids: list[str] = []
    kinds: list[str] = []
    names: list[str] = []
    unit_area: list[str] = []
    unit_segments: list[IntArray] = []
    lonlat: list[tuple[float, float]] = []
    missing: list[str] = []
    notes: list[tuple[str, str]] = []
    town_groups: list[list[int]] = []
    unit_of_segment = np.full(len(net.seg_keys), -1, dtype=np.int64)
    area_segments: dict[str, IntArray] = {}
    for area_key, granularity in squadron_territory:
        area_at = net.area_index.get(area_key)
        if area_at is None or area_key not in position:
            missing.append(area_key)
            continue
        area = net.areas[area_at]
        segments = np.flatnonzero(home == position[area_key])
        area_segments[area_key] = segments
        if granularity is Granularity.segments:
            first = len(ids)
            for s in segments.tolist():
                unit_of_segment[s] = len(ids)
                ids.append(f"s:{net.seg_keys[s]}")
                kinds.append("segment")
                names.append(net.road_names[s])
                unit_area.append(area_key)
                unit_segments.append(np.array([s], dtype=np.int64))
                lonlat.append((float(net.mid[s, 0]), float(net.mid[s, 1])))
            if area.kind in _TOWN_KINDS and len(ids) - first > 1:
                town_groups.append(list(range(first, len(ids))))
            if segments.size == 0:
                notes.append(
                    (
                        f"{area.name} 内没有道路，按路段划分时没有单元",
                        f"{area.name} has no roads, so split by segments it has no units",
                    )
                )
        else:
            unit_of_segment[segments] = len(ids)
            ids.append(f"a:{area_key}")
            kinds.append("area")
            names.append(area.name)
            unit_area.append(area_key)
            unit_segments.append(segments)
            point = shapely.point_on_surface(area.shape)
            lonlat.append((float(point.x), float(point.y)))
    n = len(ids)
    length = np.zeros(n)
    owned = np.flatnonzero(unit_of_segment >= 0)
    np.add.at(length, unit_of_segment[owned], net.length_m[owned])
    figures = np.zeros((n, len(FIGURES)))
    column = {name: i for i, name in enumerate(FIGURES)}
    figures[:, column[Figure.road_km]] = length / 1000.0

    # Drivers and vehicles: per area, spread over its roads by length.
    unit_at = {uid: i for i, uid in enumerate(ids)}
    for area_key, (drivers, vehicles) in inputs.area_figures.items():
        in_area = area_segments.get(area_key)
        if in_area is None:
            continue
        total = float(net.length_m[in_area].sum())
        for name, value in ((Figure.drivers, drivers), (Figure.vehicles, vehicles)):
            if not value:
                continue
            if total > 0:
                share = value * net.length_m[in_area] / total
                np.add.at(figures[:, column[name]], unit_of_segment[in_area], share)
            elif f"a:{area_key}" in unit_at:
                figures[unit_at[f"a:{area_key}"], column[name]] += value
            else:
                name_zh = net.areas[net.area_index[area_key]].name
                notes.append(
                    (
                        f"{name_zh} 没有道路，其{_FIGURE_ZH[name]}未计入",
                        f"{name_zh} has no roads: its {name.value} are not counted",
                    )
                )

    accidents = inputs.segment_accidents
    if accidents.size and owned.size:
        np.add.at(figures[:, column[Figure.accidents]], unit_of_segment[owned], accidents[owned])

    total_length = float(length.sum())
    hand_difficulty = np.zeros(n, dtype=np.int64)
    hand_source = [""] * n
    for i, uid in enumerate(ids):
        unit_rating = inputs.ratings.get(uid, (None, None))
        area_rating = inputs.ratings.get(f"a:{unit_area[i]}", (None, None))
        if unit_rating[0]:
            hand_difficulty[i], hand_source[i] = unit_rating[0], DifficultySource.unit.value
        elif area_rating[0]:
            hand_difficulty[i], hand_source[i] = area_rating[0], DifficultySource.area.value
        if unit_rating[1] is not None:
            police = unit_rating[1]
        elif area_rating[1] is not None:
            area_length = float(net.length_m[area_segments[unit_area[i]]].sum())
            police = area_rating[1] * (length[i] / area_length if area_length > 0 else 1.0)
        else:
            police = inputs.police_total * (length[i] / total_length if total_length > 0 else 0.0)
        figures[i, column[Figure.police]] = police

    points = np.array(lonlat, dtype=np.float64).reshape(-1, 2)
    edge_u, edge_v, edge_bridges = _adjacency(net, unit_of_segment, kinds, unit_area, ids)
    units = UnitSet(
        squadron_id=squadron_id,
        network=net,
        ids=ids,
        kinds=kinds,
        names=names,
        area_keys=unit_area,
        figures=figures,
        lonlat=points,
        xy=_project(points),
        segments=unit_segments,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_bridges=edge_bridges,
        town_groups=town_groups,
        unit_of_segment=unit_of_segment,
        hand_difficulty=hand_difficulty,
        hand_source=hand_source,
        incidents=np.zeros(n),
        difficulty_rating=np.ones(n, dtype=np.int64),
        difficulty_source=[DifficultySource.default.value] * n,
        missing_areas=missing,
        notes=notes,
    )
    return with_incidents(units, inputs.segment_incidents)


# ---- difficulty from incidents -------------------------------------------------------------------


def incident_ratings(road_km: FloatArray, incidents: FloatArray) -> IntArray:
    """Each unit's rating from its incidents per road km, by the squadron's own quintiles.

    The quintiles are taken among the units that have road and at least one incident (incidents
    are sparse: with the incident-free units in, most of a county's segments would share the
    bottom quintiles and any incident at all would rate 5). Such a unit's rating is
    ⌈5 × the share of those units whose density is at most its own⌉: the densest fifth gets 5,
    the next fifth 4, …, the sparsest fifth 1; equal densities share the higher rating, and a
    lone unit with incidents gets 5. Every other unit gets 1."""
    rating = np.ones(road_km.size, dtype=np.int64)
    scored = np.flatnonzero((road_km > 0) & (incidents > 0))
    if scored.size == 0:
        return rating
    density = incidents[scored] / road_km[scored]
    at_most = np.searchsorted(np.sort(density), density, side="right")
    # ⌈5k / m⌉ in integers, so that a density exactly on a fifth's edge is not lost to rounding.
    rating[scored] = (DIFFICULTY_LEVELS * at_most + scored.size - 1) // scored.size
    return rating


def with_incidents(units: UnitSet, segment_incidents: FloatArray) -> UnitSet:
    """The units with the incidents per segment counted on them and the difficulty figure made
    again: the hand rating where there is one, else the incident rating (`incident_ratings`),
    else 1, times road km. Cheap (no geometry): the unit cache calls it when incidents come in."""
    counts = np.zeros(units.n)
    owned = np.flatnonzero(units.unit_of_segment >= 0)
    if segment_incidents.size and owned.size:
        np.add.at(counts, units.unit_of_segment[owned], segment_incidents[owned])
    column = {name: i for i, name in enumerate(FIGURES)}
    road_km = units.figures[:, column[Figure.road_km]]
    derived = incident_ratings(road_km, counts)
    hand = units.hand_difficulty
    rating = np.where(hand > 0, hand, derived)
    from_incidents = (counts > 0) & (road_km > 0)
    source = [
        units.hand_source[i]
        if hand[i] > 0
        else DifficultySource.incidents.value
        if from_incidents[i]
        else DifficultySource.default.value
        for i in range(units.n)
    ]
    figures = units.figures.copy()
    figures[:, column[Figure.difficulty]] = rating * road_km
    return dataclasses.replace(
        units,
        figures=figures,
        incidents=counts,
        difficulty_rating=rating.astype(np.int64),
        difficulty_source=source,
    )


_FIGURE_ZH = {Figure.drivers: "驾驶人", Figure.vehicles: "机动车"}


def _project(points: FloatArray) -> FloatArray:
    if points.size == 0:
        return np.zeros((0, 2))
    lon0, lat0 = points.mean(axis=0)
    x = (points[:, 0] - lon0) * _METRES_PER_DEGREE_LON * math.cos(math.radians(lat0))
    y = (points[:, 1] - lat0) * _METRES_PER_DEGREE_LAT
    return np.stack([x, y], axis=1)


def _adjacency(
    net: NetworkData,
    unit_of_segment: IntArray,
    kinds: list[str],
    unit_area: list[str],
    ids: list[str],
) -> tuple[IntArray, IntArray, list[tuple[int, ...]]]:
    owned = np.flatnonzero(unit_of_segment >= 0)
    pairs: dict[tuple[int, int], set[int]] = {}
    if owned.size:
        nodes = np.concatenate([net.from_node[owned], net.to_node[owned]])
        units = np.concatenate([unit_of_segment[owned], unit_of_segment[owned]])
        segments = np.concatenate([owned, owned])
        order = np.lexsort((units, nodes))
        nodes, units, segments = nodes[order], units[order], segments[order]
        starts = np.flatnonzero(np.r_[True, nodes[1:] != nodes[:-1]])
        ends = np.r_[starts[1:], nodes.size]
        # Sorted by node, then unit: a node joins several units where its first and last differ.
        multi = np.flatnonzero(units[starts] != units[ends - 1])
        bridge = net.bridge
        for run in multi.tolist():
            s, e = int(starts[run]), int(ends[run])
            run_units = units[s:e].tolist()
            run_segments = segments[s:e].tolist()
            bridges: dict[int, list[int]] = {u: [] for u in run_units}
            for g, u in zip(run_segments, run_units, strict=True):
                if bridge[g]:
                    bridges[u].append(g)
            distinct = sorted(set(run_units))
            for i, u in enumerate(distinct):
                for v in distinct[i + 1 :]:
                    pairs.setdefault((u, v), set()).update(bridges[u], bridges[v])
    # Whole areas whose boundaries share a border touch even where no road crosses it.
    whole = [i for i, kind in enumerate(kinds) if kind == "area"]
    if len(whole) > 1:
        boundaries = shapely.boundary(
            np.array([net.areas[net.area_index[unit_area[i]]].shape for i in whole], dtype=object)
        )
        for x, u in enumerate(whole):
            shared = shapely.length(shapely.intersection(boundaries[x], boundaries[x + 1 :]))
            for offset in np.flatnonzero(shared > 0).tolist():
                v = whole[x + 1 + offset]
                pairs.setdefault((min(u, v), max(u, v)), set())
    ordered = sorted(pairs)
    edge_u = np.array([p[0] for p in ordered], dtype=np.int64)
    edge_v = np.array([p[1] for p in ordered], dtype=np.int64)
    return edge_u, edge_v, [tuple(sorted(pairs[p])) for p in ordered]


# ---- accidents onto segments ---------------------------------------------------------------------


def count_by_segment(net: NetworkData, segment_indices: Sequence[int]) -> FloatArray:
    counts = np.zeros(len(net.seg_keys))
    if segment_indices:
        np.add.at(counts, np.asarray(segment_indices, dtype=np.int64), 1.0)
    return counts
