"""Travel-time routing on the road network: snapping, many-to-one and one-to-many travel times,
and one-to-one routes with geometry.

`Router.build(records)` compiles the stored segments into a directed graph in CSR arrays (one arc
per allowed direction of a segment; of parallel arcs only the fastest is kept) plus its transpose,
and a shapely STRtree over the segments' pieces (pairs of consecutive vertices). The router is
immutable (its arrays are read-only): every query builds its own small arrays, so one instance
serves all requests from any thread. The caller builds a new one when the network changes.

Points are snapped onto the nearest segment, and travel starts and ends at the snapped position
*along* the segment, not at its nearest node: a point in the middle of a 1 km two-way street at
36 km/h is 50 s from either end, and on a one-way street it has to go the permitted way. A point
snapped exactly onto a node may leave or arrive through it whatever the segment's direction, since
it is at the intersection.

Each query runs one Dijkstra (scipy.sparse.csgraph) from a virtual node appended to the graph for
that query; its arcs lead to the one or two nodes the single point can leave by (or, on the
transposed graph, arrive from), weighted with the partial-segment times. The many points are then
priced from the distance array with numpy. Route lengths in metres come from the predecessor tree:
for every point by pointer doubling (in numpy rather than a Python walk per point), or, when only a
few are asked for (`metres_for`), by walking up just their paths.

The one-and-many queries take either coordinates or `Snap`s from this router: a caller that tracks
many moving points (officers) snaps each once, when its position arrives (`snap`, or `snap_many`
for a batch), and a query then snaps only what is new (the incident). `travel_seconds_to` and
`travel_seconds_from` answer with arrays (`TravelTimes`) and can limit metres to the k fastest, as
dispatch ranks by time and shows distance only for the shortlist; `travel_times_to` and
`travel_times_from` answer with one `Travel` per point, metres included.

All coordinates are WGS-84 (lon, lat). Snapping asks the tree only for pieces whose bounding boxes
meet a box around the point (cheap, in C) and measures those in numpy, in a local equirectangular
projection around the point with the ellipsoid's radii of curvature at its latitude: accurate to
well under 1% over the distances a snap spans. The box is sized in metres, so the nearest piece is
provably among the candidates whenever one lies within the box's radius; otherwise a larger radius
is tried.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import cast

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from patrolgrid.geo.network import LonLat, Oneway

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_WGS84_A = 6378137.0
_WGS84_E2 = 6.69437999014e-3
# A snap this close to a segment end (as a fraction of the segment) is at the node.
_END_FRACTION_TOLERANCE = 1e-9
# Route metres for at most this many points walk up their paths; for more, the whole tree is summed.
_WALK_AT_MOST = 64
# Snapping looks for roads within these radii in turn: nearly every position is within the first;
# the few that are farther from every road than the last fall back to the tree's nearest search.
_SNAP_RADII_M = (25.0, 200.0)


@dataclass(frozen=True)
class SegmentRecord:
    """A road segment as the roads domain stores it, ready for routing."""

    id: int
    from_node: int
    to_node: int
    coords: Sequence[LonLat]  # from_node's point first, to_node's point last
    length_m: float
    oneway: Oneway
    speed_kmh: float


@dataclass(frozen=True, slots=True)
class Snap:
    """Where a point meets the road network."""

    segment_id: int
    fraction: float  # 0 at the segment's from_node, 1 at its to_node, by length
    point: LonLat  # the nearest point on the segment
    distance_m: float  # from the query point to `point`


@dataclass(frozen=True, slots=True)
class Travel:
    """The fastest road travel between two points, from the snapped start to the snapped end."""

    seconds: float
    metres: float
    start_snap_m: float  # how far the start point is from the road
    end_snap_m: float


@dataclass(frozen=True, slots=True)
class TravelTimes:
    """Travel between one point and many, as read-only arrays in the order of the many points.

    `seconds` is inf where a point cannot reach (or be reached), takes longer than the limit, or
    (like the one point) has no road within `max_snap_m`. `metres` is the length of the fastest
    route where it was computed (every reachable point, or the `metres_for` fastest) and NaN
    elsewhere. Distances from the road are inf for points that were not snapped.
    """

    seconds: FloatArray
    metres: FloatArray
    snap_m: FloatArray  # each of the many points from the road
    one_snap_m: float  # the one point (the target of `travel_seconds_to`) from the road

    def fastest(self, count: int | None = None) -> IntArray:
        """Indices of the reachable points, fastest first (ties in input order), at most `count`.
        With `metres_for=k`, metres are known for exactly `fastest(k)`."""
        return _fastest(self.seconds, count)


@dataclass(frozen=True, slots=True)
class Route:
    """The fastest route between two points, for drawing and navigation."""

    seconds: float
    metres: float
    geometry: tuple[LonLat, ...]  # start.point, along the roads, ..., end.point
    segment_ids: tuple[int, ...]  # the segments driven on, in order
    start: Snap
    end: Snap


@dataclass(frozen=True)
class _ArcGraph:
    """A directed graph over nodes 0..n-1, with one spare empty row n for a query's virtual node.
    At most one arc per (tail, head); the per-arc arrays are aligned with the CSR arrays."""

    matrix: csr_matrix
    metres: FloatArray
    segment: IntArray  # the segment an arc runs along
    along: BoolArray  # True if the arc runs from the segment's from_node to its to_node


@dataclass(frozen=True)
class _Located:
    """Where several query points are on the network, as arrays (one entry per point): all that
    travel times need."""

    snapped: BoolArray  # False where no segment is within the allowed distance
    segment: IntArray  # segment index, -1 where not snapped
    fraction: FloatArray
    distance_m: FloatArray  # inf where not snapped


@dataclass(frozen=True)
class _Snaps(_Located):
    """Snapped positions with the snapped points themselves, as routes need."""

    piece: IntArray  # global index of the vertex that starts the polyline piece the snap is on
    lon: FloatArray
    lat: FloatArray


@dataclass(frozen=True)
class _Query:
    """Points to snap, with the metres per degree of longitude and latitude at each."""

    lons: FloatArray
    lats: FloatArray
    metres_per_lon: FloatArray
    metres_per_lat: FloatArray


@dataclass(frozen=True)
class _Measured:
    """For (point, piece) pairs: the nearest point of the piece to the point."""

    segment: IntArray
    distance: FloatArray  # metres
    fraction: FloatArray
    piece: IntArray  # global index of the piece's first vertex
    t: FloatArray  # where on the piece the nearest point is, 0..1


@dataclass(frozen=True)
class _Ends:
    """For each query point, its two ways on or off the network: via the snapped segment's
    from_node (row 0) or to_node (row 1), with the partial-segment cost and whether allowed."""

    node: IntArray  # shape (2, k)
    seconds: FloatArray
    metres: FloatArray
    allowed: BoolArray


@dataclass(frozen=True)
class _Search:
    """The result of one Dijkstra from a query's virtual node."""

    seconds: FloatArray  # per node, inf where not reached
    predecessor: NDArray[np.int32] | None  # None when not asked for
    seed_node: IntArray  # the nodes the virtual node has arcs to, sorted
    seed_side: IntArray  # for each seed, 0 if it is the segment's from_node, 1 if its to_node


def _radii_of_curvature(lat_deg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Metres per degree of longitude and of latitude on the WGS-84 ellipsoid at these latitudes."""
    lat = np.radians(lat_deg)
    w = np.sqrt(1.0 - _WGS84_E2 * np.sin(lat) ** 2)
    per_radian_lon = _WGS84_A / w * np.cos(lat)
    per_radian_lat = _WGS84_A * (1.0 - _WGS84_E2) / (w * w * w)
    return per_radian_lon * (math.pi / 180.0), per_radian_lat * (math.pi / 180.0)


def _group_first(group: IntArray, value: FloatArray) -> IntArray:
    """For each run of equal values in `group` (runs must be contiguous), the index of the run's
    smallest `value`, the first one on ties."""
    if len(group) == 0:
        return np.zeros(0, np.int64)
    is_start = np.ones(len(group), np.bool_)
    is_start[1:] = group[1:] != group[:-1]
    starts = np.flatnonzero(is_start)
    smallest = np.minimum.reduceat(value, starts)
    candidates = np.flatnonzero(value == np.repeat(smallest, np.diff(np.r_[starts, len(group)])))
    return candidates[np.searchsorted(candidates, starts)]


def _fastest(seconds: FloatArray, count: int | None) -> IntArray:
    """Indices of the finite entries, smallest first (ties in index order), at most `count`."""
    finite = np.flatnonzero(np.isfinite(seconds))
    order: IntArray = finite[np.argsort(seconds[finite], kind="stable")]
    return order if count is None else order[:count]


def _arc_positions(matrix: csr_matrix, tails: IntArray, heads: IntArray) -> IntArray:
    """Where each arc tail -> head is in the CSR arrays; every arc must exist. Scans the rows in
    step, a few arcs at a time, since rows are as short as a node's degree."""
    position: IntArray = np.asarray(matrix.indptr[tails], dtype=np.int64)
    todo = np.flatnonzero(matrix.indices[position] != heads)
    while len(todo):
        position[todo] += 1
        todo = todo[matrix.indices[position[todo]] != heads[todo]]
    return position


def _readonly(*arrays: NDArray[np.generic]) -> None:
    for array in arrays:
        array.setflags(write=False)


class Router:
    """Immutable travel-time router over a road network. Build with `Router.build(records)`."""

    def __init__(
        self,
        *,
        node_ids: IntArray,
        segment_ids: IntArray,
        segment_from: IntArray,
        segment_to: IntArray,
        segment_seconds: FloatArray,
        segment_metres: FloatArray,
        forward_ok: BoolArray,
        backward_ok: BoolArray,
        vertex_start: IntArray,
        vertex_lon: FloatArray,
        vertex_lat: FloatArray,
    ) -> None:
        self._node_ids = node_ids
        self._segment_ids = segment_ids
        self._from = segment_from
        self._to = segment_to
        self._seconds = segment_seconds
        self._metres = segment_metres
        self._forward_ok = forward_ok
        self._backward_ok = backward_ok
        self._vertex_start = vertex_start
        self._vertex_lon = vertex_lon
        self._vertex_lat = vertex_lat
        _readonly(
            node_ids,
            segment_ids,
            segment_from,
            segment_to,
            segment_seconds,
            segment_metres,
            forward_ok,
            backward_ok,
            vertex_start,
            vertex_lon,
            vertex_lat,
        )
        self._vertex_along = self._along_segments()
        # Segment ids in order, to turn the ids in callers' Snaps back into segment indices.
        self._id_order = np.argsort(segment_ids, kind="stable")
        self._sorted_ids = segment_ids[self._id_order]
        _readonly(self._id_order, self._sorted_ids)
        self._forward, self._backward = self._compile_graphs()
        # The tree holds every piece (pair of consecutive vertices) of every segment, so a query
        # measures only the pieces near it. Longitude is scaled by cos(mid latitude) so that the
        # tree's own nearest search (the fallback for far-off points) is nearly isotropic.
        mid_lat = float(np.mean(vertex_lat)) if len(vertex_lat) else 0.0
        self._lon_scale = math.cos(math.radians(mid_lat))
        self._vertex_segment = np.repeat(np.arange(len(segment_ids)), np.diff(vertex_start))
        is_piece_start = np.ones(len(vertex_lon), np.bool_)
        is_piece_start[vertex_start[1:] - 1] = False  # a segment's last vertex starts no piece
        self._piece_vertex = np.flatnonzero(is_piece_start)
        _readonly(self._vertex_segment, self._piece_vertex)
        ends = np.stack((self._piece_vertex, self._piece_vertex + 1), axis=1).reshape(-1)
        scaled = np.column_stack((vertex_lon[ends] * self._lon_scale, vertex_lat[ends]))
        pieces = shapely.linestrings(
            scaled, indices=np.repeat(np.arange(len(self._piece_vertex)), 2)
        )
        self._tree = shapely.STRtree(pieces)

    # --- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, records: Iterable[SegmentRecord]) -> Router:
        rows = list(records)
        count = len(rows)
        segment_ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=count)
        if len(np.unique(segment_ids)) != count:
            raise ValueError("segment ids must be unique")
        lengths = np.fromiter((r.length_m for r in rows), dtype=np.float64, count=count)
        speeds = np.fromiter((r.speed_kmh for r in rows), dtype=np.float64, count=count)
        if not np.all(np.isfinite(lengths) & (lengths >= 0)):
            raise ValueError("segment lengths must be finite and >= 0")
        if not np.all(np.isfinite(speeds) & (speeds > 0)):
            raise ValueError("segment speeds must be finite and > 0")
        vertex_counts = np.fromiter((len(r.coords) for r in rows), dtype=np.int64, count=count)
        if np.any(vertex_counts < 2):
            raise ValueError("every segment needs at least two points")
        vertex_start = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(vertex_counts, out=vertex_start[1:])
        flat = np.fromiter(
            chain.from_iterable(chain.from_iterable(r.coords for r in rows)),
            dtype=np.float64,
            count=2 * int(vertex_start[-1]),
        ).reshape(-1, 2)
        node_ids, node_index = np.unique(
            np.fromiter(
                (node for r in rows for node in (r.from_node, r.to_node)),
                dtype=np.int64,
                count=2 * count,
            ),
            return_inverse=True,
        )
        oneways = [Oneway(r.oneway) for r in rows]
        return cls(
            node_ids=node_ids,
            segment_ids=segment_ids,
            segment_from=node_index[0::2].astype(np.int64),
            segment_to=node_index[1::2].astype(np.int64),
            segment_seconds=lengths / (speeds / 3.6),
            segment_metres=lengths,
            forward_ok=np.array([o is not Oneway.backward for o in oneways], dtype=np.bool_),
            backward_ok=np.array([o is not Oneway.forward for o in oneways], dtype=np.bool_),
            vertex_start=vertex_start,
            vertex_lon=np.ascontiguousarray(flat[:, 0]),
            vertex_lat=np.ascontiguousarray(flat[:, 1]),
        )

    def _along_segments(self) -> FloatArray:
        """Metres from its segment's first vertex to each vertex (equirectangular per piece).

        Snap fractions are measured with this one table, so the same point always gets the same
        fraction, whatever else is snapped with it.
        """
        lon, lat = self._vertex_lon, self._vertex_lat
        lon_metres, lat_metres = _radii_of_curvature((lat[1:] + lat[:-1]) / 2)
        step = np.hypot(np.diff(lon) * lon_metres, np.diff(lat) * lat_metres)
        step[self._vertex_start[1:-1] - 1] = 0.0  # no step from one segment's end to the next
        running = np.zeros(len(lon))
        np.cumsum(step, out=running[1:])
        first_vertex = np.repeat(self._vertex_start[:-1], np.diff(self._vertex_start))
        along: FloatArray = running - running[first_vertex]
        _readonly(along)
        return along

    def _compile_graphs(self) -> tuple[_ArcGraph, _ArcGraph]:
        """The forward graph and its transpose, each with one arc per (tail, head): the fastest."""
        segments = np.arange(len(self._segment_ids))
        forward, backward = self._forward_ok, self._backward_ok
        tail = np.concatenate((self._from[forward], self._to[backward]))
        head = np.concatenate((self._to[forward], self._from[backward]))
        seconds = np.concatenate((self._seconds[forward], self._seconds[backward]))
        metres = np.concatenate((self._metres[forward], self._metres[backward]))
        segment = np.concatenate((segments[forward], segments[backward]))
        along = np.concatenate(
            (np.ones(int(forward.sum()), np.bool_), np.zeros(int(backward.sum()), np.bool_))
        )
        # A loop (tail == head) never shortens a path between nodes; a point on one still
        # reaches its node through the snapping logic.
        proper = tail != head
        arcs = (tail[proper], head[proper], seconds[proper], metres[proper])
        extras = (segment[proper], along[proper])
        return (
            self._arc_graph(*arcs, *extras),
            self._arc_graph(arcs[1], arcs[0], arcs[2], arcs[3], *extras),
        )

    def _arc_graph(
        self,
        tail: IntArray,
        head: IntArray,
        seconds: FloatArray,
        metres: FloatArray,
        segment: IntArray,
        along: BoolArray,
    ) -> _ArcGraph:
        size = len(self._node_ids) + 1  # + the virtual node's empty row
        order = np.lexsort((seconds, head, tail))
        tail, head = tail[order], head[order]
        fastest = np.ones(len(tail), np.bool_)
        fastest[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        tail, head = tail[fastest], head[fastest]
        kept = order[fastest]
        indptr = np.zeros(size + 1, dtype=np.int32)
        np.cumsum(np.bincount(tail, minlength=size), out=indptr[1:])
        matrix = csr_matrix((seconds[kept], head.astype(np.int32), indptr), shape=(size, size))
        graph = _ArcGraph(
            matrix=matrix,
            metres=metres[kept],
            segment=segment[kept],
            along=along[kept],
        )
        _readonly(
            matrix.data, matrix.indices, matrix.indptr, graph.metres, graph.segment, graph.along
        )
        return graph

    # --- public queries -------------------------------------------------------------------

    @property
    def node_count(self) -> int:
        return len(self._node_ids)

    @property
    def segment_count(self) -> int:
        return len(self._segment_ids)

    @property
    def arc_count(self) -> int:
        """Directed arcs in the routing graph (after dropping slower parallel arcs and loops)."""
        return len(self._forward.metres)

    def snap(self, lon: float, lat: float, max_distance_m: float | None = None) -> Snap | None:
        """The nearest point on the network, or None if none is within `max_distance_m`."""
        snaps = self._snap_many(np.array([lon]), np.array([lat]), max_distance_m)
        return self._snap_at(snaps, 0) if snaps.snapped[0] else None

    def snap_many(
        self, points: Sequence[LonLat], max_distance_m: float | None = None
    ) -> list[Snap | None]:
        """`snap` for many points at once (e.g. a batch of tracked positions), much cheaper per
        point; the Snaps can be kept and passed to the travel-time queries."""
        snaps = self._snap_points(points, max_distance_m)
        return [
            self._snap_at(snaps, i) if snapped else None
            for i, snapped in enumerate(snaps.snapped.tolist())
        ]

    def travel_times_to(
        self,
        target: LonLat | Snap,
        sources: Sequence[LonLat | Snap],
        limit_s: float | None = None,
        max_snap_m: float | None = None,
    ) -> list[Travel | None]:
        """Fastest travel from each source to the target (e.g. every officer to one incident).

        None for a source that cannot reach the target, takes longer than `limit_s`, or is (like
        the target) farther than `max_snap_m` from any road. One reverse Dijkstra from the
        target, bounded by `limit_s`, whatever the number of sources.

        Points may be given as coordinates or as `Snap`s from this router (e.g. kept from when a
        tracked position arrived), which are not snapped again; the answers are the same.
        """
        return self._travels(target, sources, limit_s, max_snap_m, one_is_origin=False)

    def travel_times_from(
        self,
        source: LonLat | Snap,
        targets: Sequence[LonLat | Snap],
        limit_s: float | None = None,
        max_snap_m: float | None = None,
    ) -> list[Travel | None]:
        """Fastest travel from the source to each target; the mirror of `travel_times_to`."""
        return self._travels(source, targets, limit_s, max_snap_m, one_is_origin=True)

    def travel_seconds_to(
        self,
        target: LonLat | Snap,
        sources: Sequence[LonLat | Snap],
        limit_s: float | None = None,
        max_snap_m: float | None = None,
        *,
        metres_for: int | None = None,
    ) -> TravelTimes:
        """`travel_times_to` as arrays, for ranking many sources (dispatch).

        `metres_for=k` computes route metres only for the k fastest sources (`fastest(k)`; 0 for
        none), which spares most of the work after the search; None (the default) computes them
        for every reachable source. Seconds are the same either way.
        """
        return self._travel(target, sources, limit_s, max_snap_m, metres_for, one_is_origin=False)

    def travel_seconds_from(
        self,
        source: LonLat | Snap,
        targets: Sequence[LonLat | Snap],
        limit_s: float | None = None,
        max_snap_m: float | None = None,
        *,
        metres_for: int | None = None,
    ) -> TravelTimes:
        """`travel_times_from` as arrays; the mirror of `travel_seconds_to`."""
        return self._travel(source, targets, limit_s, max_snap_m, metres_for, one_is_origin=True)

    def route(self, start: LonLat, end: LonLat, max_snap_m: float | None = None) -> Route | None:
        """The fastest route with its geometry, for drawing and navigation; None if unreachable."""
        snaps = self._snap_many(
            np.array([start[0], end[0]]), np.array([start[1], end[1]]), max_snap_m
        )
        if not snaps.snapped.all():
            return None
        leaving = self._ends(snaps, np.array([0]), leaving=True)
        arriving = self._ends(snaps, np.array([1]), leaving=False)
        search = self._search(self._forward, leaving, limit_s=None)
        via_node = search.seconds[arriving.node[:, 0]] + arriving.seconds[:, 0]
        via_node[~arriving.allowed[:, 0]] = np.inf
        side = int(np.argmin(via_node))
        direct = self._direct_seconds(snaps, 0, 1)
        best = min(float(via_node[side]), direct)
        if not math.isfinite(best):
            return None
        start_snap, end_snap = self._snap_at(snaps, 0), self._snap_at(snaps, 1)
        if direct <= best:
            geometry = self._partial(snaps, 0, 1)
            metres = abs(end_snap.fraction - start_snap.fraction)
            metres *= float(self._metres[snaps.segment[0]])
            segments = [int(snaps.segment[0])] if metres > 0 else []
            return self._make_route(direct, metres, geometry, segments, start_snap, end_snap)
        return self._route_through_graph(search, snaps, leaving, arriving, side, best)

    # --- snapping -------------------------------------------------------------------------

    def _snap_many(
        self, lons: FloatArray, lats: FloatArray, max_distance_m: float | None
    ) -> _Snaps:
        count = len(lons)
        result = _Snaps(
            snapped=np.zeros(count, np.bool_),
            segment=np.full(count, -1, np.int64),
            fraction=np.zeros(count),
            piece=np.zeros(count, np.int64),
            lon=np.full(count, np.nan),
            lat=np.full(count, np.nan),
            distance_m=np.full(count, np.inf),
        )
        if count == 0 or self.segment_count == 0:
            return result
        metres_per_lon, metres_per_lat = _radii_of_curvature(lats)
        query = _Query(lons, lats, metres_per_lon, metres_per_lat)
        pending = np.arange(count)
        for radius in _SNAP_RADII_M:
            if max_distance_m is not None:
                radius = min(radius, max_distance_m)
            pending = self._snap_within(query, pending, np.full(len(pending), radius), result)
            if len(pending) == 0 or (max_distance_m is not None and radius >= max_distance_m):
                return result
        # Farther than that from every road: the distance to the tree's nearest piece (nearest in
        # its scaled space, so not necessarily in metres) bounds the distance to the nearest.
        points = shapely.points(lons[pending] * self._lon_scale, lats[pending])
        nearest = self._tree.query_nearest(points, all_matches=False)
        bound = self._measure(query, pending[nearest[0]], self._piece_vertex[nearest[1]]).distance
        if max_distance_m is not None:
            bound = np.minimum(bound, max_distance_m)
        self._snap_within(query, pending, bound * (1 + 1e-9), result)
        return result

    def _snap_within(
        self, query: _Query, pending: IntArray, radius_m: FloatArray, result: _Snaps
    ) -> IntArray:
        """Snap the pending points that have a road within radius_m; return the others.

        The tree is asked only for the pieces whose bounding boxes meet a box that holds the
        radius-metre circle around each point: the nearest piece is among them whenever one of
        them is within the radius.
        """
        half_width = radius_m / query.metres_per_lon[pending] * self._lon_scale
        half_height = radius_m / query.metres_per_lat[pending]
        x = query.lons[pending] * self._lon_scale
        y = query.lats[pending]
        boxes = shapely.box(x - half_width, y - half_height, x + half_width, y + half_height)
        box_index, piece = self._tree.query(boxes)
        if np.any(box_index[1:] < box_index[:-1]):  # grouped by box, as _group_first needs
            order = np.argsort(box_index, kind="stable")
            box_index, piece = box_index[order], piece[order]
        pair_query = pending[box_index]
        measured = self._measure(query, pair_query, self._piece_vertex[piece])
        best = _group_first(pair_query, measured.distance)
        slot = np.searchsorted(pending, pair_query[best])  # pending is sorted
        within = measured.distance[best] <= radius_m[slot]
        best, slot = best[within], slot[within]
        winner = pair_query[best]
        vertex, t = measured.piece[best], measured.t[best]
        result.snapped[winner] = True
        result.segment[winner] = measured.segment[best]
        result.fraction[winner] = measured.fraction[best]
        result.piece[winner] = vertex
        for coordinate, vertices in (
            (result.lon, self._vertex_lon),
            (result.lat, self._vertex_lat),
        ):
            coordinate[winner] = vertices[vertex] + t * (vertices[vertex + 1] - vertices[vertex])
        result.distance_m[winner] = measured.distance[best]
        still_pending = np.ones(len(pending), np.bool_)
        still_pending[slot] = False
        return pending[still_pending]

    def _measure(self, query: _Query, pair_query: IntArray, pair_vertex: IntArray) -> _Measured:
        """The nearest point to each query point on a piece (given by its first vertex), in the
        local equirectangular projection around the query point."""
        kx, ky = query.metres_per_lon[pair_query], query.metres_per_lat[pair_query]
        qlon, qlat = query.lons[pair_query], query.lats[pair_query]
        x0 = (self._vertex_lon[pair_vertex] - qlon) * kx
        y0 = (self._vertex_lat[pair_vertex] - qlat) * ky
        dx = (self._vertex_lon[pair_vertex + 1] - qlon) * kx - x0
        dy = (self._vertex_lat[pair_vertex + 1] - qlat) * ky - y0
        length_sq = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.clip(np.where(length_sq > 0, -(x0 * dx + y0 * dy) / length_sq, 0.0), 0.0, 1.0)
        segment = self._vertex_segment[pair_vertex]
        along = self._vertex_along[pair_vertex] + t * (
            self._vertex_along[pair_vertex + 1] - self._vertex_along[pair_vertex]
        )
        span = self._vertex_along[self._vertex_start[segment + 1] - 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.clip(np.where(span > 0, along / span, 0.0), 0.0, 1.0)
        fraction[fraction < _END_FRACTION_TOLERANCE] = 0.0
        fraction[fraction > 1.0 - _END_FRACTION_TOLERANCE] = 1.0
        distance = np.hypot(x0 + t * dx, y0 + t * dy)
        return _Measured(segment, distance, fraction, pair_vertex, t)

    def _locate(self, points: Sequence[LonLat | Snap], max_snap_m: float | None) -> _Located:
        """Where each point is on the network: coordinates are snapped together, Snaps are read."""
        is_snap = np.fromiter((isinstance(p, Snap) for p in points), np.bool_, len(points))
        if is_snap.all():
            return self._read_snaps(cast(Sequence[Snap], points), max_snap_m)
        if not is_snap.any():
            return self._snap_points(cast(Sequence[LonLat], points), max_snap_m)
        parts: list[tuple[IntArray, _Located]] = []
        for kind in (True, False):
            where = np.flatnonzero(is_snap == kind)
            chosen = [points[i] for i in where.tolist()]
            if kind:
                parts.append((where, self._read_snaps(cast(list[Snap], chosen), max_snap_m)))
            else:
                parts.append((where, self._snap_points(cast(list[LonLat], chosen), max_snap_m)))
        located = _Located(
            snapped=np.empty(len(points), np.bool_),
            segment=np.empty(len(points), np.int64),
            fraction=np.empty(len(points)),
            distance_m=np.empty(len(points)),
        )
        for where, part in parts:
            located.snapped[where] = part.snapped
            located.segment[where] = part.segment
            located.fraction[where] = part.fraction
            located.distance_m[where] = part.distance_m
        return located

    def _snap_points(self, points: Sequence[LonLat], max_snap_m: float | None) -> _Snaps:
        xy = np.array(points, dtype=np.float64).reshape(-1, 2)
        return self._snap_many(xy[:, 0].copy(), xy[:, 1].copy(), max_snap_m)

    def _read_snaps(self, snaps: Sequence[Snap], max_snap_m: float | None) -> _Located:
        """Snaps that callers kept, as arrays; those farther than max_snap_m count as unsnapped."""
        count = len(snaps)
        ids = np.fromiter((s.segment_id for s in snaps), np.int64, count)
        fraction = np.fromiter((s.fraction for s in snaps), np.float64, count)
        distance = np.fromiter((s.distance_m for s in snaps), np.float64, count)
        if not np.all((fraction >= 0.0) & (fraction <= 1.0)):
            raise ValueError("a snap's fraction must be within 0..1")
        fraction[fraction < _END_FRACTION_TOLERANCE] = 0.0
        fraction[fraction > 1.0 - _END_FRACTION_TOLERANCE] = 1.0
        slot = np.searchsorted(self._sorted_ids, ids)
        known = slot < len(self._sorted_ids)
        known[known] = self._sorted_ids[slot[known]] == ids[known]
        if not known.all():
            unknown = int(ids[~known][0])
            raise ValueError(
                f"snapped onto segment {unknown}, which this router does not have: "
                "snap again with the router built after the network changed"
            )
        segment = self._id_order[slot]
        if max_snap_m is None:
            return _Located(np.ones(count, np.bool_), segment, fraction, distance)
        snapped = distance <= max_snap_m
        return _Located(
            snapped,
            np.where(snapped, segment, -1),
            fraction,
            np.where(snapped, distance, np.inf),
        )

    def _snap_at(self, snaps: _Snaps, i: int) -> Snap:
        return Snap(
            segment_id=int(self._segment_ids[snaps.segment[i]]),
            fraction=float(snaps.fraction[i]),
            point=(float(snaps.lon[i]), float(snaps.lat[i])),
            distance_m=float(snaps.distance_m[i]),
        )

    # --- travel times ---------------------------------------------------------------------

    def _ends(self, snaps: _Located, which: IntArray, *, leaving: bool) -> _Ends:
        """How the snapped points `which` get off the network (leaving) or onto it (arriving).

        Leaving towards the to_node needs the segment to allow forward travel; arriving from the
        from_node does too. A point exactly at a node may use that node either way.
        """
        segment = snaps.segment[which]
        fraction = snaps.fraction[which]
        at_from, at_to = fraction == 0.0, fraction == 1.0
        forward, backward = self._forward_ok[segment], self._backward_ok[segment]
        if leaving:
            allowed = np.vstack((backward | at_from, forward | at_to))
        else:
            allowed = np.vstack((forward | at_from, backward | at_to))
        share = np.vstack((fraction, 1.0 - fraction))
        return _Ends(
            node=np.vstack((self._from[segment], self._to[segment])),
            seconds=share * self._seconds[segment],
            metres=share * self._metres[segment],
            allowed=allowed,
        )

    def _direct_seconds(self, snaps: _Located, origin: int, destination: int) -> float:
        """Travel between two points on the same segment without leaving it (inf if impossible)."""
        segment = snaps.segment[origin]
        if segment != snaps.segment[destination]:
            return math.inf
        f, g = float(snaps.fraction[origin]), float(snaps.fraction[destination])
        if (g > f and not self._forward_ok[segment]) or (g < f and not self._backward_ok[segment]):
            return math.inf
        return abs(g - f) * float(self._seconds[segment])

    def _search(
        self, graph: _ArcGraph, ends: _Ends, limit_s: float | None, *, predecessors: bool = True
    ) -> _Search:
        """Dijkstra from a virtual node with arcs to the allowed ends of one point (column 0)."""
        allowed = ends.allowed[:, 0]
        nodes, costs = ends.node[allowed, 0], ends.seconds[allowed, 0]
        sides = np.flatnonzero(allowed)
        # One arc per node: a loop segment has both ends at the same node.
        order = np.lexsort((costs, nodes))
        keep = order[np.r_[True, nodes[order][1:] != nodes[order][:-1]]]
        seed_node, seed_cost, seed_side = nodes[keep], costs[keep], sides[keep]
        base = graph.matrix
        size = base.shape[0]
        indptr = base.indptr.copy()
        indptr[-1] += len(seed_node)
        matrix = csr_matrix(
            (
                np.concatenate((base.data, seed_cost)),
                np.concatenate((base.indices, seed_node.astype(np.int32))),
                indptr,
            ),
            shape=(size, size),
        )
        limit = np.inf if limit_s is None else limit_s
        if not predecessors:
            seconds = dijkstra(matrix, directed=True, indices=size - 1, limit=limit)
            return _Search(seconds, None, seed_node, seed_side)
        seconds, predecessor = dijkstra(
            matrix, directed=True, indices=size - 1, return_predecessors=True, limit=limit
        )
        return _Search(seconds, predecessor, seed_node, seed_side)

    def _up_metres(
        self, graph: _ArcGraph, search: _Search, ends: _Ends, child: IntArray, parent: IntArray
    ) -> FloatArray:
        """Metres of the tree arcs parent -> child (a parent may be the virtual node)."""
        up = np.empty(len(child))
        from_seed = parent == len(search.seconds) - 1
        seed_side = search.seed_side[np.searchsorted(search.seed_node, child[from_seed])]
        up[from_seed] = ends.metres[seed_side, 0]
        inner = ~from_seed
        up[inner] = graph.metres[_arc_positions(graph.matrix, parent[inner], child[inner])]
        return up

    def _tree_metres(self, graph: _ArcGraph, search: _Search, ends: _Ends) -> FloatArray:
        """Metres along the shortest-path tree from the virtual node to every reached node."""
        assert search.predecessor is not None
        size = len(search.seconds)
        child = np.flatnonzero(search.predecessor >= 0)  # scipy: -9999 for root and unreached
        parent = search.predecessor[child].astype(np.int64)
        up = np.zeros(size)  # metres of the tree arc from each node's parent
        up[child] = self._up_metres(graph, search, ends, child, parent)
        # Pointer doubling: after step k every node knows the metres to its 2^k-th ancestor. The
        # root and unreached nodes are their own ancestors.
        ancestor = np.arange(size, dtype=np.int64)
        ancestor[child] = parent
        next_ancestor = np.empty_like(ancestor)
        while True:
            np.take(ancestor, ancestor, out=next_ancestor)
            if np.array_equal(next_ancestor, ancestor):
                break
            up += up[ancestor]
            ancestor, next_ancestor = next_ancestor, ancestor
        up[~np.isfinite(search.seconds)] = np.inf
        return up

    def _path_metres(
        self, graph: _ArcGraph, search: _Search, ends: _Ends, nodes: IntArray
    ) -> FloatArray:
        """Metres along the shortest-path tree from the virtual node to a few reached nodes.

        Walks up each node's path until it meets the virtual node or a path already walked, so
        the cost is the size of the union of the paths rather than of the whole tree.
        """
        assert search.predecessor is not None
        virtual = len(search.seconds) - 1
        predecessor = search.predecessor.data  # a memoryview: Python ints, without a copy
        position: dict[int, int] = {virtual: -1}  # node -> index in `path`
        path: list[int] = []  # the union of the paths, each chain root-first
        chain_start: list[int] = []
        for start in nodes.tolist():
            chain: list[int] = []
            node = start
            while node not in position:
                chain.append(node)
                node = predecessor[node]
            if chain:
                first = len(path)
                position.update(
                    zip(chain, range(first + len(chain) - 1, first - 1, -1), strict=True)
                )
                chain.reverse()
                chain_start.append(first)
                path.extend(chain)
        if not path:
            return np.zeros(0)
        child = np.array(path, dtype=np.int64)
        parent = search.predecessor[child].astype(np.int64)
        running = np.cumsum(self._up_metres(graph, search, ends, child, parent))
        # A chain's nodes are its top's parent (the virtual node, or a node of an earlier chain)
        # plus the running sum since the chain began.
        lengths = np.diff(np.r_[chain_start, len(path)])
        chain_of = np.repeat(np.arange(len(chain_start)), lengths)
        offset = [0.0] * len(chain_start)
        top_parent = parent[chain_start].tolist()
        before = np.r_[0.0, running][chain_start].tolist()
        for c, above in enumerate(top_parent):
            if above != virtual:
                at = position[above]
                offset[c] = offset[int(chain_of[at])] + float(running[at])
            offset[c] -= before[c]
        at_node = np.fromiter((position[n] for n in nodes.tolist()), np.int64, len(nodes))
        metres: FloatArray = np.asarray(offset)[chain_of[at_node]] + running[at_node]
        return metres

    def _travel(
        self,
        one: LonLat | Snap,
        many: Sequence[LonLat | Snap],
        limit_s: float | None,
        max_snap_m: float | None,
        metres_for: int | None,
        *,
        one_is_origin: bool,
    ) -> TravelTimes:
        if metres_for is not None and metres_for < 0:
            raise ValueError("metres_for must be >= 0 (or None for every point)")
        count = len(many)
        out_seconds = np.full(count, np.inf)
        out_metres = np.full(count, np.nan)
        located = self._locate([one, *many], max_snap_m)

        def answer() -> TravelTimes:
            snap_m = located.distance_m[1:].copy()
            _readonly(out_seconds, out_metres, snap_m)
            return TravelTimes(out_seconds, out_metres, snap_m, float(located.distance_m[0]))

        if not located.snapped[0]:
            return answer()
        others = np.flatnonzero(located.snapped[1:]) + 1
        one_ends = self._ends(located, np.array([0]), leaving=one_is_origin)
        many_ends = self._ends(located, others, leaving=not one_is_origin)
        graph = self._forward if one_is_origin else self._backward
        search = self._search(graph, one_ends, limit_s, predecessors=metres_for != 0)
        seconds = search.seconds[many_ends.node] + many_ends.seconds
        seconds[~many_ends.allowed] = np.inf
        side = np.argmin(seconds, axis=0)
        column = np.arange(len(others))
        total_seconds = seconds[side, column]
        via_node = many_ends.node[side, column]
        node_metres = many_ends.metres[side, column]
        # Points on the one point's own segment may also travel along it directly.
        direct = np.zeros(len(others), np.bool_)
        segment = int(located.segment[0])
        same = np.flatnonzero(located.segment[others] == segment)
        along = np.zeros(0)
        if len(same):
            f_one, f_other = located.fraction[0], located.fraction[others[same]]
            origin, destination = (f_one, f_other) if one_is_origin else (f_other, f_one)
            allowed = ~(
                ((destination > origin) & ~self._forward_ok[segment])
                | ((destination < origin) & ~self._backward_ok[segment])
            )
            along = np.abs(destination - origin)
            direct_seconds = np.where(allowed, along * self._seconds[segment], np.inf)
            shorter = allowed & (direct_seconds <= total_seconds[same])
            same, along = same[shorter], along[shorter]
            total_seconds[same] = direct_seconds[shorter]
            direct[same] = True
        if limit_s is not None:
            total_seconds[total_seconds > limit_s] = np.inf
        out_seconds[others - 1] = total_seconds
        if metres_for != 0:
            chosen = _fastest(total_seconds, metres_for)
            via_graph = chosen[~direct[chosen]]
            nodes = via_node[via_graph]
            metres = np.empty(len(others))
            if metres_for is None or len(chosen) > _WALK_AT_MOST:
                metres[via_graph] = self._tree_metres(graph, search, one_ends)[nodes]
            else:
                metres[via_graph] = self._path_metres(graph, search, one_ends, nodes)
            metres[via_graph] += node_metres[via_graph]
            metres[same] = along * self._metres[segment]
            out_metres[others[chosen] - 1] = metres[chosen]
        return answer()

    def _travels(
        self,
        one: LonLat | Snap,
        many: Sequence[LonLat | Snap],
        limit_s: float | None,
        max_snap_m: float | None,
        *,
        one_is_origin: bool,
    ) -> list[Travel | None]:
        times = self._travel(one, many, limit_s, max_snap_m, None, one_is_origin=one_is_origin)
        results: list[Travel | None] = [None] * len(many)
        found = np.flatnonzero(np.isfinite(times.seconds))
        one_m = times.one_snap_m
        for i, travel_s, travel_m, point_m in zip(
            found.tolist(),
            times.seconds[found].tolist(),
            times.metres[found].tolist(),
            times.snap_m[found].tolist(),
            strict=True,
        ):
            start_m, end_m = (one_m, point_m) if one_is_origin else (point_m, one_m)
            results[i] = Travel(travel_s, travel_m, start_m, end_m)
        return results

    # --- route geometry -------------------------------------------------------------------

    def _vertices(self, first: int, last: int) -> list[LonLat]:
        """Global vertices first..last inclusive, in that order (either direction)."""
        step = 1 if last >= first else -1
        index = np.arange(first, last + step, step)
        return list(
            zip(self._vertex_lon[index].tolist(), self._vertex_lat[index].tolist(), strict=True)
        )

    def _partial(self, snaps: _Snaps, origin: int, destination: int) -> list[LonLat]:
        """Along one segment from one snapped point to another."""
        start = (float(snaps.lon[origin]), float(snaps.lat[origin]))
        end = (float(snaps.lon[destination]), float(snaps.lat[destination]))
        first_piece, last_piece = int(snaps.piece[origin]), int(snaps.piece[destination])
        if first_piece < last_piece:
            middle = self._vertices(first_piece + 1, last_piece)
        elif first_piece > last_piece:
            middle = self._vertices(first_piece, last_piece + 1)
        else:
            middle = []
        return [start, *middle, end]

    def _to_node(self, snaps: _Snaps, i: int, side: int) -> list[LonLat]:
        """Along the snapped segment of point i from the point to its from_node (side 0) or
        to_node (side 1)."""
        segment = int(snaps.segment[i])
        piece = int(snaps.piece[i])
        point = (float(snaps.lon[i]), float(snaps.lat[i]))
        if side == 0:
            return [point, *self._vertices(piece, int(self._vertex_start[segment]))]
        return [point, *self._vertices(piece + 1, int(self._vertex_start[segment + 1]) - 1)]

    def _route_through_graph(
        self,
        search: _Search,
        snaps: _Snaps,
        leaving: _Ends,
        arriving: _Ends,
        arrive_side: int,
        seconds: float,
    ) -> Route:
        assert search.predecessor is not None
        virtual = len(search.seconds) - 1
        nodes = [int(arriving.node[arrive_side, 0])]
        while (parent := int(search.predecessor[nodes[-1]])) != virtual:
            nodes.append(parent)
        nodes.reverse()
        seed = int(np.searchsorted(search.seed_node, nodes[0]))
        leave_side = int(search.seed_side[seed])
        geometry = self._to_node(snaps, 0, leave_side)
        metres = float(leaving.metres[leave_side, 0])
        segments = [int(snaps.segment[0])] if metres > 0 else []
        tails, heads = np.array(nodes[:-1], np.int64), np.array(nodes[1:], np.int64)
        for arc in _arc_positions(self._forward.matrix, tails, heads).tolist():
            segment = int(self._forward.segment[arc])
            lo, hi = int(self._vertex_start[segment]), int(self._vertex_start[segment + 1]) - 1
            lo, hi = (lo, hi) if self._forward.along[arc] else (hi, lo)
            geometry.extend(self._vertices(lo, hi)[1:])
            metres += float(self._forward.metres[arc])
            segments.append(segment)
        # [end point, ..., arrival node] reversed, without the node the geometry already ends at
        geometry.extend(reversed(self._to_node(snaps, 1, arrive_side)[:-1]))
        end_metres = float(arriving.metres[arrive_side, 0])
        if end_metres > 0:
            segments.append(int(snaps.segment[1]))
        return self._make_route(
            seconds,
            metres + end_metres,
            geometry,
            segments,
            self._snap_at(snaps, 0),
            self._snap_at(snaps, 1),
        )

    def _make_route(
        self,
        seconds: float,
        metres: float,
        geometry: list[LonLat],
        segments: list[int],
        start: Snap,
        end: Snap,
    ) -> Route:
        deduplicated = [geometry[0]]
        for point in geometry[1:]:
            if point != deduplicated[-1]:
                deduplicated.append(point)
        return Route(
            seconds=seconds,
            metres=metres,
            geometry=tuple(deduplicated),
            segment_ids=tuple(int(self._segment_ids[s]) for s in segments),
            start=start,
            end=end,
        )
