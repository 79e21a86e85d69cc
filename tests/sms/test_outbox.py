"""The SMS outbox: queued in the caller's transaction, deduplicated, delivered once even by two
senders, retried with back-off, given up after the last attempt."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select, update

from patrolgrid.core.db import Database
from patrolgrid.sms import flows
from patrolgrid.sms.models import SmsMessage, SmsStatus
from tests.conftest import Running


class Gateway:
    """A provider at the edge of the world: fails the first `failures` sends."""

    name = "test-gateway"

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str]] = []

    async def send(self, to_phone: str, body: str) -> str:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("gateway unreachable")
        self.sent.append((to_phone, body))
        return f"ref-{len(self.sent)}"


async def _queue(db: Database, key: str, rollback: bool = False) -> None:
    async with db.sessions() as session:
        await flows.enqueue(session, "13800138000", "测试短信", "test", key)
        if rollback:
            await session.rollback()
        else:
            await session.commit()


async def _rows(db: Database) -> list[SmsMessage]:
    async with db.sessions() as session:
        return list(await session.scalars(select(SmsMessage).order_by(SmsMessage.id)))


async def test_queued_once_and_only_when_committed(running: Running) -> None:
    await _queue(running.db, "k1")
    await _queue(running.db, "k1")  # asked twice: one message
    await _queue(running.db, "k2", rollback=True)  # the change was rolled back: no message
    (row,) = await _rows(running.db)
    assert row.dedupe_key == "k1" and row.status == SmsStatus.pending


async def test_two_senders_deliver_once(running: Running) -> None:
    await _queue(running.db, "k1")
    gateway = Gateway()
    first, second = flows.SmsSender(running.db, gateway), flows.SmsSender(running.db, gateway)
    await asyncio.gather(first.deliver_due(), second.deliver_due())
    assert gateway.sent == [("13800138000", "测试短信")]
    (row,) = await _rows(running.db)
    assert row.status == SmsStatus.sent and row.provider_ref == "ref-1" and row.attempts == 1


async def test_failures_are_retried_then_given_up(running: Running) -> None:
    await _queue(running.db, "k1")
    gateway = Gateway(failures=10)
    sender = flows.SmsSender(running.db, gateway)
    for attempt in range(1, flows.MAX_ATTEMPTS + 1):
        await sender.deliver_due()
        (row,) = await _rows(running.db)
        assert row.attempts == attempt and row.error == "gateway unreachable"
        async with running.db.sessions() as session:  # skip the back-off wait
            await session.execute(
                update(SmsMessage).values(
                    next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
                )
            )
            await session.commit()
    (row,) = await _rows(running.db)
    assert row.status == SmsStatus.failed and gateway.sent == []
