"""The event bus: flows publish typed events after they commit; the realtime hub (and later
workers) subscribe. Two backends with one contract: in-memory for a single process, Redis
pub/sub for several processes or nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from patrolgrid.core.jsonutil import dumps, loads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Something that happened. `key` names the state it describes: a newer event with the
    same key supersedes an older one still waiting for a slow client. `critical` events
    (alarms) are never dropped."""

    topic: str
    name: str
    data: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    critical: bool = False

    def encode(self) -> bytes:
        return dumps(
            {
                "topic": self.topic,
                "name": self.name,
                "data": self.data,
                "key": self.key,
                "critical": self.critical,
            }
        )

    @classmethod
    def decode(cls, raw: bytes | str) -> Event:
        body = loads(raw)
        return cls(
            topic=body["topic"],
            name=body["name"],
            data=body.get("data") or {},
            key=body.get("key"),
            critical=bool(body.get("critical")),
        )


class Subscription(ABC):
    """An async iterator of events on the topics asked for (None: every topic)."""

    def __init__(self, topics: Iterable[str] | None) -> None:
        self.topics = None if topics is None else frozenset(topics)

    def wants(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics

    @abstractmethod
    async def get(self) -> Event: ...

    @abstractmethod
    async def close(self) -> None: ...

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self.get()


class Bus(ABC):
    backend: str

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect, where the backend has something to connect to."""

    @abstractmethod
    async def publish(self, event: Event) -> None: ...

    @abstractmethod
    async def subscribe(self, topics: Iterable[str] | None = None) -> Subscription:
        """Subscribe; events published after this returns are delivered."""

    @abstractmethod
    async def close(self) -> None: ...


# ---- in-memory ----------------------------------------------------------------------------


class _MemorySubscription(Subscription):
    def __init__(self, bus: MemoryBus, topics: Iterable[str] | None) -> None:
        super().__init__(topics)
        self._bus = bus
        # Unbounded: subscribers are our own consumers (the hub) that drain it at once;
        # bounding per client happens in the hub.
        self.queue: asyncio.Queue[Event] = asyncio.Queue()

    async def get(self) -> Event:
        return await self.queue.get()

    async def close(self) -> None:
        self._bus._subscriptions.discard(self)


class MemoryBus(Bus):
    backend = "memory"

    def __init__(self) -> None:
        self._subscriptions: set[_MemorySubscription] = set()

    async def publish(self, event: Event) -> None:
        for sub in list(self._subscriptions):
            if sub.wants(event.topic):
                sub.queue.put_nowait(event)

    async def subscribe(self, topics: Iterable[str] | None = None) -> Subscription:
        sub = _MemorySubscription(self, topics)
        self._subscriptions.add(sub)
        return sub

    async def close(self) -> None:
        self._subscriptions.clear()


# ---- Redis ----------------------------------------------------------------------------------


class _RedisSubscription(Subscription):
    def __init__(self, pubsub: Any, prefix: str, topics: Iterable[str] | None) -> None:
        super().__init__(topics)
        self._pubsub = pubsub
        self._prefix = prefix

    async def get(self) -> Event:
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is None or message.get("type") not in ("message", "pmessage"):
                continue
            try:
                event = Event.decode(message["data"])
            except (ValueError, KeyError, TypeError):
                log.warning("ignoring malformed bus message on %s", message.get("channel"))
                continue
            if self.wants(event.topic):
                return event

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()


class RedisBus(Bus):
    backend = "redis"

    def __init__(self, url: str, prefix: str = "patrolgrid:") -> None:
        self._url = url
        self._prefix = prefix
        self._redis: aioredis.Redis | None = None

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            raise RuntimeError("RedisBus used before start()")
        return self._redis

    async def start(self) -> None:
        self._redis = aioredis.from_url(self._url)
        await self._redis.ping()

    async def publish(self, event: Event) -> None:
        await self.redis.publish(self._prefix + event.topic, event.encode())

    async def subscribe(self, topics: Iterable[str] | None = None) -> Subscription:
        pubsub = self.redis.pubsub()
        topics = None if topics is None else sorted(set(topics))
        if topics is None:
            await pubsub.psubscribe(self._prefix + "*")
            pending = 1
        else:
            channels = [self._prefix + t for t in topics] or [self._prefix + "-none-"]
            await pubsub.subscribe(*channels)
            pending = len(channels)
        # Wait for the server's confirmations so that the subscription is live on return.
        while pending:
            message = await pubsub.get_message(timeout=5.0)
            if message is None:
                raise ConnectionError("Redis did not confirm the subscription")
            if message["type"] in ("subscribe", "psubscribe"):
                pending -= 1
        return _RedisSubscription(pubsub, self._prefix, topics)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def create_bus(url: str, prefix: str = "patrolgrid:") -> Bus:
    if url.startswith("memory://"):
        return MemoryBus()
    return RedisBus(url, prefix=prefix)
