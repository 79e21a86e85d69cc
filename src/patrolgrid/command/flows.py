"""SOS and command-group workflows, and the `Command` runtime.

SOS: raised by the officer app (press and hold; retried until acknowledged, idempotent by the
app's `client_ref` and by "one open SOS per person") or by a device's `alarm=sos` (the tracking
alarm event). Raising sets the person's status to 求助, tells every console (critical, and in the
snapshot of anyone who connects later), and every phone of the squadron on duty and of anyone on
duty within `sos_nearby_seconds` by road. Not acknowledged within `sos_escalate_after_seconds`:
escalated to every commander and leader, and an SMS to the duty leader through the outbox.

Groups: created from an incident, an SOS or an area; members are accounts (an officer's phone, a
commander's console); chat, photos, locations and video sessions are kept after closing.

Video: browser-to-browser WebRTC. The server only relays signalling messages between two
accounts in the same room (`group:<id>`, `sos:<id>`) and records who had a camera live when; an
SFU can later join a room as one more peer without changing these messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.command import service
from patrolgrid.command.models import (
    CommandGroup,
    GroupDetail,
    GroupIn,
    GroupMember,
    GroupMessage,
    GroupOrigin,
    MemberPosition,
    MessageIn,
    SosAlert,
    SosIn,
    SosOut,
    SosResponder,
    SosStatus,
    TrailPoint,
    VideoSession,
)
from patrolgrid.config import Settings
from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.auth import service as auth_service
from patrolgrid.core.auth.principal import Principal
from patrolgrid.core.auth.roles import ROLE_PERMISSIONS, Perm, Role
from patrolgrid.core.bus import Bus, Event, Subscription
from patrolgrid.core.db import Database, utcnow
from patrolgrid.core.errors import AppError, field_error, not_found
from patrolgrid.core.uploads import image_type
from patrolgrid.duty import service as duty_service
from patrolgrid.incidents import service as incidents_service
from patrolgrid.incidents.models import LIVE
from patrolgrid.org import service as org_service
from patrolgrid.org.models import Person
from patrolgrid.roads.graph import RoutingGraph
from patrolgrid.sms import flows as sms
from patrolgrid.tracking import service as tracking_service
from patrolgrid.tracking.flows import Tracking
from patrolgrid.tracking.ingest import TOPIC as TRACKING_TOPIC
from patrolgrid.tracking.models import Alarm, PersonState, Status
from patrolgrid.tracking.roster import LiveRoster

log = logging.getLogger(__name__)
TOPIC = "command"
ON_DUTY = (
    Status.on_duty.value,
    Status.patrolling.value,
    Status.en_route.value,
    Status.on_scene.value,
)
SOS_NOT_FOUND = not_found("求助", "SOS", "command.sos_not_found")
NO_PERSON = AppError(
    409, "command.no_person", "该账号未关联人员", "This account is not linked to a person"
)
GROUP_NOT_FOUND = not_found("指挥集群", "Command group", "command.group_not_found")
NOT_IN_ROOM = AppError(
    403, "command.not_in_room", "您不在该集群或求助中", "You are not in this group or SOS"
)


@dataclass(frozen=True, slots=True)
class Doer:
    actor: Actor
    label: str


def doer(principal: Principal) -> Doer:
    return Doer(principal.actor, principal.display_name or principal.username)


class Command:
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
        # person in SOS → (sos, the responders' accounts): their positions go to those phones.
        self._watched: dict[int, tuple[int, list[int]]] = {}
        self._subscription: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._subscription = await self.bus.subscribe([TRACKING_TOPIC, TOPIC])
        async with self.db.sessions() as session:
            for sos in await service.open_sos(session):
                await self._watch(session, sos)
        self._tasks = [
            asyncio.create_task(self._listen(), name="command-listener"),
            asyncio.create_task(self._sweep_forever(), name="sos-escalation"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._subscription is not None:
            await self._subscription.close()

    # ---- SOS --------------------------------------------------------------------------------

    async def raise_own_sos(
        self, session: AsyncSession, user_id: int, data: SosIn, by: Doer
    ) -> SosAlert:
        """The app's press: the SOS of the person this account belongs to."""
        found = await service.sos_context(session, Person.user_id == user_id, data.client_ref)
        if found is None:
            raise NO_PERSON
        return await self._raise_sos(session, *found, data, by)

    async def raise_sos(
        self,
        session: AsyncSession,
        person_id: int,
        data: SosIn | None,
        by: Doer,
        alarm_id: int | None = None,
        status_before: str | None = None,
    ) -> SosAlert:
        found = await service.sos_context(
            session, Person.id == person_id, data.client_ref if data is not None else None
        )
        if found is None:
            raise NO_PERSON
        return await self._raise_sos(session, *found, data, by, alarm_id, status_before)

    async def _raise_sos(
        self,
        session: AsyncSession,
        person: Person,
        state: PersonState | None,
        existing: SosAlert | None,
        data: SosIn | None,
        by: Doer,
        alarm_id: int | None = None,
        status_before: str | None = None,
    ) -> SosAlert:
        """The one open SOS of this person: `existing` if already raised (a retry, a second
        press, the app and the device both), else created, announced and fanned out."""
        if existing is not None:
            if alarm_id is not None and existing.alarm_id is None:
                existing.alarm_id = alarm_id
                await session.commit()
            return existing
        lon = data.lon if data and data.lon is not None else (state.lon if state else None)
        lat = data.lat if data and data.lat is not None else (state.lat if state else None)
        current = state.status if state else Status.off_duty.value
        # Ahead of the position batches (SQLite: see WriteGate), from the insert to the commit.
        async with self.db.write_gate.urgent():
            sos = SosAlert(
                person_id=person.id,
                source="device" if alarm_id is not None else "app",
                client_ref=data.client_ref if data else None,
                alarm_id=alarm_id,
                lon=lon,
                lat=lat,
                status_before=status_before or (current if current != Status.sos.value else None),
            )
            session.add(sos)
            await session.flush()
            audit.record(
                session,
                by.actor,
                "sos.raised",
                "sos",
                sos.id,
                after={"person_id": person.id, "source": sos.source},
            )
            if current != Status.sos.value:
                # set_status commits the SOS with the status change, in one transaction.
                await self.tracking.set_status(
                    session, person.id, Status.sos, by.actor, allowed=None
                )
            else:
                await session.commit()
        # Every console first, from the rows in hand (no read between the commit and the
        # alarm); whose phones to ring, the trail and the responders follow in the update.
        trail = (
            [TrailPoint(ts=state.ts, lon=state.lon, lat=state.lat)]
            if state is not None
            and state.ts is not None
            and state.lon is not None
            and state.lat is not None
            else []
        )
        await self._broadcast(service.build_sos_out(sos, person, state, [], trail), {})
        notified = await self._fan_out(session, sos, person)
        audit.record(
            session, audit.SYSTEM, "sos.fanned_out", "sos", sos.id, after={"notified": notified}
        )
        await session.commit()
        await self._watch(session, sos)
        await self.publish_sos(sos.id, notify_responders=True)
        return sos

    async def _fan_out(self, session: AsyncSession, sos: SosAlert, person: Person) -> list[int]:
        """Who is told: anyone on duty near enough by road, the raiser's grid members (posted to
        the same grid in the active plan, on duty or not: the team that works together), and
        the squadron's people on duty."""
        since = utcnow() - dt.timedelta(seconds=self.settings.tracking_offline_after_seconds)
        on_duty = {
            pid: (lon, lat)
            for pid, lon, lat in self.roster.with_status(ON_DUTY, since)
            if pid != person.id
        }
        chosen: dict[int, tuple[str, float | None]] = {}
        router = await self.graph.router(session)
        if router is not None and sos.lon is not None and sos.lat is not None and on_duty:
            ids = list(on_duty)
            # In a thread: the search is milliseconds of CPU that would otherwise hold up the
            # event loop, and with it the next SOS and every console's positions.
            times = await asyncio.to_thread(
                router.travel_seconds_to,
                (sos.lon, sos.lat),
                [on_duty[i] for i in ids],
                limit_s=self.settings.sos_nearby_seconds,
                metres_for=0,
            )
            for index in times.fastest():
                chosen[ids[int(index)]] = ("nearby", float(times.seconds[index]))
        for mate in await duty_service.grid_mates(session, person.id):
            if mate not in chosen:
                chosen[mate] = ("grid", None)
        for mate in await service.squadron_mates(session, person.squadron_id, list(on_duty)):
            if mate not in chosen:
                chosen[mate] = ("group", None)
        for person_id, (reason, eta) in chosen.items():
            session.add(
                SosResponder(sos_id=sos.id, person_id=person_id, reason=reason, eta_seconds=eta)
            )
        return sorted(chosen)

    async def acknowledge(self, session: AsyncSession, sos_id: int, by: Doer) -> SosAlert:
        sos = await self._sos(session, sos_id)
        if sos.status == SosStatus.active.value:
            sos.status = SosStatus.acknowledged.value
            sos.acknowledged_at = utcnow()
            sos.acknowledged_by = by.label
            audit.record(
                session, by.actor, "sos.acknowledged", "sos", sos.id, after={"by": by.label}
            )
            await session.commit()
            await self.publish_sos(sos.id)
        return sos

    async def resolve(self, session: AsyncSession, sos_id: int, note: str, by: Doer) -> SosAlert:
        sos = await self._sos(session, sos_id)
        if sos.status == SosStatus.resolved.value:
            raise AppError(
                409, "command.sos_resolved", "该求助已处置完毕", "This SOS is already resolved"
            )
        now = utcnow()
        sos.acknowledged_at = sos.acknowledged_at or now
        sos.acknowledged_by = sos.acknowledged_by or by.label
        sos.status = SosStatus.resolved.value
        sos.resolved_at = now
        sos.resolved_by = by.label
        sos.resolution = note
        audit.record(session, by.actor, "sos.resolved", "sos", sos.id, after={"note": note})
        await session.commit()
        state = await tracking_service.get_state(session, sos.person_id)
        if sos.alarm_id is not None:
            # The device's alarm is acknowledged too; that gives the status back.
            await self.tracking.acknowledge_alarm(session, sos.alarm_id, by.actor)
        elif state is not None and state.status == Status.sos.value:
            restored = Status(sos.status_before or Status.on_duty.value)
            await self.tracking.set_status(session, sos.person_id, restored, by.actor, allowed=None)
        await self._end_videos(session, f"sos:{sos.id}")
        self._watched.pop(sos.person_id, None)
        await self.publish_sos(sos.id)
        return sos

    async def answer(
        self, session: AsyncSession, sos_id: int, person: Person, by: Doer
    ) -> SosAlert:
        """A responder's "on my way" (我已出发)."""
        sos = await self._sos(session, sos_id)
        if sos.status == SosStatus.resolved.value:
            raise AppError(
                409, "command.sos_resolved", "该求助已处置完毕", "This SOS is already resolved"
            )
        rows = {r.person_id: r for r, _ in await service.responders(session, sos.id)}
        responder = rows.get(person.id)
        if responder is None:
            responder = SosResponder(sos_id=sos.id, person_id=person.id, reason="self")
            session.add(responder)
        if responder.answered_at is None:
            responder.answered_at = utcnow()
            audit.record(
                session, by.actor, "sos.answered", "sos", sos.id, after={"person_id": person.id}
            )
            await session.commit()
            await self.publish_sos(sos.id)
        return sos

    async def escalate_overdue(self) -> list[int]:
        """SOS nobody acknowledged in time: every commander and leader hears it, and the duty
        leader gets a text. Claimed by a conditional update: once, whatever the processes."""
        now = utcnow()
        limit = dt.timedelta(seconds=self.settings.sos_escalate_after_seconds)
        escalated = []
        async with self.db.sessions() as session:
            for sos in await service.unacknowledged_before(session, now - limit):
                claimed = await session.execute(
                    update(SosAlert)
                    .where(SosAlert.id == sos.id, SosAlert.escalated_at.is_(None))
                    .values(escalated_at=now)
                )
                if getattr(claimed, "rowcount", 0) != 1:
                    continue
                person = await org_service.get_person(session, sos.person_id)
                name = person.name if person else str(sos.person_id)
                seconds = self.settings.sos_escalate_after_seconds
                for mobile in await self._duty_leader_mobiles(session):
                    await sms.enqueue(
                        session,
                        mobile,
                        f"【交巡警指挥平台】{name} 发出求助,{seconds:g} 秒内无人确认,请立即处置。"
                        f"求助编号 {sos.id}",
                        "sos.escalation",
                        f"sos-escalation-{sos.id}-{mobile}",
                    )
                audit.record(session, audit.SYSTEM, "sos.escalated", "sos", sos.id)
                escalated.append(sos.id)
            await session.commit()
            chiefs = [
                u.id for u in await service.users_with_roles(session, [Role.commander, Role.leader])
            ]
        for sos_id in escalated:
            await self.publish_sos(sos_id)
            for user_id in chiefs:
                await self.bus.publish(
                    Event(f"user.{user_id}", "sos.escalated", {"sos_id": sos_id}, critical=True)
                )
        return escalated

    async def _duty_leader_mobiles(self, session: AsyncSession) -> list[str]:
        if self.settings.duty_leader_mobile:
            return [self.settings.duty_leader_mobile]
        leaders = await service.users_with_roles(session, [Role.leader])
        mobiles = []
        for user in leaders:
            person = await org_service.person_for_user(session, user.id)
            if person is not None and person.mobile:
                mobiles.append(person.mobile)
        if not mobiles:
            log.warning("SOS escalated but no duty leader mobile is configured")
        return mobiles

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sos_sweep_seconds)
            try:
                await self.escalate_overdue()
            except Exception:
                log.exception("SOS escalation sweep failed")

    async def _sos(self, session: AsyncSession, sos_id: int) -> SosAlert:
        sos = await service.get_sos(session, sos_id)
        if sos is None:
            raise SOS_NOT_FOUND
        return sos

    async def _watch(self, session: AsyncSession, sos: SosAlert) -> None:
        people = [r.person_id for r, _ in await service.responders(session, sos.id)]
        users = await service.users_of_people(session, people)
        self._watched[sos.person_id] = (sos.id, list(users.values()))

    async def publish_sos(self, sos_id: int, notify_responders: bool = False) -> SosOut:
        """The SOS to every console (critical: never dropped), and to the phones concerned."""
        async with self.db.sessions() as session:
            sos = await self._sos(session, sos_id)
            out = await service.sos_out(session, sos)
            users = await service.users_of_people(session, [r.person_id for r in out.responders])
        await self._broadcast(out, users, notify_responders)
        return out

    async def _broadcast(
        self, out: SosOut, users: dict[int, int], notify_responders: bool = False
    ) -> None:
        body = out.model_dump(mode="json")
        await self.bus.publish(Event(TOPIC, "sos", body, critical=True))
        name = "sos.alert" if notify_responders else "sos.update"
        for user_id in users.values():
            await self.bus.publish(Event(f"user.{user_id}", name, body, critical=True))
        if out.person_user_id is not None:
            await self.bus.publish(
                Event(f"user.{out.person_user_id}", "sos.own", body, critical=True)
            )

    async def _listen(self) -> None:
        assert self._subscription is not None
        async for event in self._subscription:
            try:
                if event.topic == TRACKING_TOPIC and event.name == "alarm":
                    if event.data.get("kind") == "sos":
                        await self._device_sos(event.data)
                elif event.topic == TRACKING_TOPIC and event.name == "position":
                    await self._forward_position(event.data)
                elif event.topic == TOPIC and event.name == "sos":
                    self._follow_sos(event.data)
            except Exception:
                log.exception("command listener failed on %s/%s", event.topic, event.name)

    async def _device_sos(self, alarm: dict[str, Any]) -> None:
        """`alarm=sos` from a tracker or Traccar Client raises a real SOS."""
        async with self.db.sessions() as session:
            person = await org_service.get_person(session, int(alarm["person_id"]))
            if person is None:
                return
            stored = await session.get(Alarm, int(alarm["id"]))
            before = stored.previous_status if stored else None
            await self.raise_sos(
                session,
                person.id,
                None,
                Doer(audit.SYSTEM, f"{person.name}(设备报警)"),
                alarm_id=int(alarm["id"]),
                status_before=before,
            )

    async def _forward_position(self, position: dict[str, Any]) -> None:
        watched = self._watched.get(position.get("person_id"))  # type: ignore[arg-type]
        if watched is None:
            return
        sos_id, users = watched
        data = {"sos_id": sos_id, **position}
        for user_id in users:
            await self.bus.publish(
                Event(f"user.{user_id}", "sos.position", data, key=f"sos-position:{sos_id}")
            )

    def _follow_sos(self, data: dict[str, Any]) -> None:
        """Keep the position forwarding in step with SOS raised or resolved in any process."""
        person_id = data["person_id"]
        if data["status"] == SosStatus.resolved:
            self._watched.pop(person_id, None)
        elif person_id not in self._watched:
            self._watched[person_id] = (data["id"], [])

    # ---- groups -----------------------------------------------------------------------------

    async def create_group(
        self, session: AsyncSession, data: GroupIn, principal: Principal
    ) -> CommandGroup:
        by = doer(principal)
        people: list[int] = list(data.person_ids)
        name = data.name
        if data.origin is GroupOrigin.incident:
            assert data.incident_id is not None
            incident = await incidents_service.get_incident(session, data.incident_id)
            if incident is None:
                raise field_error(
                    "incidents.not_found", "警情不存在", "No such incident", "incident_id"
                )
            people += [
                a.person_id
                for a in await incidents_service.sent_to_incident(session, incident.id)
                if a.status in LIVE or a.status == "handled"
            ]
            name = name or f"警情 {incident.code} 指挥集群"
        elif data.origin is GroupOrigin.sos:
            assert data.sos_id is not None
            sos = await service.get_sos(session, data.sos_id)
            if sos is None:
                raise field_error("command.sos_not_found", "求助不存在", "No such SOS", "sos_id")
            people.append(sos.person_id)
            people += [
                r.person_id for r, _ in await service.responders(session, sos.id) if r.answered_at
            ]
            person = await org_service.get_person(session, sos.person_id)
            name = name or f"{person.name if person else ''} 求助 指挥集群"
        else:
            assert data.area is not None
            ring = shapely.Polygon(data.area)
            if not ring.is_valid or ring.area == 0:
                raise field_error(
                    "command.bad_area", "圈选范围无效", "The area is not a valid polygon", "area"
                )
            since = utcnow() - dt.timedelta(seconds=self.settings.tracking_offline_after_seconds)
            inside = [
                pid
                for pid, lon, lat in self.roster.with_status(ON_DUTY, since)
                if ring.contains(shapely.Point(lon, lat))
            ]
            people += inside
            name = name or "圈选区域 指挥集群"
        for person_id in data.person_ids:
            if await org_service.get_person(session, person_id) is None:
                raise field_error(
                    "org.person_not_found", "人员不存在", "No such person", "person_ids"
                )
        group = CommandGroup(
            name=name[:100],
            origin=data.origin.value,
            incident_id=data.incident_id,
            sos_id=data.sos_id,
            created_by_user_id=principal.user_id,
            created_by=by.label,
        )
        session.add(group)
        await session.flush()
        me = await org_service.person_for_user(session, principal.user_id)
        session.add(
            GroupMember(
                group_id=group.id,
                user_id=principal.user_id,
                person_id=me.id if me else None,
                name=by.label,
                role="commander",
            )
        )
        added, without_account = await self._add_people(session, group, people, principal.user_id)
        text = f"{by.label} 建立了指挥集群,成员 {len(added) + 1} 人"
        if without_account:
            text += f";{'、'.join(without_account)} 没有登录账号,未加入"
        self._system_message(session, group, text)
        audit.record(
            session,
            by.actor,
            "group.created",
            "command_group",
            group.id,
            after={"origin": group.origin, "members": added},
        )
        await session.commit()
        await self.publish_group(group.id, invited=True)
        return group

    async def _add_people(
        self, session: AsyncSession, group: CommandGroup, person_ids: list[int], skip_user: int
    ) -> tuple[list[int], list[str]]:
        added: list[int] = []
        without_account: list[str] = []
        for person_id in dict.fromkeys(person_ids):
            person = await org_service.get_person(session, person_id)
            if person is None:
                continue
            if person.user_id is None:
                without_account.append(person.name)
                continue
            if person.user_id == skip_user or await service.current_member(
                session, group.id, person.user_id
            ):
                continue
            session.add(
                GroupMember(
                    group_id=group.id,
                    user_id=person.user_id,
                    person_id=person.id,
                    name=person.name,
                    role="member",
                )
            )
            added.append(person.id)
        return added, without_account

    async def add_members(
        self, session: AsyncSession, group_id: int, person_ids: list[int], principal: Principal
    ) -> CommandGroup:
        group = await self._open_group(session, group_id)
        await self._require_commander(session, group, principal)
        added, without_account = await self._add_people(
            session, group, person_ids, principal.user_id
        )
        names = [m.name for m in await service.members(session, group.id) if m.person_id in added]
        if names:
            self._system_message(session, group, f"{'、'.join(names)} 加入集群")
        if without_account:
            self._system_message(
                session, group, f"{'、'.join(without_account)} 没有登录账号,未加入"
            )
        audit.record(
            session,
            principal.actor,
            "group.members_added",
            "command_group",
            group.id,
            after={"people": added},
        )
        await session.commit()
        await self.publish_group(group.id, invited=True)
        return group

    async def join(
        self, session: AsyncSession, group_id: int, principal: Principal
    ) -> CommandGroup:
        """A command-center account steps into a group another commander formed (to watch its
        video and talk); members are added by the commander instead."""
        group = await self._open_group(session, group_id)
        if not principal.can(Perm.groups_command):
            raise AppError(
                403,
                "command.not_commander",
                "只有指挥人员可以加入集群",
                "Only command-center staff can join a group",
            )
        if await service.current_member(session, group.id, principal.user_id) is None:
            by = doer(principal)
            me = await org_service.person_for_user(session, principal.user_id)
            session.add(
                GroupMember(
                    group_id=group.id,
                    user_id=principal.user_id,
                    person_id=me.id if me else None,
                    name=by.label,
                    role="commander",
                )
            )
            self._system_message(session, group, f"{by.label} 加入集群")
            audit.record(session, by.actor, "group.joined", "command_group", group.id)
            await session.commit()
            await self.publish_group(group.id)
        return group

    def member_positions(self, members: list[GroupMember]) -> list[MemberPosition]:
        """Where the group's current members are, from the live roster."""
        positions = []
        for member in members:
            if member.left_at is not None or member.person_id is None:
                continue
            where = self.roster.people.get(member.person_id)
            positions.append(
                MemberPosition(
                    user_id=member.user_id,
                    person_id=member.person_id,
                    name=member.name,
                    status=where.status if where else Status.off_duty.value,
                    lon=where.lon if where else None,
                    lat=where.lat if where else None,
                    ts=where.ts if where else None,
                )
            )
        return positions

    async def leave(
        self, session: AsyncSession, group_id: int, principal: Principal
    ) -> CommandGroup:
        group = await self._open_group(session, group_id)
        member = await service.current_member(session, group.id, principal.user_id)
        if member is None:
            raise NOT_IN_ROOM
        member.left_at = utcnow()
        self._system_message(session, group, f"{member.name} 离开集群")
        await self._end_videos(session, f"group:{group.id}", principal.user_id, commit=False)
        audit.record(session, principal.actor, "group.left", "command_group", group.id)
        await session.commit()
        await self.publish_group(group.id, also_user=principal.user_id)
        return group

    async def close_group(
        self, session: AsyncSession, group_id: int, principal: Principal
    ) -> CommandGroup:
        group = await self._open_group(session, group_id)
        await self._require_commander(session, group, principal)
        now = utcnow()
        group.open = False
        group.closed_at = now
        group.closed_by = doer(principal).label
        for member in await service.members(session, group.id):
            if member.left_at is None:
                member.left_at = now
        self._system_message(session, group, f"{group.closed_by} 关闭了集群,记录已归档")
        await self._end_videos(session, f"group:{group.id}", commit=False)
        audit.record(session, principal.actor, "group.closed", "command_group", group.id)
        await session.commit()
        await self.publish_group(group.id, everyone_ever=True)
        return group

    async def post(
        self, session: AsyncSession, group_id: int, data: MessageIn, principal: Principal
    ) -> GroupMessage:
        group = await self._open_group(session, group_id)
        member = await self._member(session, group, principal)
        message = GroupMessage(
            group_id=group.id,
            sender_user_id=principal.user_id,
            sender_name=member.name,
            kind=data.kind,
            text=data.text,
            lon=data.lon,
            lat=data.lat,
        )
        return await self._store_message(session, group, message)

    async def post_photo(
        self, session: AsyncSession, group_id: int, content: bytes, text: str, principal: Principal
    ) -> GroupMessage:
        group = await self._open_group(session, group_id)
        member = await self._member(session, group, principal)
        message = GroupMessage(
            group_id=group.id,
            sender_user_id=principal.user_id,
            sender_name=member.name,
            kind="photo",
            text=text,
            photo=content,
            content_type=image_type(content),
        )
        return await self._store_message(session, group, message)

    async def _store_message(
        self, session: AsyncSession, group: CommandGroup, message: GroupMessage
    ) -> GroupMessage:
        session.add(message)
        await session.flush()
        await session.commit()
        body = service.message_out(message).model_dump(mode="json")
        for member in await service.members(session, group.id):
            if member.left_at is None:
                await self.bus.publish(Event(f"user.{member.user_id}", "group.message", body))
        return message

    def _system_message(self, session: AsyncSession, group: CommandGroup, text: str) -> None:
        session.add(GroupMessage(group_id=group.id, sender_name="系统", kind="system", text=text))

    async def publish_group(
        self,
        group_id: int,
        *,
        invited: bool = False,
        also_user: int | None = None,
        everyone_ever: bool = False,
    ) -> GroupDetail:
        async with self.db.sessions() as session:
            group = await service.get_group(session, group_id)
            assert group is not None
            detail = await service.group_detail(session, group)
        body = detail.model_dump(mode="json")
        users = {m.user_id for m in detail.members if m.left_at is None or everyone_ever}
        if also_user is not None:
            users.add(also_user)
        for user_id in users:
            await self.bus.publish(
                Event(
                    f"user.{user_id}",
                    "group.invited" if invited else "group",
                    body,
                    key=None if invited else f"group:{group_id}",
                    critical=invited,
                )
            )
        await self.bus.publish(
            Event(
                TOPIC,
                "group",
                {k: v for k, v in body.items() if k != "messages"},
                key=f"group:{group_id}",
            )
        )
        return detail

    async def _open_group(self, session: AsyncSession, group_id: int) -> CommandGroup:
        group = await service.get_group(session, group_id)
        if group is None:
            raise GROUP_NOT_FOUND
        if not group.open:
            raise AppError(409, "command.group_closed", "集群已关闭", "This group is closed")
        return group

    async def _member(
        self, session: AsyncSession, group: CommandGroup, principal: Principal
    ) -> GroupMember:
        member = await service.current_member(session, group.id, principal.user_id)
        if member is None:
            raise NOT_IN_ROOM
        return member

    async def _require_commander(
        self, session: AsyncSession, group: CommandGroup, principal: Principal
    ) -> None:
        member = await service.current_member(session, group.id, principal.user_id)
        if (member is None or member.role != "commander") and not principal.can(
            Perm.groups_command
        ):
            raise AppError(
                403,
                "command.not_commander",
                "只有集群指挥员可以这样做",
                "Only the group's commander can do this",
            )

    # ---- video and signalling ---------------------------------------------------------------

    async def may_enter(self, session: AsyncSession, room: str, principal: Principal) -> list[int]:
        """Whether the account is in the room; returns the room's other accounts."""
        kind, _, raw_id = room.partition(":")
        if not raw_id.isdigit():
            raise AppError(422, "command.bad_room", "房间标识无效", "Not a valid room")
        if kind == "group":
            group = await service.get_group(session, int(raw_id))
            if group is None or not group.open:
                raise NOT_IN_ROOM
            current = [
                m.user_id for m in await service.members(session, group.id) if m.left_at is None
            ]
            if principal.user_id not in current:
                raise NOT_IN_ROOM
            return [u for u in current if u != principal.user_id]
        if kind == "sos":
            sos = await service.get_sos(session, int(raw_id))
            if sos is None or sos.status == SosStatus.resolved.value:
                raise NOT_IN_ROOM
            person = await org_service.get_person(session, sos.person_id)
            owner = person.user_id if person else None
            if principal.user_id == owner:
                return []  # the consoles come to the officer: they are told by the topic
            if principal.can(Perm.tracking_read) and owner is not None:
                return [owner]
            raise NOT_IN_ROOM
        raise AppError(422, "command.bad_room", "房间标识无效", "Not a valid room")

    async def relay(self, principal: Principal, message: dict[str, Any]) -> None:
        """An offer, answer, ICE candidate or hang-up, passed to one other account in the room."""
        room = str(message.get("room", ""))
        to = message.get("to")
        signal = message.get("signal")
        if not isinstance(to, int) or not isinstance(signal, dict):
            raise AppError(
                422, "command.bad_signal", "信令消息格式不正确", "Malformed signalling message"
            )
        async with self.db.sessions() as session:
            if room.startswith("sos:") and to != principal.user_id:
                await self._check_sos_pair(session, room, principal, to)
            else:
                others = await self.may_enter(session, room, principal)
                if to not in others:
                    raise NOT_IN_ROOM
        await self.bus.publish(
            Event(
                f"user.{to}",
                "rtc",
                {
                    "room": room,
                    "from": principal.user_id,
                    "from_name": principal.display_name or principal.username,
                    "signal": signal,
                },
                critical=True,  # a lost candidate or answer breaks the call
            )
        )

    async def _check_sos_pair(
        self, session: AsyncSession, room: str, principal: Principal, to: int
    ) -> None:
        """In an SOS room the officer talks to consoles and consoles to the officer."""
        sos = await service.get_sos(session, int(room.partition(":")[2] or 0))
        if sos is None or sos.status == SosStatus.resolved.value:
            raise NOT_IN_ROOM
        person = await org_service.get_person(session, sos.person_id)
        owner = person.user_id if person else None
        if principal.user_id == owner:
            target = await auth_service.get_user(session, to)
            if target is None or Perm.tracking_read not in ROLE_PERMISSIONS[Role(target.role)]:
                raise NOT_IN_ROOM
        elif not (principal.can(Perm.tracking_read) and to == owner):
            raise NOT_IN_ROOM

    async def video(self, principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
        """A camera going live or off in a room: recorded, and the room told."""
        room = str(message.get("room", ""))
        state = message.get("state")
        if state not in ("started", "stopped"):
            raise AppError(422, "command.bad_video_state", "视频状态无效", "Unknown video state")
        async with self.db.sessions() as session:
            others = await self.may_enter(session, room, principal)
            live = await service.live_video(session, room, principal.user_id)
            if state == "started" and live is None:
                live = VideoSession(
                    room=room,
                    user_id=principal.user_id,
                    name=principal.display_name or principal.username,
                )
                session.add(live)
            elif state == "stopped" and live is not None:
                live.ended_at = utcnow()
            await session.commit()
            session_id = live.id if live else None
        data = {
            "room": room,
            "user_id": principal.user_id,
            "name": principal.display_name or principal.username,
            "state": state,
            "session_id": session_id,
        }
        if room.startswith("sos:"):
            await self.bus.publish(Event(TOPIC, "video", data, critical=True))
        for user_id in others:
            await self.bus.publish(Event(f"user.{user_id}", "video", data, critical=True))
        return {"type": "ack", "session_id": session_id}

    async def _end_videos(
        self, session: AsyncSession, room: str, user_id: int | None = None, commit: bool = True
    ) -> None:
        for video in await service.videos(session, room):
            if video.ended_at is None and (user_id is None or video.user_id == user_id):
                video.ended_at = utcnow()
        if commit:
            await session.commit()
