"""One contract, run against every bus backend: in-memory and Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from patrolgrid.core.bus import Bus, Event, MemoryBus, RedisBus
from tests.conftest import REDIS_URL, service_unavailable


async def _redis_bus() -> RedisBus:
    try:
        probe = aioredis.from_url(REDIS_URL, socket_connect_timeout=2)
        await probe.ping()
        await probe.aclose()
    except (OSError, aioredis.ConnectionError) as exc:
        service_unavailable("Redis at " + REDIS_URL, exc)
    # A prefix of our own per test, so parallel runs never hear each other.
    return RedisBus(REDIS_URL, prefix=f"pgtest-{uuid.uuid4().hex[:8]}:")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    backend: Bus = MemoryBus() if request.param == "memory" else await _redis_bus()
    await backend.start()
    yield backend
    await backend.close()


async def _take(sub, n: int) -> list[Event]:  # type: ignore[no-untyped-def]
    return [await asyncio.wait_for(sub.get(), 5) for _ in range(n)]


async def test_published_events_reach_a_subscriber_in_order(bus: Bus) -> None:
    sub = await bus.subscribe(["org"])
    for i in range(50):
        await bus.publish(Event("org", "person.updated", {"i": i}, key=f"person:{i % 3}"))
    received = await _take(sub, 50)
    assert [e.data["i"] for e in received] == list(range(50))
    assert received[0] == Event("org", "person.updated", {"i": 0}, key="person:0")
    await sub.close()


async def test_subscribers_only_hear_their_topics(bus: Bus) -> None:
    org = await bus.subscribe(["org"])
    everything = await bus.subscribe(None)
    await bus.publish(Event("tracking", "position", {"p": 1}))
    await bus.publish(Event("org", "person.created", {"p": 2}))
    assert [e.data["p"] for e in await _take(org, 1)] == [2]
    assert [e.data["p"] for e in await _take(everything, 2)] == [1, 2]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(org.get(), 0.2)


async def test_every_subscriber_gets_every_event(bus: Bus) -> None:
    subs = [await bus.subscribe(["alarm"]) for _ in range(3)]
    await bus.publish(Event("alarm", "sos.raised", {"id": 7}, critical=True))
    for sub in subs:
        (event,) = await _take(sub, 1)
        assert event.critical and event.data == {"id": 7}


async def test_a_closed_subscription_hears_nothing_more(bus: Bus) -> None:
    sub = await bus.subscribe(["org"])
    other = await bus.subscribe(["org"])
    await sub.close()
    await bus.publish(Event("org", "x"))
    assert [e.name for e in await _take(other, 1)] == ["x"]


async def test_unicode_and_nested_payloads_survive(bus: Bus) -> None:
    sub = await bus.subscribe(["org"])
    data = {"name": "群益广场", "loc": [108.69, 30.95], "tags": {"急": True}, "n": None}
    await bus.publish(Event("org", "note", data))
    (event,) = await _take(sub, 1)
    assert event.data == data


@pytest.mark.redis
async def test_two_buses_on_one_redis_talk_to_each_other() -> None:
    """What several processes rely on: a second connection hears the first one's events."""
    bus = await _redis_bus()
    second = RedisBus(REDIS_URL, prefix=bus._prefix)
    await bus.start()
    await second.start()
    try:
        sub = await second.subscribe(["org"])
        await bus.publish(Event("org", "from-first", {"ok": 1}))
        (event,) = await _take(sub, 1)
        assert event.name == "from-first"
    finally:
        await second.close()
        await bus.close()
