"""The demo simulator: moves the demo officers along real routes on the demo road network,
through the same ingest path real phones use, so the console is alive within a minute.

Who does what (deterministic per person): most patrol between random points of their
squadron's area at realistic speeds; some stand at a post; a few are off duty; and now and
then a patrolling officer's phone goes quiet for a while, so the offline sweeper has work.
People whose account signs in on a real phone (the demo `officer` and `auxiliary`) are left to
that phone.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core import audit
from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.db import Database, utcnow
from patrolgrid.core.errors import AppError
from patrolgrid.demo.data import SQUADRON_AREAS
from patrolgrid.demo.incident_play import IncidentPlay
from patrolgrid.geo.network import LonLat
from patrolgrid.geo.routing import Router
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


@dataclass
class Walker:
    person_id: int
    identifier: str
    behaviour: str  # patrol | post | off_duty
    boxes: list[tuple[float, float, float, float]]
    speed_kmh: float
    position: LonLat | None = None
    path: list[LonLat] = field(default_factory=list)
    silent_until: float = 0.0
    # Sent to an incident: drive there (faster than patrol) and stay until released.
    scene: LonLat | None = None
    speed_factor: float = 1.0
    parked: bool = False  # the route to the scene is set; once driven, stay


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
            for walker in self.walkers:
                status = {
                    "patrol": Status.patrolling,
                    "post": Status.on_duty,
                    "off_duty": Status.off_duty,
                }[walker.behaviour]
                await self.tracking.set_status(
                    session, walker.person_id, status, SYSTEM, allowed=None
                )
        self._by_person = {w.person_id: w for w in self.walkers}
        log.info("simulator moving %d demo people", len(self.walkers))

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

    def random_road_point(self, router: Router) -> LonLat | None:
        moving = [w for w in self.walkers if w.behaviour != "off_duty"]
        return self._random_point(router, self.random.choice(moving)) if moving else None

    async def step(self, seconds: float) -> None:
        async with self.db.sessions() as session:
            router = await self.graph.router(session)
        if router is None:
            return
        now = time.monotonic()
        reports = []
        for walker in self.walkers:
            if walker.behaviour == "off_duty":
                continue
            if walker.position is None:
                walker.position = self._random_point(router, walker)
            if walker.behaviour == "patrol" or walker.scene is not None:
                self._advance(router, walker, seconds)
                quiet = walker.silent_until < now and walker.scene is None
                if walker.behaviour == "patrol" and quiet and self.random.random() < 0.002:
                    walker.silent_until = now + self.random.uniform(330, 600)  # phone goes quiet
            if walker.silent_until > now or walker.position is None:
                continue
            lon, lat = walker.position
            jitter = 0.00003 if walker.behaviour == "post" else 0.0
            moving = bool(walker.path) or (walker.behaviour == "patrol" and walker.scene is None)
            reports.append(
                RawReport(
                    identifier=walker.identifier,
                    ts=utcnow(),
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
