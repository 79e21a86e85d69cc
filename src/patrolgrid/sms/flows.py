"""Queueing and delivering text messages.

`enqueue` adds a message inside the caller's transaction (so a rolled-back change sends
nothing). `SmsSender` delivers what is due: each message is claimed with a conditional update
(several processes never send one twice), handed to the provider, and marked sent, or retried
later with a growing delay, and marked failed after the last attempt.

Providers: `log` (the default) records the message as sent in this table and the log, which is
what a demo or a brigade without an SMS contract needs; real gateways (Aliyun, Tencent Cloud)
plug in behind the same `SmsProvider` interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core.db import Database, utcnow
from patrolgrid.sms.models import SmsMessage, SmsStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 50


class SmsProvider(Protocol):
    name: str

    async def send(self, to_phone: str, body: str) -> str:
        """Deliver one message; returns the provider's reference, raises on failure."""


class LogProvider:
    """Records the message (this table and the log) instead of sending it."""

    name = "log"

    async def send(self, to_phone: str, body: str) -> str:
        log.info("SMS to %s: %s", to_phone, body)
        return "logged"


async def enqueue(
    session: AsyncSession, to_phone: str, body: str, purpose: str, dedupe_key: str
) -> SmsMessage | None:
    """Queue a message in the caller's transaction; None if this key was queued before.

    The key is also unique in the table: two transactions queueing the same key at the same
    moment cannot both commit (the callers claim their work first, so this does not happen in
    practice; a savepoint is not used because SQLite's driver would commit it on release)."""
    existing = await session.scalar(select(SmsMessage).where(SmsMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return None
    message = SmsMessage(to_phone=to_phone, body=body, purpose=purpose, dedupe_key=dedupe_key)
    session.add(message)
    await session.flush()
    return message


async def list_messages(
    session: AsyncSession, purpose: str | None, limit: int, offset: int
) -> tuple[list[SmsMessage], int]:
    query = select(SmsMessage)
    counted = select(func.count(SmsMessage.id))
    if purpose:
        query = query.where(SmsMessage.purpose == purpose)
        counted = counted.where(SmsMessage.purpose == purpose)
    total = int(await session.scalar(counted) or 0)
    rows = await session.scalars(
        query.order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


class SmsSender:
    def __init__(self, db: Database, provider: SmsProvider, interval: float = 2.0) -> None:
        self.db = db
        self.provider = provider
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sms-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:
                log.exception("SMS delivery round failed")
            await asyncio.sleep(self.interval)

    async def deliver_due(self) -> int:
        now = utcnow()
        sent = 0
        async with self.db.sessions() as session:
            due = list(
                await session.scalars(
                    select(SmsMessage.id)
                    .where(
                        SmsMessage.status == SmsStatus.pending.value,
                        SmsMessage.next_attempt_at <= now,
                    )
                    .order_by(SmsMessage.id)
                    .limit(BATCH)
                )
            )
        for message_id in due:
            sent += await self._deliver(message_id, now)
        return sent

    async def _deliver(self, message_id: int, now: dt.datetime) -> int:
        async with self.db.sessions() as session:
            # Claim: push the next attempt out so no other sender picks it meanwhile.
            claimed = await session.execute(
                update(SmsMessage)
                .where(
                    SmsMessage.id == message_id,
                    SmsMessage.status == SmsStatus.pending.value,
                    SmsMessage.next_attempt_at <= now,
                )
                .values(
                    next_attempt_at=now + dt.timedelta(minutes=5),
                    attempts=SmsMessage.attempts + 1,
                )
            )
            await session.commit()
            if getattr(claimed, "rowcount", 0) != 1:
                return 0
            message = await session.get(SmsMessage, message_id)
            assert message is not None
            try:
                reference = await self.provider.send(message.to_phone, message.body)
            except Exception as exc:  # the gateway's failure is the message's state, not ours
                message.error = str(exc)[:500]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = SmsStatus.failed.value
                else:
                    message.next_attempt_at = utcnow() + dt.timedelta(
                        seconds=10 * 3 ** (message.attempts - 1)
                    )
                await session.commit()
                return 0
            message.status = SmsStatus.sent.value
            message.provider = self.provider.name
            message.provider_ref = reference
            message.sent_at = utcnow()
            message.error = None
            await session.commit()
            return 1
