"""Everyone's latest position and status in memory, for questions asked many times a minute
("who is free and near?") that must not read hundreds of rows each time.

The roster loads the stored states once, then follows the tracking events every process
publishes after its commits (positions about once a second per person, every status change),
so it is as fresh as the live map. It answers suggestions only: flows that act on a person
(dispatching them) check the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from patrolgrid.core.bus import Bus, Subscription
from patrolgrid.core.db import Database
from patrolgrid.org.models import Person
from patrolgrid.tracking.ingest import TOPIC
from patrolgrid.tracking.models import PersonState

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Whereabouts:
    status: str
    lon: float | None
    lat: float | None
    ts: dt.datetime | None


class LiveRoster:
    def __init__(self, db: Database, bus: Bus) -> None:
        self.db = db
        self.bus = bus
        self.people: dict[int, Whereabouts] = {}
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Subscribe first, then load: an event in between is applied on top of the load.
        self._subscription = await self.bus.subscribe([TOPIC])
        await self.reload()
        self._task = asyncio.create_task(self._follow(), name="live-roster")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._subscription is not None:
            await self._subscription.close()

    async def reload(self) -> None:
        async with self.db.sessions() as session:
            rows = await session.execute(
                select(
                    PersonState.person_id,
                    PersonState.status,
                    PersonState.lon,
                    PersonState.lat,
                    PersonState.ts,
                )
                .join(Person, Person.id == PersonState.person_id)
                .where(Person.active.is_(True))
            )
            self.people = {
                pid: Whereabouts(status, lon, lat, ts) for pid, status, lon, lat, ts in rows
            }

    def with_status(
        self, statuses: tuple[str, ...], reported_since: dt.datetime
    ) -> list[tuple[int, float, float]]:
        """(person, lon, lat) of everyone in one of `statuses` who reported since then."""
        return [
            (pid, w.lon, w.lat)
            for pid, w in self.people.items()
            if w.status in statuses
            and w.lon is not None
            and w.lat is not None
            and w.ts is not None
            and w.ts >= reported_since
        ]

    def apply(self, name: str, data: dict[str, Any]) -> None:
        person_id = data.get("person_id")
        if not isinstance(person_id, int):
            return
        known = self.people.get(person_id)
        if name == "position":
            ts = dt.datetime.fromisoformat(str(data["ts"]))
            if known is not None and known.ts is not None and ts < known.ts:
                return  # a late report: the map does not move back either
            status = str(data.get("status") or (known.status if known else "on_duty"))
            self.people[person_id] = Whereabouts(status, float(data["lon"]), float(data["lat"]), ts)
        elif name == "status":
            if known is None:
                self.people[person_id] = Whereabouts(str(data["status"]), None, None, None)
            else:
                known.status = str(data["status"])

    async def _follow(self) -> None:
        assert self._subscription is not None
        async for event in self._subscription:
            try:
                self.apply(event.name, event.data)
            except (KeyError, TypeError, ValueError):
                log.exception("live roster skipped a malformed %s event", event.name)
