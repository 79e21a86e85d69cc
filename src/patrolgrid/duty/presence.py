"""见警率, computed: numpy and shapely, no database (the loading is `presence_flows.py`).

A grid's roads are its segments; a shift is cut into time slots; a *cell* is one segment in one
slot. A cell is covered when some position of a person on duty in the grid falls in the slot
within `radius` metres of the segment. 见警率 = covered cells ÷ cells.

Which positions lie within `radius` of which segments is a join of points against line pieces
(pairs of consecutive vertices), done here with a uniform grid hash in numpy rather than a
shapely STRtree `dwithin` query over point geometries: on 345,600 positions against 430
segments (`bench/presence.py`) the whole computation takes about a quarter of the CPU time of
the STRtree way, which spends most of it making a geometry per point and querying the tree.
Every piece is registered in the hash cells that its bounding box, grown by `radius`, touches;
a point is measured against the pieces of its own cell only, which are every piece that can be
within `radius` of it. Distances are exact (point to line piece, in a local equirectangular
projection in metres, accurate to well under 1% across a county), so the answer does not
depend on the hash's cell size, only the speed does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_METRES_PER_DEGREE_LAT = 110_574.0
_METRES_PER_DEGREE_LON = 111_320.0
# Point–piece pairs measured at once: bounds the memory of one join (~100 MB at this size).
_PAIRS_PER_CHUNK = 2_000_000
# The hash never has more cells than this (a large rural grid gets coarser cells).
_MAX_HASH_CELLS = 4_000_000


# ---- time ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slots:
    """A window cut into slots of `slot_seconds`; the last may be shorter. `count` is the
    number of slots that have begun by `now` (a shift in progress has only those cells)."""

    start: dt.datetime
    end: dt.datetime
    slot_seconds: float
    count: int

    @classmethod
    def of(cls, start: dt.datetime, end: dt.datetime, slot_minutes: int, now: dt.datetime) -> Slots:
        slot_seconds = slot_minutes * 60.0
        until = min(end, now)
        elapsed = (until - start).total_seconds()
        count = max(0, math.ceil(elapsed / slot_seconds)) if elapsed > 0 else 0
        return cls(start, end, slot_seconds, count)

    @property
    def start_s(self) -> float:
        return self.start.timestamp()

    def index(self, epoch_s: FloatArray) -> IntArray:
        """Each time's slot, or -1 outside the slots that have begun."""
        offset = epoch_s - self.start_s
        slot = np.floor(offset / self.slot_seconds).astype(np.int64)
        inside = (offset >= 0) & (epoch_s < self.end.timestamp()) & (slot < self.count)
        return np.where(inside, slot, -1)


# ---- space ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """A local equirectangular projection in metres around (lon0, lat0)."""

    lon0: float
    lat0: float

    def metres(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        x = (lon - self.lon0) * (_METRES_PER_DEGREE_LON * math.cos(math.radians(self.lat0)))
        y = (lat - self.lat0) * _METRES_PER_DEGREE_LAT
        return x, y


@dataclass(frozen=True)
class Roads:
    """Road segments (a grid's) as line pieces in metres, for "which segments lie within r of
    these points"."""

    keys: tuple[str, ...]
    frame: Frame
    ax: FloatArray
    ay: FloatArray
    bx: FloatArray
    by: FloatArray
    piece_segment: IntArray  # each piece's segment (index into keys)

    @classmethod
    def from_lonlat(cls, keys: Sequence[str], coords: Sequence[Sequence[Sequence[float]]]) -> Roads:
        """Segments by key with their (lon, lat) vertices."""
        if len(keys) != len(coords):
            raise ValueError("one coordinate list per key")
        counts = np.array([len(line) for line in coords], dtype=np.int64)
        if np.any(counts < 2):
            raise ValueError("every segment needs two points")
        flat = (
            np.array([p[:2] for line in coords for p in line], dtype=np.float64).reshape(-1, 2)
            if len(coords)
            else np.zeros((0, 2))
        )
        frame = Frame(*(flat.mean(axis=0).tolist() if len(flat) else (0.0, 0.0)))
        x, y = frame.metres(flat[:, 0], flat[:, 1])
        ends = np.cumsum(counts)
        starts_piece = np.ones(len(flat), dtype=np.bool_)
        if len(ends):
            starts_piece[ends - 1] = False  # a segment's last vertex starts no piece
        first = np.flatnonzero(starts_piece)
        segment_of_vertex = np.repeat(np.arange(len(keys), dtype=np.int64), counts)
        return cls(
            keys=tuple(keys),
            frame=frame,
            ax=x[first],
            ay=y[first],
            bx=x[first + 1],
            by=y[first + 1],
            piece_segment=segment_of_vertex[first],
        )

    @property
    def count(self) -> int:
        return len(self.keys)

    def lines(self) -> npt.NDArray[np.object_]:
        """Each segment as a shapely LineString in metres (its pieces' first points, then the
        last piece's end)."""
        pieces = len(self.ax)
        last = np.ones(pieces, dtype=np.bool_)
        last[:-1] = self.piece_segment[1:] != self.piece_segment[:-1]
        x = np.concatenate([self.ax, self.bx[last]])
        y = np.concatenate([self.ay, self.by[last]])
        segment = np.concatenate([self.piece_segment, self.piece_segment[last]])
        order = np.argsort(
            np.concatenate([np.arange(pieces), np.flatnonzero(last) + 0.5]), kind="stable"
        )
        lines: npt.NDArray[np.object_] = shapely.linestrings(
            x[order], y[order], indices=segment[order]
        )
        return lines

    def near(self, x: FloatArray, y: FloatArray, radius: float) -> tuple[IntArray, IntArray]:
        """(point index, segment index) for every point within `radius` metres of a segment,
        one pair per point and piece (a point near two pieces of a segment appears twice)."""
        empty = np.zeros(0, dtype=np.int64)
        if len(self.ax) == 0 or len(x) == 0:
            return empty, empty
        hash_ = _PieceHash.build(self, radius)
        point_cell = hash_.cell_of(x, y)
        per_point = np.where(
            point_cell >= 0,
            hash_.start[point_cell + 1] - hash_.start[np.maximum(point_cell, 0)],
            0,
        )
        running = np.cumsum(per_point)
        found_points: list[IntArray] = []
        found_segments: list[IntArray] = []
        begin, n, done = 0, len(x), 0
        while begin < n:
            stop = int(np.searchsorted(running, done + _PAIRS_PER_CHUNK, side="right"))
            stop = min(max(stop, begin + 1), n)
            counts = per_point[begin:stop]
            total = int(counts.sum())
            done = int(running[stop - 1])
            if total:
                point = np.repeat(np.arange(begin, stop, dtype=np.int64), counts)
                offset = np.arange(total, dtype=np.int64) - np.repeat(
                    np.cumsum(counts) - counts, counts
                )
                piece = hash_.items[hash_.start[point_cell[point]] + offset]
                close = _within(
                    x[point],
                    y[point],
                    self.ax[piece],
                    self.ay[piece],
                    self.bx[piece],
                    self.by[piece],
                    radius,
                )
                found_points.append(point[close])
                found_segments.append(self.piece_segment[piece[close]])
            begin = stop
        if not found_points:
            return empty, empty
        return np.concatenate(found_points), np.concatenate(found_segments)

    def nearest(self, x: FloatArray, y: FloatArray, reach: float) -> IntArray:
        """Each point's nearest segment within `reach` metres, or -1."""
        if self.count == 0 or len(x) == 0:
            return np.full(len(x), -1, dtype=np.int64)
        tree = shapely.STRtree(self.lines())
        points = shapely.points(x, y)
        which, nearest = tree.query_nearest(points, max_distance=reach, all_matches=False)
        out = np.full(len(x), -1, dtype=np.int64)
        out[which] = nearest
        return out


def _within(
    px: FloatArray,
    py: FloatArray,
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    radius: float,
) -> npt.NDArray[np.bool_]:
    """Point-to-piece distance ≤ radius, elementwise."""
    dx, dy = bx - ax, by - ay
    qx, qy = px - ax, py - ay
    length2 = dx * dx + dy * dy
    along = np.clip((qx * dx + qy * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    ex, ey = qx - along * dx, qy - along * dy
    result: npt.NDArray[np.bool_] = ex * ex + ey * ey <= radius * radius
    return result


@dataclass(frozen=True)
class _PieceHash:
    """A uniform grid over the pieces' reach: each cell lists the pieces that can be within
    `radius` of a point in it (CSR: `items[start[c]:start[c + 1]]`)."""

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    start: IntArray
    items: IntArray

    @classmethod
    def build(cls, roads: Roads, radius: float) -> _PieceHash:
        low_x = np.minimum(roads.ax, roads.bx) - radius
        low_y = np.minimum(roads.ay, roads.by) - radius
        high_x = np.maximum(roads.ax, roads.bx) + radius
        high_y = np.maximum(roads.ay, roads.by) + radius
        x0, y0 = float(low_x.min()), float(low_y.min())
        width, height = float(high_x.max()) - x0, float(high_y.max()) - y0
        # Half the radius measured fastest (fewer pairs than larger cells, fewer registrations
        # than smaller); a very large grid gets larger cells to bound the table.
        size = max(radius / 2, math.sqrt(width * height / _MAX_HASH_CELLS), 1e-6)
        nx, ny = int(width // size) + 1, int(height // size) + 1
        ix0 = ((low_x - x0) // size).astype(np.int64)
        iy0 = ((low_y - y0) // size).astype(np.int64)
        wide = ((high_x - x0) // size).astype(np.int64) - ix0 + 1
        tall = ((high_y - y0) // size).astype(np.int64) - iy0 + 1
        cells_per_piece = wide * tall
        piece = np.repeat(np.arange(len(roads.ax), dtype=np.int64), cells_per_piece)
        k = np.arange(int(cells_per_piece.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(cells_per_piece) - cells_per_piece, cells_per_piece
        )
        cell = (iy0[piece] + k // wide[piece]) * nx + ix0[piece] + k % wide[piece]
        order = np.argsort(cell, kind="stable")
        start = np.zeros(nx * ny + 1, dtype=np.int64)
        np.cumsum(np.bincount(cell, minlength=nx * ny), out=start[1:])
        return cls(x0, y0, size, nx, ny, start, piece[order])

    def cell_of(self, x: FloatArray, y: FloatArray) -> IntArray:
        """Each point's cell, or -1 outside the table (then no piece is within reach)."""
        cx = np.floor((x - self.x0) / self.size)
        cy = np.floor((y - self.y0) / self.size)
        inside = (cx >= 0) & (cx < self.nx) & (cy >= 0) & (cy < self.ny)
        cell = np.where(inside, cy * self.nx + cx, -1)
        return cell.astype(np.int64)


# ---- 见警率 --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Track:
    """Positions of several people: `person` indexes the caller's list of people."""

    person: IntArray
    epoch_s: FloatArray
    lon: FloatArray
    lat: FloatArray

    def __len__(self) -> int:
        return len(self.person)


@dataclass(frozen=True)
class Coverage:
    """Which cells were covered, in total and by each person."""

    segments: int
    slots: int
    segment_covered: IntArray  # slots covered per segment
    covered: int  # cells covered by anyone
    person_covered: IntArray  # cells covered by each person
    person_minutes: IntArray  # minutes of the window in which each person reported
    person_points: IntArray  # positions of each person inside the window

    @property
    def cells(self) -> int:
        return self.segments * self.slots


def rate(part: int, whole: int) -> float | None:
    return None if whole <= 0 else part / whole


def coverage(roads: Roads, slots: Slots, track: Track, people: int, radius: float) -> Coverage:
    """The cells of `roads` × `slots` covered by `track` (positions within `radius` metres).
    The track is in time order per person (as the positions table is read)."""
    slot = slots.index(track.epoch_s)
    inside = slot >= 0
    person, epoch_s, slot = track.person[inside], track.epoch_s[inside], slot[inside]
    lon, lat = track.lon[inside], track.lat[inside]
    person_points = np.bincount(person, minlength=people).astype(np.int64)
    minute = np.floor((epoch_s - slots.start_s) / 60.0).astype(np.int64)
    window_minutes = math.ceil((slots.end - slots.start).total_seconds() / 60.0) + 1
    reported = np.unique(person * window_minutes + minute)
    person_minutes = np.bincount(reported // window_minutes, minlength=people).astype(np.int64)

    # Someone standing still reports the same spot over and over: measure it once per slot.
    moved = np.ones(len(person), dtype=np.bool_)
    moved[1:] = (
        (person[1:] != person[:-1])
        | (slot[1:] != slot[:-1])
        | (lon[1:] != lon[:-1])
        | (lat[1:] != lat[:-1])
    )
    person, slot, lon, lat = person[moved], slot[moved], lon[moved], lat[moved]

    cells_per_person = roads.count * slots.count
    if cells_per_person == 0 or len(person) == 0:
        return Coverage(
            roads.count,
            slots.count,
            np.zeros(roads.count, dtype=np.int64),
            0,
            np.zeros(people, dtype=np.int64),
            person_minutes,
            person_points,
        )
    x, y = roads.frame.metres(lon, lat)
    point, segment = roads.near(x, y, radius)
    by_person = np.unique(person[point] * cells_per_person + segment * slots.count + slot[point])
    person_covered = np.bincount(by_person // cells_per_person, minlength=people).astype(np.int64)
    cells = np.unique(by_person % cells_per_person)
    segment_covered = np.bincount(cells // slots.count, minlength=roads.count).astype(np.int64)
    return Coverage(
        roads.count,
        slots.count,
        segment_covered,
        len(cells),
        person_covered,
        person_minutes,
        person_points,
    )
