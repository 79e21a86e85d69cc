"""The demo simulator: moves the demo officers along real routes on the demo road network,
through the same ingest path real phones use, so the console is alive within a minute.

Who does what (deterministic per person). People posted to a grid of an active plan keep to
their grid's roads, so that 见警率 has real numbers: a 路警 patrols the grid, a 路员 by duty
(巡逻 and 夜巡 roam the grid's roads, 纠违 walks to and fro within `CORRECT_REACH_M` of a spot of
the grid, 岗位 and 高峰岗 stand at a spot); they walk from segment to segment of the grid, turning
at each crossing, and never take a road of another grid. People without a post patrol between
random points of their squadron's area, stand at a post, or are off duty, as before. Posts are
read again every `POSTS_REFRESH_SECONDS`, so a post changed on the console moves its person.
Now and then a patrolling officer's phone goes quiet for a while, so the offline sweeper has
work. A person sent to an incident drives there by the fastest route (leaving the grid if they
must) and, once released, drives back to the nearest crossing of their grid. People whose
account signs in on a real phone (the demo `officer` and `auxiliary`) are left to that phone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core import audit
from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.db import Database, utcnow
from patrolgrid.core.errors import AppError
from patrolgrid.demo.data import SQUADRON_AREAS
from patrolgrid.demo.incident_play import IncidentPlay
from patrolgrid.duty import service as duty_service
from patrolgrid.duty.models import Duty, PostRole
from patrolgrid.geo.network import LonLat
from patrolgrid.geo.routing import Router
from patrolgrid.grids import service as grids_service
from patrolgrid.grids.flows import UnitCache
from patrolgrid.grids.units import UnitSet
from patrolgrid.incidents.flows import Incidents
from patrolgrid.org.models import Person, Squadron
from patrolgrid.roads import service as roads_service
from patrolgrid.roads.graph import RoutingGraph
from patrolgrid.tracking.flows import Tracking
from patrolgrid.tracking.models import Device, DeviceKind, Status
from patrolgrid.tracking.protocol import RawReport

log = logging.getLogger(__name__)

DEVICE_PREFIX = "demo-"
REPORT_SECONDS = 5.0
POSTS_REFRESH_SECONDS = 60.0
CORRECT_REACH_M = 150.0  # a 纠违 路员 works the roads this close to their spot
_MAX_LEGS_PER_STEP = 10_000  # a walk over zero-length segments must still end
# At a crossing a patrol stops now and then for a few minutes, as patrols do.
PATROL_PAUSE_CHANCE = 0.1
PATROL_PAUSE_S = (60.0, 300.0)
# What a posted person does in their grid, by role and duty, and how fast (km/h).
_GRID_BEHAVIOUR: dict[Duty | None, str] = {
    None: "patrol",  # the 路警
    Duty.patrol: "patrol",
    Duty.night: "patrol",
    Duty.correct: "correct",
    Duty.post: "post",
    Duty.peak: "post",
}


@dataclass(frozen=True)
class GridRoads:
    """The roads of one grid, for walking along them: each segment's end nodes and points. Only
    the grid's largest connected piece of road is kept (grids of whole towns touch along area
    borders, so their roads can come in pieces), so that a walk can reach all of it."""

    grid_id: int
    start: list[int]  # node at each segment's first point
    end: list[int]  # node at its last point
    coords: list[list[LonLat]]
    length_m: list[float]
    touching: dict[int, list[int]]  # node → the segments that meet there
    node_point: dict[int, LonLat]

    @classmethod
    def of(cls, grid_id: int, units: UnitSet, unit_indices: list[int]) -> GridRoads:
        net = units.network
        chosen = np.array([s for i in unit_indices for s in units.segments[i]], dtype=np.int64)
        if chosen.size:
            nodes, ends = np.unique(
                np.concatenate([net.from_node[chosen], net.to_node[chosen]]), return_inverse=True
            )
            links = coo_matrix(
                (np.ones(chosen.size), (ends[: chosen.size], ends[chosen.size :])),
                shape=(nodes.size, nodes.size),
            )
            _, piece = connected_components(links, directed=False)
            piece_of_segment = piece[ends[: chosen.size]]
            length = np.bincount(piece_of_segment, weights=net.length_m[chosen])
            chosen = chosen[piece_of_segment == int(np.argmax(length))]
        start = [int(net.from_node[s]) for s in chosen]
        end = [int(net.to_node[s]) for s in chosen]
        coords = [[(p[0], p[1]) for p in net.coords[s]] for s in chosen]
        touching: dict[int, list[int]] = defaultdict(list)
        node_point: dict[int, LonLat] = {}
        for i, (a, b) in enumerate(zip(start, end, strict=True)):
            touching[a].append(i)
            touching[b].append(i)
            node_point[a], node_point[b] = coords[i][0], coords[i][-1]
        return cls(
            grid_id,
            start,
            end,
            coords,
            [float(net.length_m[s]) for s in chosen],
            dict(touching),
            node_point,
        )

    def leg(self, segment: int, from_node: int) -> tuple[list[LonLat], int]:
        """The segment's points walked from `from_node`, and the node it ends at."""
        if self.start[segment] == from_node:
            return list(self.coords[segment][1:]), self.end[segment]
        return list(reversed(self.coords[segment][:-1])), self.start[segment]


@dataclass
class Walker:
    person_id: int
    identifier: str
    behaviour: str  # patrol | correct | post | off_duty
    boxes: list[tuple[float, float, float, float]]
    speed_kmh: float
    position: LonLat | None = None
    path: list[LonLat] = field(default_factory=list)
    silent_until: float = 0.0
    # Sent to an incident: drive there (faster than patrol) and stay until released.
    scene: LonLat | None = None
    speed_factor: float = 1.0
    parked: bool = False  # the route to the scene is set; once driven, stay
    # Posted to a grid: its roads, the crossing the path ends at (None: not on the grid's
    # roads, e.g. back from an incident), the segment it came by, and the spot of a 纠违/岗位.
    grid: GridRoads | None = None
    node: int | None = None
    came_by: int | None = None
    spot: int | None = None  # a node of the grid
    pause_s: float = 0.0  # a patrol stopping a while at a crossing (to look, to talk)


class Simulator:
    def __init__(
        self,
        db: Database,
        tracking: Tracking,
        graph: RoutingGraph,
        incidents: Incidents | None = None,
        seed: int = 7,
    ) -> None:
        self.db = db
        self.tracking = tracking
        self.graph = graph
        self.random = random.Random(seed)  # noqa: S311 - demo movement, not security
        self.walkers: list[Walker] = []
        self._by_person: dict[int, Walker] = {}
        self.play = IncidentPlay(db, incidents, self.random, self) if incidents else None
        self.units = UnitCache(graph)
        self._posts_read_at = 0.0
        self._posts: dict[int, tuple[int, str | None]] = {}  # person → (grid, duty)

    async def run(self) -> None:
        try:
            await self._prepare()
            while True:
                started = time.monotonic()
                await self.step(REPORT_SECONDS)
                await asyncio.sleep(max(0.0, REPORT_SECONDS - (time.monotonic() - started)))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("demo simulator stopped")

    async def _prepare(self) -> None:
        async with self.db.sessions() as session:
            router = await self.graph.router(session)
            if router is None:
                log.info("simulator idle: no road network")
                return
            areas = {
                a.name: (a.min_lon, a.min_lat, a.max_lon, a.max_lat)
                for a in await roads_service.list_areas(session)
            }
            rows = await session.execute(
                select(Person.id, Squadron.code, Device.identifier)
                .join(Squadron, Squadron.id == Person.squadron_id)
                .join(Device, Device.person_id == Person.id)
                .where(Device.identifier.startswith(DEVICE_PREFIX), Person.user_id.is_(None))
                .order_by(Person.id)
            )
            for person_id, code, identifier in rows:
                boxes = [areas[n] for n in SQUADRON_AREAS.get(code, ()) if n in areas]
                if not boxes:
                    continue
                roll = self.random.random()
                behaviour = "patrol" if roll < 0.65 else "post" if roll < 0.9 else "off_duty"
                speed = (
                    self.random.uniform(15, 35) if code != "SQ04" else self.random.uniform(45, 70)
                )
                self.walkers.append(Walker(person_id, identifier, behaviour, boxes, speed))
            self._by_person = {w.person_id: w for w in self.walkers}
            await self._follow_posts(session)
            for walker in self.walkers:
                await self.tracking.set_status(
                    session, walker.person_id, _STATUS[walker.behaviour], SYSTEM, allowed=None
                )
        log.info(
            "simulator moving %d demo people, %d of them in their grids",
            len(self.walkers),
            sum(1 for w in self.walkers if w.grid is not None),
        )

    async def _follow_posts(self, session: AsyncSession) -> list[Walker]:
        """Puts each posted walker on their grid's roads with their duty's behaviour; returns
        the walkers whose post changed."""
        self._posts_read_at = time.monotonic()
        posts: dict[int, tuple[int, str | None]] = {}
        roads: dict[int, GridRoads] = {}
        squadrons = {s for (s,) in await session.execute(select(Squadron.id))}
        for squadron_id in sorted(squadrons):
            plan = await grids_service.active_plan(session, squadron_id)
            if plan is None:
                continue
            mine = [
                p
                for p in await duty_service.posts_of_plan(session, plan.id)
                if p.person_id in self._by_person
            ]
            if not mine:
                continue
            units = await self.units.units(session, squadron_id)
            unit_grid = await duty_service.unit_grids(session, plan.id)
            grid_ids = {
                g.number: g.id
                for g in (await grids_service.plan_grids(session, [plan.id]))[plan.id]
            }
            members: dict[int, list[int]] = defaultdict(list)
            for i, unit in enumerate(units.ids):
                if unit_grid.get(unit) in grid_ids:
                    members[grid_ids[unit_grid[unit]]].append(i)
            for row in mine:
                if row.grid_id not in roads:
                    roads[row.grid_id] = GridRoads.of(row.grid_id, units, members[row.grid_id])
                if roads[row.grid_id].start:
                    duty = None if row.role == PostRole.lead.value else row.duty
                    posts[row.person_id] = (row.grid_id, duty)
        changed = []
        for person_id, walker in self._by_person.items():
            post = posts.get(person_id)
            if post == self._posts.get(person_id):
                continue
            changed.append(walker)
            walker.path, walker.node, walker.came_by, walker.spot = [], None, None, None
            if post is None:
                walker.grid = None
                if walker.behaviour not in ("patrol", "post", "off_duty"):
                    walker.behaviour = "patrol"
                continue
            grid_id, duty = post
            walker.grid = roads[grid_id]
            walker.behaviour = _GRID_BEHAVIOUR[None if duty is None else Duty(duty)]
            walker.speed_kmh = self._grid_speed(walker, duty)
            if walker.behaviour != "patrol":
                walker.spot = self.random.choice(sorted(walker.grid.node_point))
        self._posts = posts
        return changed

    def _grid_speed(self, walker: Walker, duty: str | None) -> float:
        if walker.behaviour == "correct":
            return self.random.uniform(3, 5)  # on foot
        if duty is None or walker.speed_kmh > 40:  # the 路警's car; the expressway squadron
            return walker.speed_kmh
        return self.random.uniform(8, 18)  # a 路员 on an e-bike

    # ---- what the incident play asks of the walkers ------------------------------------------

    def is_simulated(self, person_id: int) -> bool:
        return person_id in self._by_person

    def send_to(self, person_id: int, scene: LonLat | None, speed_factor: float = 1.0) -> None:
        walker = self._by_person.get(person_id)
        if walker is None:
            return
        walker.scene, walker.speed_factor, walker.path = scene, speed_factor, []
        walker.parked = False
        walker.silent_until = 0.0
        walker.node, walker.came_by = None, None  # off the grid's roads until back on them

    def random_road_point(self, router: Router) -> LonLat | None:
        moving = [w for w in self.walkers if w.behaviour != "off_duty"]
        return self._random_point(router, self.random.choice(moving)) if moving else None

    async def step(self, seconds: float, at: dt.datetime | None = None) -> None:
        """Moves everyone on by `seconds` and reports their positions, stamped `at` (default:
        now)."""
        async with self.db.sessions() as session:
            router = await self.graph.router(session)
            if (
                router is not None
                and time.monotonic() - self._posts_read_at > POSTS_REFRESH_SECONDS
            ):
                for walker in await self._follow_posts(session):
                    await self.tracking.set_status(
                        session, walker.person_id, _STATUS[walker.behaviour], SYSTEM, allowed=None
                    )
        if router is None:
            return
        now = time.monotonic()
        stamp = at or utcnow()
        reports = []
        for walker in self.walkers:
            if walker.behaviour == "off_duty":
                continue
            if walker.position is None:
                walker.position = self._start_point(router, walker)
            # A post stands still, unless on its way (to an incident, or back to its spot).
            standing = walker.behaviour == "post" and walker.scene is None and not walker.path
            if not standing or (walker.grid is not None and walker.node != walker.spot):
                self._advance(router, walker, self._unpaused(walker, seconds))
                quiet = walker.silent_until < now and walker.scene is None
                if walker.behaviour == "patrol" and quiet and self.random.random() < 0.002:
                    walker.silent_until = now + self.random.uniform(330, 600)  # phone goes quiet
            if walker.silent_until > now or walker.position is None:
                continue
            lon, lat = walker.position
            jitter = 0.00003 if walker.behaviour == "post" else 0.0
            moving = walker.pause_s <= 0 and (
                bool(walker.path)
                or (walker.behaviour in ("patrol", "correct") and walker.scene is None)
            )
            reports.append(
                RawReport(
                    identifier=walker.identifier,
                    ts=stamp,
                    lon=lon + self.random.uniform(-jitter, jitter),
                    lat=lat + self.random.uniform(-jitter, jitter),
                    speed_kmh=walker.speed_kmh * walker.speed_factor if moving else 0.0,
                    accuracy_m=self.random.uniform(4, 18),
                    battery=max(0.15, 0.95 - (time.time() % 36000) / 36000 * 0.6),
                )
            )
        if reports:
            try:
                await self.tracking.ingest(reports)
            except AppError as exc:
                log.warning("simulator report refused: %s", exc.code)
        if self.play is not None:
            await self.play.step(router, now)

    def _start_point(self, router: Router, walker: Walker) -> LonLat | None:
        """Where a walker first appears: a crossing of their grid (their spot, if they have
        one), else a random road point of their squadron's area."""
        grid = walker.grid
        if grid is None:
            return self._random_point(router, walker)
        walker.node = walker.spot if walker.spot is not None else self._random_node(grid)
        return grid.node_point[walker.node]

    def _random_node(self, grid: GridRoads) -> int:
        segment = self.random.choices(range(len(grid.start)), weights=grid.length_m)[0]
        return grid.start[segment]

    def _random_point(self, router: Router, walker: Walker) -> LonLat | None:
        for _ in range(20):
            min_lon, min_lat, max_lon, max_lat = self.random.choice(walker.boxes)
            snap = router.snap(
                self.random.uniform(min_lon, max_lon),
                self.random.uniform(min_lat, max_lat),
                max_distance_m=300,
            )
            if snap is not None:
                return snap.point
        return None

    def _advance(self, router: Router, walker: Walker, seconds: float) -> None:
        remaining = walker.speed_kmh * walker.speed_factor / 3.6 * seconds
        legs = 0
        while remaining > 0:
            if not walker.path:
                if walker.scene is not None:
                    if walker.parked or walker.position is None:
                        return  # on scene: stay until released
                    route = router.route(walker.position, walker.scene)
                    # Along the roads, then the last metres to the very spot.
                    walker.path = [*(route.geometry[1:] if route else ()), walker.scene]
                    walker.parked = True
                    continue
                if walker.grid is not None:
                    legs += 1
                    if legs > _MAX_LEGS_PER_STEP or not self._grid_leg(router, walker):
                        return
                    continue
                target = self._random_point(router, walker)
                route = (
                    router.route(walker.position, target) if walker.position and target else None
                )
                if route is None or len(route.geometry) < 2:
                    walker.position = target or walker.position
                    return
                walker.path = list(route.geometry[1:])
            assert walker.position is not None
            nxt = walker.path[0]
            step = _metres(walker.position, nxt)
            if step <= remaining:
                walker.position = walker.path.pop(0)
                remaining -= step
            else:
                f = remaining / step
                walker.position = (
                    walker.position[0] + (nxt[0] - walker.position[0]) * f,
                    walker.position[1] + (nxt[1] - walker.position[1]) * f,
                )
                remaining = 0

    def _unpaused(self, walker: Walker, seconds: float) -> float:
        """What is left of `seconds` for moving after the walker's pause."""
        if walker.scene is not None:
            walker.pause_s = 0.0
        paused = min(walker.pause_s, seconds)
        walker.pause_s -= paused
        return seconds - paused

    def _grid_leg(self, router: Router, walker: Walker) -> bool:
        """The next piece of a posted walker's path, on their grid's roads; False: stay."""
        grid = walker.grid
        assert grid is not None and walker.position is not None
        if walker.node is None:
            # Off the grid's roads (back from an incident): to the grid's nearest crossing, or
            # straight to the spot.
            walker.node = walker.spot if walker.spot is not None else _nearest(grid, walker)
            walker.came_by = None
            route = router.route(walker.position, grid.node_point[walker.node])
            walker.path = [*(route.geometry[1:] if route else ()), grid.node_point[walker.node]]
            return True
        if walker.behaviour == "post":
            return False
        if walker.behaviour == "patrol" and self.random.random() < PATROL_PAUSE_CHANCE:
            walker.pause_s = self.random.uniform(*PATROL_PAUSE_S)
            return False
        options = grid.touching[walker.node]
        if walker.behaviour == "correct" and walker.spot is not None:
            home = grid.node_point[walker.spot]
            options = [
                s
                for s in options
                if _metres(grid.node_point[grid.leg(s, walker.node)[1]], home) <= CORRECT_REACH_M
            ] or options
        onward = [s for s in options if s != walker.came_by] or options
        segment = self.random.choice(onward)
        walker.path, walker.node = grid.leg(segment, walker.node)
        walker.came_by = segment
        return bool(walker.path)


_STATUS = {
    "patrol": Status.patrolling,
    "correct": Status.on_duty,
    "post": Status.on_duty,
    "off_duty": Status.off_duty,
}


def _nearest(grid: GridRoads, walker: Walker) -> int:
    assert walker.position is not None
    here = walker.position
    return min(grid.node_point, key=lambda node: _metres(grid.node_point[node], here))


def _metres(a: LonLat, b: LonLat) -> float:
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(mean_lat) * 6_371_000
    dy = math.radians(b[1] - a[1]) * 6_371_000
    return math.hypot(dx, dy)


async def register_demo_devices(session: AsyncSession) -> int:
    """A tracker for every demo person without a phone account of their own."""
    existing = set(await session.scalars(select(Device.identifier)))
    added = []
    for person in await session.scalars(select(Person).where(Person.user_id.is_(None))):
        identifier = f"{DEVICE_PREFIX}{person.badge_no}"
        if identifier not in existing:
            device = Device(
                identifier=identifier,
                kind=DeviceKind.tracker.value,
                name=f"演示定位器 {person.badge_no}",
                person_id=person.id,
            )
            session.add(device)
            added.append(identifier)
    if added:
        audit.record(
            session, SYSTEM, "device.created", "device", None, after={"demo_trackers": added}
        )
    await session.commit()
    return len(added)
