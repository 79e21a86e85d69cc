"""Tracking workflows: ingest reports, change statuses, manage devices, sweep silent devices.

`Tracking` is the per-process runtime (device directory, rate limiter, group-commit writer,
throttled publisher, offline sweeper) the views and the WebSocket handlers use.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.config import Settings
from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.auth import flows as auth_flows
from patrolgrid.core.auth.principal import Principal
from patrolgrid.core.bus import Bus, Event
from patrolgrid.core.db import Database, utcnow
from patrolgrid.core.errors import AppError, field_error, not_found
from patrolgrid.org import service as org_service
from patrolgrid.tracking import service
from patrolgrid.tracking.ingest import (
    TOPIC,
    DeviceDirectory,
    LivePublisher,
    PositionWriter,
    RateLimiter,
    Report,
    Stored,
    position_payload,
)
from patrolgrid.tracking.models import (
    SELF_SET,
    Alarm,
    Device,
    DeviceIn,
    DeviceKind,
    DeviceUpdate,
    PersonState,
    SelfDeviceIn,
    Status,
)
from patrolgrid.tracking.protocol import RawReport

log = logging.getLogger(__name__)
DEVICE_NOT_FOUND = not_found("设备", "Device", "tracking.device_not_found")


class Tracking:
    def __init__(self, db: Database, bus: Bus, settings: Settings) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.directory = DeviceDirectory(db)
        self.limiter = RateLimiter()
        self.publisher = LivePublisher(bus)
        self.writer = PositionWriter(db, self._after_commit)
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.writer.start()
        self.publisher.start()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="offline-sweeper")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.writer.stop()
        await self.publisher.stop()

    # ---- ingest -----------------------------------------------------------------------------

    async def ingest(self, raws: list[RawReport]) -> None:
        """Store reports from devices; returns once they are committed."""
        reports = []
        for raw in raws:
            device_id, person_id = await self.directory.resolve(raw.identifier)
            reports.append(Report(raw, device_id, person_id))
        for device_id in {r.device_id for r in reports}:
            self.limiter.take(device_id, sum(1 for r in reports if r.device_id == device_id))
        await self.writer.write(reports)

    async def _after_commit(self, stored: list[Stored], alarms: list[Alarm]) -> None:
        for change in stored:
            if change.previous_status is not None:
                await self._publish_status(change.person_id, change.status, change.previous_status)
            if change.report is not None:
                await self.publisher.position(
                    change.person_id,
                    position_payload(change.person_id, change.report.raw, change.status),
                )
        for alarm in alarms:
            if alarm.kind == "sos":
                await self._enter_sos(alarm)
            await self.bus.publish(
                Event(
                    TOPIC,
                    "alarm",
                    {
                        "id": alarm.id,
                        "person_id": alarm.person_id,
                        "kind": alarm.kind,
                        "lon": alarm.lon,
                        "lat": alarm.lat,
                        "ts": alarm.ts.isoformat(),
                    },
                    critical=True,
                )
            )

    async def _enter_sos(self, alarm: Alarm) -> None:
        """An SOS turns the person's status to `sos` until the alarm is acknowledged."""
        async with self.db.sessions() as session:
            state = await service.get_state(session, alarm.person_id)
            previous = state.status if state else Status.off_duty.value
            if previous == Status.sos.value:
                return
            stored = await session.get(Alarm, alarm.id)
            if stored is not None:
                stored.previous_status = previous
            await self.set_status(session, alarm.person_id, Status.sos, audit.SYSTEM, allowed=None)

    async def _publish_status(self, person_id: int, status: str, previous: str | None) -> None:
        data = {
            "person_id": person_id,
            "status": status,
            "previous": previous,
            "at": utcnow().isoformat(),
        }
        await self.bus.publish(Event(TOPIC, "status", data, key=f"status:{person_id}"))
        # The person's own phone hears it too (dispatch, SOS and the sweeper change statuses).
        user_id = await self.directory.user_of_person(person_id)
        if user_id is not None:
            await self.bus.publish(
                Event(f"user.{user_id}", "tracking.status", data, key="own-status")
            )

    # ---- status -----------------------------------------------------------------------------

    async def set_status(
        self,
        session: AsyncSession,
        person_id: int,
        status: Status,
        actor: Actor,
        allowed: frozenset[Status] | None = SELF_SET,
    ) -> PersonState:
        """Change a person's status. `allowed` limits what this caller may set (officers set
        only duty statuses; dispatch and SOS flows pass their own)."""
        if allowed is not None and status not in allowed:
            raise AppError(
                409,
                "tracking.status_not_allowed",
                "不能手动设置该状态",
                "This status cannot be set by hand",
                {"status": status.value},
            )
        state = await service.get_state(session, person_id)
        now = utcnow()
        previous = state.status if state else Status.off_duty.value
        if state is None:
            state = PersonState(person_id=person_id, status=status.value, status_changed_at=now)
            session.add(state)
        elif state.status != status.value:
            state.status = status.value
            state.status_before_offline = None
            state.status_changed_at = now
        audit.record(
            session,
            actor,
            "tracking.status_changed",
            "person",
            person_id,
            before={"status": previous},
            after={"status": status.value},
        )
        await session.commit()
        if previous != status.value:
            await self._publish_status(person_id, status.value, previous)
        return state

    # ---- offline sweeper --------------------------------------------------------------------

    async def sweep_offline(self) -> list[int]:
        """On-duty people silent for longer than the offline limit become `offline`."""
        limit = dt.timedelta(seconds=self.settings.tracking_offline_after_seconds)
        now = utcnow()
        async with self.db.sessions() as session:
            changed = []
            for state in await service.overdue(session, now - limit):
                changed.append((state.person_id, state.status))
                state.status_before_offline = state.status
                state.status = Status.offline.value
                state.status_changed_at = now
            if changed:
                audit.record(
                    session,
                    audit.SYSTEM,
                    "tracking.went_offline",
                    "person",
                    None,
                    after={"people": [pid for pid, _ in changed]},
                )
            await session.commit()
        for person_id, previous in changed:
            await self._publish_status(person_id, Status.offline.value, previous)
        return [pid for pid, _ in changed]

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tracking_sweep_seconds)
            try:
                await self.sweep_offline()
            except Exception:
                log.exception("offline sweep failed")

    # ---- devices ----------------------------------------------------------------------------

    async def create_device(self, session: AsyncSession, data: DeviceIn, actor: Actor) -> Device:
        await _require_person(session, data.person_id)
        device = Device(
            identifier=data.identifier,
            kind=data.kind.value,
            name=data.name,
            person_id=data.person_id,
            enabled=data.enabled,
        )
        session.add(device)
        try:
            await session.flush()
        except IntegrityError as exc:
            await session.rollback()
            raise _identifier_taken() from exc
        audit.record(session, actor, "device.created", "device", device.id, after=_snap(device))
        await session.commit()
        self.directory.invalidate()
        return device

    async def update_device(
        self, session: AsyncSession, device_id: int, data: DeviceUpdate, actor: Actor
    ) -> Device:
        device = await service.get_device(session, device_id)
        if device is None:
            raise DEVICE_NOT_FOUND
        if data.person_id is not None:
            await _require_person(session, data.person_id)
        before = _snap(device)
        for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
            setattr(device, field, value)
        audit.record(session, actor, "device.updated", "device", device.id, before, _snap(device))
        await session.commit()
        self.directory.invalidate()
        return device

    async def delete_device(self, session: AsyncSession, device_id: int, actor: Actor) -> None:
        device = await service.get_device(session, device_id)
        if device is None:
            raise DEVICE_NOT_FOUND
        audit.record(session, actor, "device.deleted", "device", device.id, before=_snap(device))
        await session.delete(device)
        await session.commit()
        self.directory.invalidate()

    async def register_own_device(
        self, session: AsyncSession, principal: Principal, data: SelfDeviceIn
    ) -> tuple[Device, str]:
        """The officer app registers the phone it runs on and gets a token for it."""
        person = await org_service.person_for_user(session, principal.user_id)
        if person is None:
            raise AppError(
                409,
                "tracking.no_person",
                "该账号未关联人员,不能登记设备",
                "This account is not linked to a person",
            )
        device = await service.device_by_identifier(session, data.identifier)
        if device is not None and device.person_id != person.id:
            if device.kind != DeviceKind.app.value:
                raise _identifier_taken()
            # A shared phone: the app on it now belongs to whoever signed in last.
            before = _snap(device)
            device.person_id = person.id
            audit.record(
                session,
                principal.actor,
                "device.rebound",
                "device",
                device.id,
                before,
                _snap(device),
            )
        if device is None:
            device = Device(
                identifier=data.identifier,
                kind=DeviceKind.app.value,
                name=data.name,
                person_id=person.id,
                enabled=True,
            )
            session.add(device)
            await session.flush()
            audit.record(
                session,
                principal.actor,
                "device.registered",
                "device",
                device.id,
                after=_snap(device),
            )
        old_token = device.token_id
        await session.commit()
        row, token = await auth_flows.create_api_token(
            session,
            self.settings,
            principal.user_id,
            f"device {data.identifier}",
            None,
            principal.actor,
        )
        device.token_id = row.id
        await session.commit()
        if old_token is not None:
            with contextlib.suppress(AppError):
                await auth_flows.revoke_api_token(session, None, old_token, principal.actor)
        self.directory.invalidate()
        return device, token

    async def acknowledge_alarm(self, session: AsyncSession, alarm_id: int, actor: Actor) -> Alarm:
        alarm = await session.get(Alarm, alarm_id)
        if alarm is None:
            raise not_found("告警", "Alarm", "tracking.alarm_not_found")
        if alarm.acknowledged_at is None:
            alarm.acknowledged_at = utcnow()
            alarm.acknowledged_by = actor.name
            audit.record(
                session, actor, "alarm.acknowledged", "alarm", alarm.id, after={"by": actor.name}
            )
            await session.commit()
            state = await service.get_state(session, alarm.person_id)
            if alarm.kind == "sos" and state is not None and state.status == Status.sos.value:
                restored = Status(alarm.previous_status or Status.on_duty.value)
                await self.set_status(session, alarm.person_id, restored, actor, allowed=None)
            await self.bus.publish(
                Event(
                    TOPIC,
                    "alarm.acknowledged",
                    {
                        "id": alarm.id,
                        "person_id": alarm.person_id,
                        "by": actor.name,
                    },
                    critical=True,
                )
            )
        return alarm


def _snap(device: Device) -> dict[str, Any]:
    return {
        "identifier": device.identifier,
        "kind": device.kind,
        "name": device.name,
        "person_id": device.person_id,
        "enabled": device.enabled,
    }


def _identifier_taken() -> AppError:
    return AppError(
        409,
        "tracking.identifier_taken",
        "设备标识已被使用",
        "This device identifier is already registered",
    )


async def _require_person(session: AsyncSession, person_id: int) -> None:
    if await org_service.get_person(session, person_id) is None:
        raise field_error("org.person_not_found", "人员不存在", "No such person", "person_id")
