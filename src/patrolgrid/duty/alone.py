"""辅警单独巡逻: a 路员 on patrol with no police officer of their grid nearby.

`AloneWatch` is the runtime: a sweeper that every `duty_alone_sweep_seconds` looks at each 路员
on duty now (rostered in a shift running now, or a post holder of a grid with no roster today)
whose latest status is moving (巡逻 patrolling, 出警中 en route). One is *alone* when, over the
last `duty_alone_after_seconds`, they reported throughout (their first position in that time is
no later than its start, and their shift began before it) and never had a police officer of
their grid (the grid's 路警 post holder, or police rostered there now) within
`duty_alone_radius_m`: "together" is a position of each, no more than `PAIR_SECONDS` apart in
time, within the radius. A grid without any police officer leaves its 路员 alone by definition.

Then an alert is recorded (`duty_alerts`, one open per person: the database's partial unique
index keeps sweepers in several processes from opening two) and `duty.alone` is published on the
`duty` topic, critical. The alert closes when a police officer of the grid comes within the
radius or the 路员 goes off duty (status 下班, or no longer on duty by roster or post); closing
is claimed by a conditional update, so it is published once. Everything is read from the
position history and the roster, so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Sequence

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.config import Settings
from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.bus import Bus, Event
from patrolgrid.core.db import Database, utcnow
from patrolgrid.core.errors import not_found
from patrolgrid.duty import presence_service
from patrolgrid.duty import service as duty_service
from patrolgrid.duty.flows import TOPIC
from patrolgrid.duty.models import DutyAlert, PostRole
from patrolgrid.duty.presence import FloatArray, Frame, Track
from patrolgrid.duty.presence_models import AlertList, AlertOut
from patrolgrid.duty.presence_service import OnDuty
from patrolgrid.tracking.models import Status
from patrolgrid.tracking.roster import LiveRoster

log = logging.getLogger(__name__)

EVENT = "duty.alone"
# Statuses that mean "moving": patrolling, or on the way to an incident.
MOVING = frozenset({Status.patrolling.value, Status.en_route.value})
# Two positions this close in time can say whether two people were together (phones report
# every few seconds to a minute).
PAIR_SECONDS = 60.0
ALERT_NOT_FOUND = not_found("单独巡逻提醒", "Alert", "duty.alert_not_found")


Positions = tuple[FloatArray, FloatArray, FloatArray]  # epoch seconds, lon, lat


def together(
    mine: Positions,
    theirs: Positions,
    radius_m: float,
    pair_seconds: float = PAIR_SECONDS,
) -> bool:
    """Whether any position of `mine` (epoch seconds, lon, lat) and one of `theirs` no more
    than `pair_seconds` apart lie within `radius_m` of each other."""
    t_mine, lon_mine, lat_mine = mine
    t_theirs, lon_theirs, lat_theirs = theirs
    if len(t_mine) == 0 or len(t_theirs) == 0:
        return False
    order = np.argsort(t_theirs, kind="stable")
    t_sorted = t_theirs[order]
    first = np.searchsorted(t_sorted, t_mine - pair_seconds, side="left")
    last = np.searchsorted(t_sorted, t_mine + pair_seconds, side="right")
    counts = last - first
    total = int(counts.sum())
    if total == 0:
        return False
    point = np.repeat(np.arange(len(t_mine)), counts)
    other = order[first[point] + np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)]
    frame = Frame(float(lon_mine[0]), float(lat_mine[0]))
    x_mine, y_mine = frame.metres(lon_mine[point], lat_mine[point])
    x_theirs, y_theirs = frame.metres(lon_theirs[other], lat_theirs[other])
    close = (x_mine - x_theirs) ** 2 + (y_mine - y_theirs) ** 2 <= radius_m * radius_m
    return bool(close.any())


def _of(track: Track, person_ids: Sequence[int], who: Sequence[int]) -> Positions:
    """The positions of `who` (ids) from a track whose `person` indexes `person_ids`."""
    chosen = set(who)
    wanted = [i for i, pid in enumerate(person_ids) if pid in chosen]
    keep = np.isin(track.person, wanted)
    return track.epoch_s[keep], track.lon[keep], track.lat[keep]


class AloneWatch:
    def __init__(self, db: Database, bus: Bus, settings: Settings, roster: LiveRoster) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.roster = roster
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._sweep_forever(), name="duty-alone")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.duty_alone_sweep_seconds)
            try:
                await self.sweep()
            except Exception:
                log.exception("alone sweep failed")

    async def sweep(self) -> tuple[list[int], list[int]]:
        """Opens and closes alerts as things stand now: (opened, closed) alert ids."""
        now = utcnow()
        after = dt.timedelta(seconds=self.settings.duty_alone_after_seconds)
        lookback = now - after - dt.timedelta(seconds=PAIR_SECONDS)
        opened: list[int] = []
        closed: list[int] = []
        async with self.db.sessions() as session:
            duty = await presence_service.on_duty_now(session, now)
            open_alerts = await presence_service.open_alerts(session)
            members = {d.person_id: d for d in duty if d.role == PostRole.member}
            police = await self._police(session, duty, {a.grid_id for a in open_alerts.values()})
            moving = [
                m
                for m in members.values()
                if m.person_id not in open_alerts and self._status(m.person_id) in MOVING
            ]
            watched = {m.person_id for m in moving} | set(open_alerts)
            everyone = sorted(watched | {p for grid in police.values() for p in grid})
            track = await presence_service.track(
                session, everyone, lookback, now + dt.timedelta(seconds=1)
            )

            for alert in open_alerts.values():
                member = members.get(alert.person_id)
                off = member is None or self._status(alert.person_id) == Status.off_duty.value
                met = together(
                    _of(track, everyone, [alert.person_id]),
                    _of(track, everyone, sorted(police.get(alert.grid_id, ()))),
                    self.radius,
                )
                if (off or met) and await presence_service.end_alert(session, alert.id, now):
                    audit.record(
                        session,
                        audit.SYSTEM,
                        "duty.alone_closed",
                        "duty_alert",
                        alert.id,
                        after={"reason": "off_duty" if off else "police_near"},
                    )
                    closed.append(alert.id)
            await session.commit()

            for member in moving:
                if self._alone(member, track, everyone, police, now, after):
                    alert_id = await self._open(session, member, police, now)
                    if alert_id is not None:
                        opened.append(alert_id)
        for alert_id in closed:
            await self.publish(alert_id, "closed")
        for alert_id in opened:
            await self.publish(alert_id, "opened")
        return opened, closed

    def _status(self, person_id: int) -> str | None:
        known = self.roster.people.get(person_id)
        return None if known is None else known.status

    async def _police(
        self, session: AsyncSession, duty: Sequence[OnDuty], alert_grids: set[int]
    ) -> dict[int, set[int]]:
        """grid → its police: the 路警 post holder and police on duty there now."""
        grids = {d.grid_id for d in duty} | alert_grids
        police: dict[int, set[int]] = {g: set() for g in grids}
        for grid, person in (await presence_service.grid_leads(session, grids)).items():
            police[grid].add(person)
        for d in duty:
            if d.role == PostRole.lead:
                police[d.grid_id].add(d.person_id)
        return police

    def _alone(
        self,
        member: OnDuty,
        track: Track,
        everyone: Sequence[int],
        police: dict[int, set[int]],
        now: dt.datetime,
        after: dt.timedelta,
    ) -> bool:
        start = (now - after).timestamp()
        if member.since is not None and member.since.timestamp() > start:
            return False  # the shift began too recently to have been alone that long
        mine = _of(track, everyone, [member.person_id])
        if len(mine[0]) == 0 or float(mine[0].min()) > start:
            return False  # not reporting throughout
        return not together(
            mine, _of(track, everyone, sorted(police.get(member.grid_id, ()))), self.radius
        )

    @property
    def radius(self) -> float:
        return self.settings.duty_alone_radius_m

    def _nearest_police_m(self, member: OnDuty, police: dict[int, set[int]]) -> float | None:
        me = self.roster.people.get(member.person_id)
        if me is None or me.lon is None or me.lat is None:
            return None
        best: float | None = None
        frame = Frame(me.lon, me.lat)
        for person in police.get(member.grid_id, ()):
            other = self.roster.people.get(person)
            if other is None or other.lon is None or other.lat is None:
                continue
            x, y = frame.metres(np.array([other.lon]), np.array([other.lat]))
            metres = float(np.hypot(x[0], y[0]))
            best = metres if best is None else min(best, metres)
        return None if best is None else round(best, 1)

    async def _open(
        self,
        session: AsyncSession,
        member: OnDuty,
        police: dict[int, set[int]],
        now: dt.datetime,
    ) -> int | None:
        alert = DutyAlert(
            person_id=member.person_id,
            grid_id=member.grid_id,
            started_at=now,
            nearest_lead_m=self._nearest_police_m(member, police),
        )
        session.add(alert)
        try:
            await session.flush()
        except IntegrityError:  # another process opened it first
            await session.rollback()
            return None
        audit.record(
            session,
            audit.SYSTEM,
            "duty.alone_opened",
            "duty_alert",
            alert.id,
            after={
                "person_id": member.person_id,
                "grid_id": member.grid_id,
                "nearest_lead_m": alert.nearest_lead_m,
            },
        )
        await session.commit()
        return alert.id

    async def publish(self, alert_id: int, state: str) -> None:
        async with self.db.sessions() as session:
            alert = await presence_service.get_alert(session, alert_id)
            if alert is None:
                return
            data = (await alerts_out(session, [alert]))[0].model_dump(mode="json")
        await self.bus.publish(
            Event(TOPIC, EVENT, {**data, "state": state}, critical=state == "opened")
        )

    async def acknowledge(self, session: AsyncSession, alert_id: int, actor: Actor) -> AlertOut:
        alert = await presence_service.get_alert(session, alert_id)
        if alert is None:
            raise ALERT_NOT_FOUND
        if alert.acknowledged_at is None:
            alert.acknowledged_at = utcnow()
            alert.acknowledged_by = actor.name
            audit.record(session, actor, "duty.alone_acknowledged", "duty_alert", alert.id)
            await session.commit()
            await self.publish(alert.id, "acknowledged")
        return (await alerts_out(session, [alert]))[0]


async def alerts_out(session: AsyncSession, rows: Sequence[DutyAlert]) -> list[AlertOut]:
    people = await duty_service.people_by_id(session, {a.person_id for a in rows})
    places = await duty_service.grid_squadrons(session, {a.grid_id for a in rows})
    return [
        AlertOut(
            id=a.id,
            person=duty_service.person_ref(people[a.person_id]),
            grid_id=a.grid_id,
            grid_name=places[a.grid_id][0].name,
            squadron_id=places[a.grid_id][1].id,
            squadron_name=places[a.grid_id][1].name,
            started_at=a.started_at,
            ended_at=a.ended_at,
            open=a.ended_at is None,
            nearest_lead_m=a.nearest_lead_m,
            acknowledged_by=a.acknowledged_by,
            acknowledged_at=a.acknowledged_at,
        )
        for a in rows
    ]


async def list_alerts(session: AsyncSession, only_open: bool | None, limit: int) -> AlertList:
    return AlertList(
        items=await alerts_out(session, await presence_service.alerts(session, only_open, limit))
    )
