"""Who should go: available people ranked by road travel time to the incident (plain Python
and numpy, no database), with the straight-line ranking kept for comparison and as the fallback
when no road network is loaded."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from patrolgrid.geo.network import LonLat
from patrolgrid.geo.routing import Router, Snap

EARTH_RADIUS_M = 6_371_008.8


def straight_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def straight_m_many(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    result: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return result


@dataclass(frozen=True, slots=True)
class Ranked:
    index: int  # into the candidates given
    eta_seconds: float | None
    road_m: float | None
    straight_m: float


class SnapCache:
    """Each person's position snapped to the road, kept until they move, so a recommendation
    snaps only those who moved since the last one (most of them stand still or move a little
    once a second, and snapping is the larger part of a query's cost)."""

    def __init__(self) -> None:
        self._router: Router | None = None
        self._snaps: dict[int, tuple[float, float, Snap | None]] = {}

    def sources(
        self, router: Router, people: Sequence[tuple[int, float, float]]
    ) -> list[LonLat | Snap]:
        if router is not self._router:
            self._snaps.clear()
            self._router = router
        stale = [
            (pid, lon, lat)
            for pid, lon, lat in people
            if (kept := self._snaps.get(pid)) is None or kept[0] != lon or kept[1] != lat
        ]
        if stale:
            snapped = router.snap_many([(lon, lat) for _, lon, lat in stale])
            for (pid, lon, lat), snap in zip(stale, snapped, strict=True):
                self._snaps[pid] = (lon, lat, snap)
        result: list[LonLat | Snap] = []
        for pid, lon, lat in people:
            snap = self._snaps[pid][2]
            result.append(snap if snap is not None else (lon, lat))
        return result


def rank(
    router: Router | None,
    cache: SnapCache,
    target: LonLat,
    people: Sequence[tuple[int, float, float]],
    limit: int,
) -> list[Ranked]:
    """The `limit` best people for `target`: fastest by road first; those who cannot reach it
    by road follow, nearest in straight line first. Without a router: straight line only."""
    if not people:
        return []
    lons = np.fromiter((p[1] for p in people), float, len(people))
    lats = np.fromiter((p[2] for p in people), float, len(people))
    straight = straight_m_many(target[0], target[1], lons, lats)
    if router is None:
        order = np.argsort(straight, kind="stable")[:limit]
        return [Ranked(int(i), None, None, float(straight[i])) for i in order]
    times = router.travel_seconds_to(target, cache.sources(router, people), metres_for=limit)
    fastest = times.fastest(limit)
    ranked = [
        Ranked(int(i), float(times.seconds[i]), float(times.metres[i]), float(straight[i]))
        for i in fastest
    ]
    if len(ranked) < limit:
        unreachable = np.flatnonzero(~np.isfinite(times.seconds))
        by_line = unreachable[np.argsort(straight[unreachable], kind="stable")]
        ranked += [
            Ranked(int(i), None, None, float(straight[i])) for i in by_line[: limit - len(ranked)]
        ]
    return ranked
