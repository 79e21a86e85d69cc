"""The demo's incidents, so the console shows the whole 接警 → 调警 → 出警 → 处警 flow unattended.

Now and then an incident is raised (a hotline call, a 110 transfer, or something seen on a demo
camera). If nobody at the console dispatches it within half a minute, a simulated operator sends
the top recommendation; a dispatch nobody answers is reassigned a little after the timeout
alert. Simulated officers accept after a few seconds (one in ten lets it ring, so the timeout
alert is seen too), drive the route at response speed, arrive (recorded by the real arrival
watch, from their positions), handle it for a minute or two, and go back to patrol.
Everything goes through the real `Incidents` flows: nothing here writes a table itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from patrolgrid.cameras.models import Camera
from patrolgrid.core.audit import Actor
from patrolgrid.core.db import Database, utcnow
from patrolgrid.core.errors import AppError
from patrolgrid.geo.network import LonLat
from patrolgrid.geo.routing import Router
from patrolgrid.incidents import service as incidents_service
from patrolgrid.incidents.flows import Doer, Incidents
from patrolgrid.incidents.models import (
    AssignmentStatus,
    DispatchIn,
    IncidentIn,
    IncidentSource,
    IncidentStatus,
    IncidentType,
    Priority,
)

log = logging.getLogger(__name__)

OPERATOR = Doer(Actor(user_id=None, name="demo-operator"), "演示值班员")


@dataclass(frozen=True)
class Pace:
    """How the demo's incidents are paced, in seconds."""

    max_open: int = 6
    raise_every: tuple[float, float] = (90.0, 200.0)
    dispatch_after: float = 30.0  # give a person at the console the first chance
    reassign_after_timeout: float = 20.0
    close_after: float = 30.0
    answer_after: tuple[float, float] = (4.0, 12.0)
    on_scene_for: tuple[float, float] = (60.0, 150.0)
    ignore_chance: float = 0.1  # a simulated officer lets the phone ring


# What callers say, per type (the article's example first).
DESCRIPTIONS: dict[IncidentType, tuple[str, ...]] = {
    IncidentType.blocking: ("三轮车占道堵路,车辆无法通行", "施工围挡占用车道,未设警示标志"),
    IncidentType.illegal_parking: ("小型车违停在公交站台", "货车违停占用人行道,行人绕行"),
    IncidentType.congestion: ("路口车辆排队较长,信号灯前拥堵", "学校放学时段校门口拥堵"),
    IncidentType.accident: ("两车追尾,无人员受伤,占用一条车道", "摩托车与小车刮擦,当事人争执"),
    IncidentType.assistance: ("群众车辆抛锚求助", "老人迷路,需要协助联系家属"),
    IncidentType.other: ("路面有散落货物", "交通信号灯故障"),
}
HANDLING_NOTES: dict[IncidentType, str] = {
    IncidentType.blocking: "已劝离占道车辆,道路恢复通行",
    IncidentType.illegal_parking: "已短信告知车主挪车,车辆已驶离",
    IncidentType.congestion: "现场疏导交通,拥堵已缓解",
    IncidentType.accident: "双方自行协商,车辆已撤离现场",
    IncidentType.assistance: "已协助群众解决问题",
    IncidentType.other: "已现场处置完毕",
}
_TYPES = list(DESCRIPTIONS)
_TYPE_WEIGHTS = [3, 3, 2, 2, 1, 1]


class Fleet(Protocol):
    """The simulator's walkers, as the incident play needs them."""

    def is_simulated(self, person_id: int) -> bool: ...

    def send_to(self, person_id: int, scene: LonLat | None, speed_factor: float = 1.0) -> None:
        """Drive to `scene` along the roads and stay there; None: back to patrol."""

    def random_road_point(self, router: Router) -> LonLat | None: ...


@dataclass
class Mission:
    assignment_id: int
    incident_id: int
    scene: LonLat
    phase: str  # ringing | ignoring | driving | on_scene
    act_at: float  # monotonic time of the officer's next action


class IncidentPlay:
    def __init__(
        self,
        db: Database,
        incidents: Incidents,
        rng: random.Random,
        fleet: Fleet,
        pace: Pace | None = None,
    ) -> None:
        self.pace = pace or Pace()
        self.db = db
        self.incidents = incidents
        self.random = rng
        self.fleet = fleet
        self.missions: dict[int, Mission] = {}  # by person
        self.next_raise = 0.0

    async def step(self, router: Router, now: float) -> None:
        try:
            if now >= self.next_raise:
                self.next_raise = now + self.random.uniform(*self.pace.raise_every)
                await self._raise(router)
            await self._operate()
            await self._respond(now)
        except AppError as exc:  # a person at the console got there first: fine
            log.info("demo incident step skipped: %s", exc.code)

    async def _raise(self, router: Router) -> None:
        async with self.db.sessions() as session:
            _, open_count = await incidents_service.list_incidents(
                session, incidents_service.Filters(active=True), 1, 0
            )
            if open_count >= self.pace.max_open:
                return
            kind = self.random.choices(_TYPES, _TYPE_WEIGHTS)[0]
            cameras = list(await session.scalars(select(Camera).where(Camera.enabled.is_(True))))
            description = self.random.choice(DESCRIPTIONS[kind])
            if cameras and self.random.random() < 0.4:
                camera = self.random.choice(cameras)
                data = IncidentIn(
                    source=IncidentSource.camera,
                    type=kind,
                    priority=Priority.high,
                    camera_id=camera.id,
                    address=camera.name,
                    description=description,
                )
            else:
                point = self.fleet.random_road_point(router)
                if point is None:
                    return
                data = IncidentIn(
                    source=self.random.choice(
                        [IncidentSource.hotline, IncidentSource.transfer_110]
                    ),
                    type=kind,
                    priority=Priority.urgent if kind is IncidentType.accident else Priority.normal,
                    lon=point[0],
                    lat=point[1],
                    description=description,
                    caller_phone=f"139{self.random.randrange(10**8):08d}",
                )
            await self.incidents.create(session, data, OPERATOR)

    async def _operate(self) -> None:
        """The simulated operator: dispatch what waits, reassign what nobody answers, close
        what is handled."""
        now = utcnow()
        async with self.db.sessions() as session:
            rows, _ = await incidents_service.list_incidents(
                session, incidents_service.Filters(active=True), 50, 0
            )
            for incident in rows:
                waited = (now - incident.created_at).total_seconds()
                if incident.status == IncidentStatus.new and waited >= self.pace.dispatch_after:
                    best = await self.incidents.recommend(session, incident.id, limit=3)
                    fresh = [c for c in best.items if not c.tried and c.eta_seconds is not None]
                    if fresh:
                        await self.incidents.dispatch(
                            session,
                            incident.id,
                            DispatchIn(person_ids=[fresh[0].person_id]),
                            OPERATOR,
                        )
                elif (
                    incident.status == IncidentStatus.handled
                    and incident.handled_at
                    and (now - incident.handled_at).total_seconds() >= self.pace.close_after
                ):
                    await self.incidents.close(session, incident.id, "", OPERATOR)
            for assignment in await incidents_service.overdue_unanswered(
                session, now - dt.timedelta(seconds=self.pace.reassign_after_timeout)
            ):
                best = await self.incidents.recommend(session, assignment.incident_id, limit=3)
                fresh = [c for c in best.items if not c.tried and c.eta_seconds is not None]
                if fresh:
                    await self.incidents.reassign(
                        session, assignment.id, fresh[0].person_id, "超时未接警,改派", OPERATOR
                    )
                else:
                    await self.incidents.withdraw(session, assignment.id, "超时未接警", OPERATOR)

    async def _respond(self, now: float) -> None:
        """The simulated officers' side of their dispatches."""
        async with self.db.sessions() as session:
            live = await incidents_service.all_live_assignments(session)
            seen = set()
            for assignment, incident in live:
                person_id = assignment.person_id
                mission = self.missions.get(person_id)
                if mission is None or mission.assignment_id != assignment.id:
                    if not self.fleet.is_simulated(person_id):
                        continue  # a real phone: its person answers
                    ignore = self.random.random() < self.pace.ignore_chance
                    mission = Mission(
                        assignment.id,
                        incident.id,
                        (incident.lon, incident.lat),
                        "ignoring" if ignore else "ringing",
                        now + self.random.uniform(*self.pace.answer_after),
                    )
                    self.missions[person_id] = mission
                seen.add(person_id)
                if mission.act_at > now:
                    continue
                doer = Doer(Actor(user_id=None, name="demo-officer"), f"演示民警 #{person_id}")
                status = assignment.status
                if mission.phase == "ringing" and status == AssignmentStatus.dispatched:
                    await self.incidents.step(session, assignment.id, person_id, "accept", doer)
                    await self.incidents.step(session, assignment.id, person_id, "depart", doer)
                    self.fleet.send_to(person_id, mission.scene, 1.6)
                    mission.phase = "driving"
                elif status == AssignmentStatus.on_scene and mission.phase == "driving":
                    mission.phase = "on_scene"
                    mission.act_at = now + self.random.uniform(*self.pace.on_scene_for)
                elif status == AssignmentStatus.on_scene and mission.phase == "on_scene":
                    note = HANDLING_NOTES[IncidentType(incident.type)]
                    await self.incidents.step(
                        session, assignment.id, person_id, "handled", doer, text=note
                    )
            for person_id in [p for p in self.missions if p not in seen]:
                del self.missions[person_id]  # handled, withdrawn or declined: back to patrol
                self.fleet.send_to(person_id, None)
