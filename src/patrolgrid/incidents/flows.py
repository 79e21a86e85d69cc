"""Incident workflows: receive → dispatch → respond → handle → close, every step persisted with
a timeline entry and an audit row, committed, then published.

`Incidents` is the per-process runtime: it ranks people for an incident, watches the tracking
stream to notice arrivals (inside `dispatch_arrive_radius_m` of the scene), and sweeps dispatches
not accepted in time so the console can offer the next officer.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.cameras.models import Camera
from patrolgrid.config import Settings
from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.bus import Bus, Event, Subscription
from patrolgrid.core.db import Database, utcnow
from patrolgrid.core.errors import AppError, field_error, not_found
from patrolgrid.core.uploads import image_type
from patrolgrid.incidents import service
from patrolgrid.incidents.models import (
    CHINA_TIME,
    FINISHED,
    LIVE,
    PROGRESS,
    Assignment,
    AssignmentStatus,
    Candidate,
    DispatchIn,
    Incident,
    IncidentEvent,
    IncidentIn,
    IncidentPhoto,
    IncidentSource,
    IncidentStatus,
    IncidentUpdate,
    OfficerReportIn,
    Recommendation,
)
from patrolgrid.incidents.ranking import SnapCache, rank, straight_m
from patrolgrid.org import service as org_service
from patrolgrid.org.models import Person
from patrolgrid.roads import service as roads_service
from patrolgrid.roads.graph import RoutingGraph
from patrolgrid.tracking import service as tracking_service
from patrolgrid.tracking.flows import Tracking
from patrolgrid.tracking.ingest import TOPIC as TRACKING_TOPIC
from patrolgrid.tracking.models import Status
from patrolgrid.tracking.roster import LiveRoster

log = logging.getLogger(__name__)
TOPIC = "incidents"
# A location farther than this from every road keeps its own point and gets no road name.
ROAD_SNAP_LIMIT_M = 500.0
SNAP_REFRESH_SECONDS = 0.5
MAX_PHOTOS = 20

INCIDENT_NOT_FOUND = not_found("警情", "Incident", "incidents.not_found")
ASSIGNMENT_NOT_FOUND = not_found("派警记录", "Dispatch", "incidents.assignment_not_found")

# Which officer action may follow which assignment status.
_STEPS: dict[str, frozenset[AssignmentStatus]] = {
    "accept": frozenset({AssignmentStatus.dispatched}),
    "decline": frozenset({AssignmentStatus.dispatched, AssignmentStatus.accepted}),
    "depart": frozenset({AssignmentStatus.accepted}),
    "arrive": frozenset({AssignmentStatus.accepted, AssignmentStatus.en_route}),
    "handled": frozenset({AssignmentStatus.on_scene}),
}
_STEP_LABELS = {
    "accept": ("接警", "accept"),
    "decline": ("拒绝", "decline"),
    "depart": ("出发", "set off"),
    "arrive": ("到场", "arrive"),
    "handled": ("处置完毕", "finish"),
}
# The tracking status an assignment puts its person in.
_TRACKING_STATUS = {
    AssignmentStatus.accepted: Status.en_route,
    AssignmentStatus.en_route: Status.en_route,
    AssignmentStatus.on_scene: Status.on_scene,
}
_INCIDENT_STATUS = {
    1: IncidentStatus.dispatched,
    2: IncidentStatus.accepted,
    3: IncidentStatus.en_route,
    4: IncidentStatus.on_scene,
    5: IncidentStatus.handled,
}


@dataclass(frozen=True, slots=True)
class Doer:
    """Who takes a step: the audit actor and the name the timeline shows."""

    actor: Actor
    label: str


def _finished_error(incident: Incident) -> AppError:
    return AppError(
        409,
        "incidents.finished",
        "警情已结案或已撤销",
        "This incident is already closed or cancelled",
        {"status": incident.status},
    )


def _snapshot(incident: Incident) -> dict[str, Any]:
    return {
        "code": incident.code,
        "status": incident.status,
        "type": incident.type,
        "priority": incident.priority,
        "lon": incident.lon,
        "lat": incident.lat,
        "description": incident.description,
    }


class Incidents:
    def __init__(
        self,
        db: Database,
        bus: Bus,
        settings: Settings,
        tracking: Tracking,
        roster: LiveRoster,
        graph: RoutingGraph,
    ) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.tracking = tracking
        self.roster = roster
        self.graph = graph
        self.snaps = SnapCache()
        # person → (assignment, scene lon, scene lat) for those on their way: arrival watch.
        self._heading_to: dict[int, tuple[int, float, float]] = {}
        self._subscription: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        async with self.db.sessions() as session:
            for assignment, incident in await service.all_live_assignments(session):
                self._watch(assignment.person_id, assignment, incident.lon, incident.lat)
        self._subscription = await self.bus.subscribe([TRACKING_TOPIC, TOPIC])
        self._tasks = [
            asyncio.create_task(self._listen(), name="incidents-listener"),
            asyncio.create_task(self._sweep_forever(), name="incidents-sweeper"),
            asyncio.create_task(self._keep_snaps(), name="incidents-snaps"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._subscription is not None:
            await self._subscription.close()

    # ---- receiving --------------------------------------------------------------------------

    async def create(self, session: AsyncSession, data: IncidentIn, by: Doer) -> Incident:
        lon, lat, squadron_id = data.lon, data.lat, data.squadron_id
        if data.camera_id is not None:
            camera = await session.get(Camera, data.camera_id)
            if camera is None:
                raise field_error(
                    "incidents.camera_not_found", "摄像头不存在", "No such camera", "camera_id"
                )
            if lon is None or lat is None:
                lon, lat = camera.lon, camera.lat
            squadron_id = squadron_id or camera.squadron_id
        if squadron_id is not None and await org_service.get_squadron(session, squadron_id) is None:
            raise field_error(
                "org.squadron_not_found", "中队不存在", "No such squadron", "squadron_id"
            )
        assert lon is not None and lat is not None  # the schema asks for a point or a camera
        incident = Incident(
            source=data.source.value,
            type=data.type.value,
            priority=int(data.priority),
            lon=lon,
            lat=lat,
            address=data.address,
            description=data.description,
            caller_name=data.caller_name,
            caller_phone=data.caller_phone,
            camera_id=data.camera_id,
            squadron_id=squadron_id,
            created_by=by.label,
        )
        return await self._receive(session, incident, by)

    async def report(
        self, session: AsyncSession, person: Person, data: OfficerReportIn, by: Doer
    ) -> Incident:
        """An officer reports an incident from the app, where they stand unless they say."""
        lon, lat = data.lon, data.lat
        if lon is None or lat is None:
            state = await tracking_service.get_state(session, person.id)
            if state is None or state.lon is None or state.lat is None:
                raise AppError(
                    422,
                    "incidents.no_position",
                    "尚无您的定位,请在地图上选择位置",
                    "Your position is not known yet: choose the place on the map",
                )
            lon, lat = state.lon, state.lat
        incident = Incident(
            source=IncidentSource.officer.value,
            type=data.type.value,
            priority=int(data.priority),
            lon=lon,
            lat=lat,
            description=data.description,
            squadron_id=person.squadron_id,
            reporter_person_id=person.id,
            created_by=by.label,
        )
        incident = await self._receive(session, incident, by, publish=not data.handle_myself)
        if data.handle_myself:
            # 自行处置: the reporter is on the spot, so they are sent, accepted and arrived.
            await self._dispatch_people(session, incident, [person.id], by, note="")
            (assignment,) = await service.live_assignments_of(session, person.id)
            await self.step(session, assignment.id, person.id, "accept", by)
            await self.step(session, assignment.id, person.id, "arrive", by)
        return incident

    async def _receive(
        self, session: AsyncSession, incident: Incident, by: Doer, publish: bool = True
    ) -> Incident:
        await self._place_on_road(session, incident)
        session.add(incident)
        await session.flush()
        local_day = incident.created_at.astimezone(CHINA_TIME)
        incident.code = f"JQ{local_day:%Y%m%d}{incident.id:05d}"
        self._log(session, incident, "created", by, data={"source": incident.source})
        audit.record(
            session,
            by.actor,
            "incident.created",
            "incident",
            incident.id,
            after=_snapshot(incident),
        )
        await session.commit()
        if publish:
            await self.publish(incident.id, alert="new")
        return incident

    async def _place_on_road(self, session: AsyncSession, incident: Incident) -> None:
        router = await self.graph.router(session)
        if router is None:
            return
        snap = router.snap(incident.lon, incident.lat, ROAD_SNAP_LIMIT_M)
        if snap is None:
            return
        found = await roads_service.get_segment(session, snap.segment_id)
        if found is not None:
            _, road = found
            incident.road_name = road.name or None
        incident.road_segment_id = snap.segment_id
        incident.road_distance_m = round(snap.distance_m, 1)

    async def update(
        self, session: AsyncSession, incident_id: int, data: IncidentUpdate, by: Doer
    ) -> Incident:
        incident = await self._open(session, incident_id)
        if (
            data.squadron_id is not None
            and await org_service.get_squadron(session, data.squadron_id) is None
        ):
            raise field_error(
                "org.squadron_not_found", "中队不存在", "No such squadron", "squadron_id"
            )
        before = _snapshot(incident)
        changes = data.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        for field, value in changes.items():
            setattr(incident, field, value)
        if changes:
            self._log(session, incident, "updated", by, data={"fields": sorted(changes)})
            audit.record(
                session,
                by.actor,
                "incident.updated",
                "incident",
                incident.id,
                before,
                _snapshot(incident),
            )
            await session.commit()
            await self.publish(incident.id)
        return incident

    # ---- recommending and dispatching -------------------------------------------------------

    async def recommend(
        self, session: AsyncSession, incident_id: int, limit: int = 10
    ) -> Recommendation:
        incident = await self._get(session, incident_id)
        started = time.perf_counter()
        now = utcnow()
        since = now - dt.timedelta(seconds=self.settings.tracking_offline_after_seconds)
        busy = await service.busy_person_ids(session)
        points = [p for p in self.roster.with_status(service.AVAILABLE, since) if p[0] not in busy]
        sent = await service.sent_to_incident(session, incident.id)
        tried = {
            a.person_id
            for a in sent
            if a.status in (AssignmentStatus.declined, AssignmentStatus.withdrawn)
            or a.timeout_alerted_at is not None
        }
        router = await self.graph.router(session)
        ranked = rank(router, self.snaps, (incident.lon, incident.lat), points, limit)
        people = await service.active_people(session, [points[r.index][0] for r in ranked])
        squadrons = await service.squadron_names(session)
        items = []
        for r in ranked:
            person_id, lon, lat = points[r.index]
            person = people.get(person_id)
            whereabouts = self.roster.people.get(person_id)
            if person is None or whereabouts is None:
                continue  # left the brigade since their last report
            items.append(
                Candidate(
                    person_id=person.id,
                    name=person.name,
                    badge_no=person.badge_no,
                    kind=person.kind,
                    post=person.post,
                    mobile=person.mobile,
                    squadron_id=person.squadron_id,
                    squadron_name=squadrons.get(person.squadron_id, ""),
                    status=whereabouts.status,
                    lon=lon,
                    lat=lat,
                    position_age_s=(now - whereabouts.ts).total_seconds() if whereabouts.ts else 0,
                    eta_seconds=r.eta_seconds,
                    road_m=r.road_m,
                    straight_m=r.straight_m,
                    tried=person.id in tried,
                )
            )
        # People already tried go last: the operator asked for someone new.
        items.sort(key=lambda c: c.tried)
        return Recommendation(
            incident_id=incident.id,
            computed_ms=(time.perf_counter() - started) * 1000,
            routed=router is not None,
            items=items,
        )

    async def dispatch(
        self, session: AsyncSession, incident_id: int, data: DispatchIn, by: Doer
    ) -> Incident:
        incident = await self._open(session, incident_id)
        await self._dispatch_people(session, incident, data.person_ids, by, data.note)
        await session.commit()
        await self.publish(incident.id, dispatched=data.person_ids)
        return incident

    async def _dispatch_people(
        self,
        session: AsyncSession,
        incident: Incident,
        person_ids: list[int],
        by: Doer,
        note: str,
    ) -> list[Assignment]:
        """Create the assignments inside the caller's transaction (it commits)."""
        busy = await service.busy_person_ids(session)
        sent = await service.sent_to_incident(session, incident.id)
        live_here = {a.person_id for a in sent if a.status in LIVE}
        any_live = bool(live_here)
        people: list[Person] = []
        for person_id in person_ids:
            person = await org_service.get_person(session, person_id)
            if person is None or not person.active:
                raise field_error(
                    "org.person_not_found", "人员不存在", "No such person", "person_ids"
                )
            if person_id in live_here:
                raise AppError(
                    409,
                    "incidents.already_sent",
                    f"{person.name} 已在处置该警情",
                    f"{person.name} is already on this incident",
                    {"person_id": person_id},
                )
            if person_id in busy:
                raise AppError(
                    409,
                    "incidents.person_busy",
                    f"{person.name} 正在处置其他警情",
                    f"{person.name} is busy with another incident",
                    {"person_id": person_id},
                )
            state = await tracking_service.get_state(session, person_id)
            if state is None or state.status not in service.AVAILABLE:
                raise AppError(
                    409,
                    "incidents.person_unavailable",
                    f"{person.name} 当前不在岗,不能派警",
                    f"{person.name} is not on duty",
                    {"person_id": person_id, "status": state.status if state else None},
                )
            people.append(person)
        travel = await self._travel(session, incident, [p.id for p in people])
        now = utcnow()
        due = now + dt.timedelta(seconds=self.settings.dispatch_accept_timeout_seconds)
        created = []
        for index, person in enumerate(people):
            eta, metres = travel.get(person.id, (None, None))
            assignment = Assignment(
                incident_id=incident.id,
                person_id=person.id,
                support=any_live or index > 0,
                dispatched_by=by.label,
                dispatched_at=now,
                accept_due_at=due,
                eta_seconds=eta,
                distance_m=metres,
            )
            session.add(assignment)
            created.append(assignment)
            self._log(
                session,
                incident,
                "support" if assignment.support else "dispatched",
                by,
                person=person,
                text=note,
                data={"eta_seconds": eta, "distance_m": metres},
            )
        await session.flush()
        for assignment in created:
            audit.record(
                session,
                by.actor,
                "incident.dispatched",
                "incident",
                incident.id,
                after={"assignment": assignment.id, "person_id": assignment.person_id},
            )
        if incident.dispatched_at is None:
            incident.dispatched_at = now
        if incident.squadron_id is None:
            incident.squadron_id = people[0].squadron_id
        await self._settle(session, incident)
        return created

    async def _travel(
        self, session: AsyncSession, incident: Incident, person_ids: list[int]
    ) -> dict[int, tuple[float | None, float | None]]:
        """Road ETA and distance from where each person is now, recorded with the dispatch."""
        points = []
        for person_id in person_ids:
            state = await tracking_service.get_state(session, person_id)
            if state is not None and state.lon is not None and state.lat is not None:
                points.append((person_id, state.lon, state.lat))
        router = await self.graph.router(session)
        if router is None or not points:
            return {}
        ranked = rank(router, self.snaps, (incident.lon, incident.lat), points, len(points))
        return {points[r.index][0]: (r.eta_seconds, r.road_m) for r in ranked}

    async def withdraw(
        self, session: AsyncSession, assignment_id: int, reason: str, by: Doer
    ) -> Incident:
        assignment = await self._assignment(session, assignment_id)
        incident = await self._open(session, assignment.incident_id)
        await self._end(session, incident, assignment, AssignmentStatus.withdrawn, reason, by)
        await self._settle(session, incident)
        await session.commit()
        await self.publish(incident.id)
        return incident

    async def reassign(
        self,
        session: AsyncSession,
        assignment_id: int,
        person_id: int,
        reason: str,
        by: Doer,
    ) -> Incident:
        """Withdraw one person and send another in one step (改派)."""
        assignment = await self._assignment(session, assignment_id)
        incident = await self._open(session, assignment.incident_id)
        if assignment.status not in LIVE:
            raise _bad_step("reassign", assignment)
        await self._end(session, incident, assignment, AssignmentStatus.withdrawn, reason, by)
        await session.flush()
        await self._dispatch_people(session, incident, [person_id], by, note=reason)
        await session.commit()
        await self.publish(incident.id, dispatched=[person_id])
        return incident

    # ---- the officer's side -----------------------------------------------------------------

    async def step(
        self,
        session: AsyncSession,
        assignment_id: int,
        person_id: int,
        step: str,
        by: Doer,
        text: str = "",
        how: str = "button",
    ) -> Incident:
        """An officer accepts, declines, sets off, arrives or finishes their own assignment."""
        assignment = await self._assignment(session, assignment_id)
        if assignment.person_id != person_id:
            raise AppError(
                403,
                "incidents.not_your_assignment",
                "这不是派给您的警情",
                "This dispatch was sent to someone else",
            )
        incident = await self._get(session, assignment.incident_id)
        if incident.status in FINISHED:
            raise _finished_error(incident)
        if AssignmentStatus(assignment.status) not in _STEPS[step]:
            raise _bad_step(step, assignment)
        person = await org_service.get_person(session, person_id)
        assert person is not None
        now = utcnow()
        if step == "decline":
            await self._end(session, incident, assignment, AssignmentStatus.declined, text, by)
        elif step == "accept":
            state = await tracking_service.get_state(session, person_id)
            current = state.status if state else Status.on_duty.value
            assignment.status_before = (
                current if current in service.AVAILABLE else Status.patrolling.value
            )
            assignment.status = AssignmentStatus.accepted.value
            assignment.accepted_at = now
            incident.accepted_at = incident.accepted_at or now
            self._log(session, incident, "accepted", by, person=person)
        elif step == "depart":
            assignment.status = AssignmentStatus.en_route.value
            assignment.en_route_at = now
            self._log(session, incident, "en_route", by, person=person)
        elif step == "arrive":
            assignment.status = AssignmentStatus.on_scene.value
            assignment.arrived_at = now
            assignment.arrived_how = how
            incident.arrived_at = incident.arrived_at or now
            self._log(session, incident, "arrived", by, person=person, data={"how": how})
        elif step == "handled":
            assignment.status = AssignmentStatus.handled.value
            assignment.handled_at = now
            assignment.ended_at = now
            incident.handled_at = incident.handled_at or now
            if text:
                incident.outcome = text
            self._log(session, incident, "handled", by, person=person, text=text)
            # Whoever else is still on it is done too: the incident is handled.
            for other in await service.sent_to_incident(session, incident.id):
                if other.id != assignment.id and other.status in LIVE:
                    await self._end(
                        session,
                        incident,
                        other,
                        AssignmentStatus.withdrawn,
                        "警情已处置完毕 / handled by another officer",
                        by,
                    )
        audit.record(
            session,
            by.actor,
            f"incident.{step}",
            "incident",
            incident.id,
            after={"assignment": assignment.id, "status": assignment.status},
        )
        await self._settle(session, incident)
        await self._follow_status(session, person_id, assignment, by)
        await session.commit()
        await self.publish(incident.id, alert="declined" if step == "decline" else None)
        return incident

    async def _end(
        self,
        session: AsyncSession,
        incident: Incident,
        assignment: Assignment,
        status: AssignmentStatus,
        reason: str,
        by: Doer,
    ) -> None:
        person = await org_service.get_person(session, assignment.person_id)
        assignment.status = status.value
        assignment.ended_at = utcnow()
        assignment.end_reason = reason
        self._log(session, incident, status.value, by, person=person, text=reason)
        audit.record(
            session,
            by.actor,
            f"incident.{status.value}",
            "incident",
            incident.id,
            after={"assignment": assignment.id, "reason": reason},
        )
        await self._follow_status(session, assignment.person_id, assignment, by)

    async def _follow_status(
        self, session: AsyncSession, person_id: int, assignment: Assignment, by: Doer
    ) -> None:
        """Keep the person's tracking status in step with their assignment: 出警中 while on
        the way, 处置中 on scene, and back to what it was when it ends. An SOS or an offline
        phone is never overwritten."""
        state = await tracking_service.get_state(session, person_id)
        current = state.status if state else Status.off_duty.value
        wanted = _TRACKING_STATUS.get(AssignmentStatus(assignment.status))
        if wanted is None:
            if current not in (Status.en_route.value, Status.on_scene.value):
                return
            wanted = Status(assignment.status_before or Status.patrolling.value)
        elif current in (Status.sos.value, Status.offline.value, Status.off_duty.value):
            return
        if current != wanted.value:
            # set_status commits the caller's changes with its own, in one transaction.
            await self.tracking.set_status(session, person_id, wanted, by.actor, allowed=None)

    # ---- the operator's side ----------------------------------------------------------------

    async def cancel(
        self, session: AsyncSession, incident_id: int, reason: str, by: Doer
    ) -> Incident:
        incident = await self._open(session, incident_id)
        for assignment in await service.sent_to_incident(session, incident.id):
            if assignment.status in LIVE:
                await self._end(
                    session, incident, assignment, AssignmentStatus.withdrawn, reason, by
                )
        before = _snapshot(incident)
        incident.status = IncidentStatus.cancelled.value
        incident.cancelled_at = utcnow()
        incident.outcome = reason
        self._log(session, incident, "cancelled", by, text=reason)
        audit.record(
            session,
            by.actor,
            "incident.cancelled",
            "incident",
            incident.id,
            before,
            _snapshot(incident),
        )
        await session.commit()
        await self.publish(incident.id)
        return incident

    async def close(self, session: AsyncSession, incident_id: int, note: str, by: Doer) -> Incident:
        incident = await self._open(session, incident_id)
        if incident.status != IncidentStatus.handled.value:
            raise AppError(
                409,
                "incidents.not_handled",
                "警情尚未处置完毕,不能结案",
                "The incident has not been handled yet",
                {"status": incident.status},
            )
        before = _snapshot(incident)
        incident.status = IncidentStatus.closed.value
        incident.closed_at = utcnow()
        self._log(session, incident, "closed", by, text=note)
        audit.record(
            session,
            by.actor,
            "incident.closed",
            "incident",
            incident.id,
            before,
            _snapshot(incident),
        )
        await session.commit()
        await self.publish(incident.id)
        return incident

    async def add_note(
        self, session: AsyncSession, incident_id: int, text: str, by: Doer
    ) -> Incident:
        incident = await self._get(session, incident_id)
        self._log(session, incident, "note", by, text=text)
        audit.record(
            session, by.actor, "incident.noted", "incident", incident.id, after={"text": text}
        )
        await session.commit()
        await self.publish(incident.id)
        return incident

    async def add_photo(
        self,
        session: AsyncSession,
        incident_id: int,
        stage: str,
        content: bytes,
        by: Doer,
    ) -> IncidentPhoto:
        incident = await self._get(session, incident_id)
        content_type = image_type(content)
        if len(await service.photo_rows(session, incident.id)) >= MAX_PHOTOS:
            raise AppError(
                409,
                "incidents.too_many_photos",
                f"每起警情最多 {MAX_PHOTOS} 张照片",
                f"At most {MAX_PHOTOS} photos per incident",
            )
        photo = IncidentPhoto(
            incident_id=incident.id,
            stage=stage,
            content_type=content_type,
            size=len(content),
            data=content,
            uploaded_by=by.label,
        )
        session.add(photo)
        await session.flush()
        self._log(session, incident, "photo", by, data={"photo_id": photo.id, "stage": stage})
        audit.record(
            session,
            by.actor,
            "incident.photo_added",
            "incident",
            incident.id,
            after={"photo_id": photo.id, "stage": stage, "bytes": len(content)},
        )
        await session.commit()
        await self.publish(incident.id)
        return photo

    # ---- timeouts and arrivals --------------------------------------------------------------

    async def sweep_timeouts(self) -> list[int]:
        """Dispatches nobody accepted in time: alert the console once each. Each one is claimed
        with a conditional update, so several processes never alert twice."""
        now = utcnow()
        alerted: list[tuple[int, int]] = []
        async with self.db.sessions() as session:
            overdue = await service.overdue_dispatches(session, now)
            for assignment in overdue:
                claimed = await session.execute(
                    update(Assignment)
                    .where(Assignment.id == assignment.id, Assignment.timeout_alerted_at.is_(None))
                    .values(timeout_alerted_at=now)
                )
                if getattr(claimed, "rowcount", 0) != 1:
                    continue
                incident = await self._get(session, assignment.incident_id)
                person = await org_service.get_person(session, assignment.person_id)
                seconds = self.settings.dispatch_accept_timeout_seconds
                self._log(
                    session,
                    incident,
                    "timeout",
                    Doer(audit.SYSTEM, "系统"),
                    person=person,
                    text=f"{seconds:g} 秒内未接警 / not accepted within {seconds:g} s",
                )
                alerted.append((incident.id, assignment.id))
            await session.commit()
        for incident_id, assignment_id in alerted:
            await self.publish(incident_id, alert="timeout", assignment_id=assignment_id)
        return [a for _, a in alerted]

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.dispatch_sweep_seconds)
            try:
                await self.sweep_timeouts()
            except Exception:
                log.exception("dispatch timeout sweep failed")

    async def _keep_snaps(self) -> None:
        """Snap the people who moved, twice a second, so that a recommendation finds their
        road positions ready (snapping is most of what a query would otherwise redo)."""
        while True:
            await asyncio.sleep(SNAP_REFRESH_SECONDS)
            try:
                async with self.db.sessions() as session:
                    router = await self.graph.router(session)
                if router is not None:
                    since = utcnow() - dt.timedelta(
                        seconds=self.settings.tracking_offline_after_seconds
                    )
                    self.snaps.sources(router, self.roster.with_status(service.AVAILABLE, since))
            except Exception:
                log.exception("snapping live positions failed")

    async def _listen(self) -> None:
        assert self._subscription is not None
        async for event in self._subscription:
            try:
                if event.topic == TRACKING_TOPIC and event.name == "position":
                    await self._maybe_arrived(event.data)
                elif event.topic == TOPIC and event.name == "incident":
                    self._follow_incident(event.data)
            except Exception:
                log.exception("incidents listener failed on %s/%s", event.topic, event.name)

    def _watch(self, person_id: int, assignment: Assignment, lon: float, lat: float) -> None:
        if assignment.status in (AssignmentStatus.accepted, AssignmentStatus.en_route):
            self._heading_to[person_id] = (assignment.id, lon, lat)

    def _follow_incident(self, data: dict[str, Any]) -> None:
        """Keep the arrival watch in step with every process's dispatch changes."""
        for assignment in data.get("assignments", []):
            person_id, status = assignment["person_id"], assignment["status"]
            if status in (AssignmentStatus.accepted, AssignmentStatus.en_route):
                self._heading_to[person_id] = (assignment["id"], data["lon"], data["lat"])
            elif self._heading_to.get(person_id, (None,))[0] == assignment["id"]:
                del self._heading_to[person_id]

    async def _maybe_arrived(self, position: dict[str, Any]) -> None:
        person_id = position.get("person_id")
        if not isinstance(person_id, int) or person_id not in self._heading_to:
            return
        assignment_id, lon, lat = self._heading_to[person_id]
        distance = straight_m(float(position["lon"]), float(position["lat"]), lon, lat)
        if distance > self.settings.dispatch_arrive_radius_m:
            return
        del self._heading_to[person_id]
        async with self.db.sessions() as session:
            person = await org_service.get_person(session, person_id)
            label = f"{person.name}(自动到场)" if person else "自动到场"
            with contextlib.suppress(AppError):  # another process got there first
                await self.step(
                    session,
                    assignment_id,
                    person_id,
                    "arrive",
                    Doer(audit.SYSTEM, label),
                    how="auto",
                )

    # ---- publishing -------------------------------------------------------------------------

    async def publish(
        self,
        incident_id: int,
        *,
        alert: str | None = None,
        dispatched: list[int] | None = None,
        assignment_id: int | None = None,
    ) -> None:
        """The incident as it now stands to every console, and to each phone it concerns."""
        async with self.db.sessions() as session:
            incident = await self._get(session, incident_id)
            detail = await service.incident_detail(session, incident, utcnow())
            if alert == "timeout":
                suggestion = await self.recommend(session, incident_id, limit=1)
            else:
                suggestion = None
        body = detail.model_dump(mode="json")
        await self.bus.publish(Event(TOPIC, "incident", body, key=f"incident:{incident_id}"))
        if alert is not None:
            data: dict[str, Any] = {
                "reason": alert,
                "incident_id": incident_id,
                "code": detail.code,
                "type": detail.type,
                "priority": detail.priority,
                "place": detail.address or detail.road_name or "",
                "assignment_id": assignment_id,
            }
            if assignment_id is not None:
                late = next((a for a in detail.assignments if a.id == assignment_id), None)
                data["person_name"] = late.person_name if late else None
            if suggestion is not None and suggestion.items:
                data["next"] = suggestion.items[0].model_dump(mode="json")
            await self.bus.publish(Event(TOPIC, "alert", data, critical=True))
        for assignment in detail.assignments:
            user_id = await self.tracking.directory.user_of_person(assignment.person_id)
            if user_id is None:
                continue
            new = dispatched is not None and assignment.person_id in dispatched
            if new and assignment.status == AssignmentStatus.dispatched:
                name = "incident.dispatched"  # the phone rings
            else:
                name = "incident.assignment"
            await self.bus.publish(
                Event(
                    f"user.{user_id}",
                    name,
                    {"assignment": assignment.model_dump(mode="json"), "incident": body},
                    key=None if name == "incident.dispatched" else f"assignment:{assignment.id}",
                    critical=name == "incident.dispatched",
                )
            )

    # ---- helpers ----------------------------------------------------------------------------

    async def _get(self, session: AsyncSession, incident_id: int) -> Incident:
        incident = await service.get_incident(session, incident_id)
        if incident is None:
            raise INCIDENT_NOT_FOUND
        return incident

    async def _open(self, session: AsyncSession, incident_id: int) -> Incident:
        incident = await self._get(session, incident_id)
        if incident.status in FINISHED:
            raise _finished_error(incident)
        return incident

    async def _assignment(self, session: AsyncSession, assignment_id: int) -> Assignment:
        assignment = await service.get_assignment(session, assignment_id)
        if assignment is None:
            raise ASSIGNMENT_NOT_FOUND
        return assignment

    async def _settle(self, session: AsyncSession, incident: Incident) -> None:
        """The incident's status is the furthest any live (or handled) assignment has got;
        with none left, it waits to be dispatched again."""
        if incident.status in FINISHED:
            return
        await session.flush()
        progress = [
            PROGRESS[a.status]
            for a in await service.sent_to_incident(session, incident.id)
            if a.status in PROGRESS
        ]
        incident.status = (
            _INCIDENT_STATUS[max(progress)] if progress else IncidentStatus.new
        ).value

    def _log(
        self,
        session: AsyncSession,
        incident: Incident,
        kind: str,
        by: Doer,
        *,
        person: Person | None = None,
        text: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        session.add(
            IncidentEvent(
                incident_id=incident.id,
                kind=kind,
                actor=by.label,
                person_id=person.id if person else None,
                person_name=person.name if person else None,
                text=text,
                data=data,
            )
        )


def _bad_step(step: str, assignment: Assignment) -> AppError:
    zh, en = _STEP_LABELS.get(step, (step, step))
    return AppError(
        409,
        "incidents.bad_transition",
        f"当前状态不能{zh}",
        f"Cannot {en} in the current state",
        {"status": assignment.status, "step": step},
    )
