"""The WebSocket hub: authentication, topics, bounded per-client queues, coalescing, critical
messages, heartbeats, and a slow client that does not delay a fast one (over real sockets)."""

from __future__ import annotations

import asyncio
import collections
import os
import socket
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from patrolgrid.app import create_app
from patrolgrid.config import Settings
from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.core.auth import flows as auth_flows
from patrolgrid.core.auth.models import UserCreate
from patrolgrid.core.bus import Event
from patrolgrid.core.realtime import Hub, OutboundQueue, batch_frame

# ---- the queue on its own -------------------------------------------------------------------


async def _drain(queue: OutboundQueue) -> list[str]:
    out = []
    while len(queue):
        out.append(await queue.get())
    return out


async def test_queue_coalesces_superseded_messages_in_place() -> None:
    queue = OutboundQueue(10)
    queue.put("a1", key="a")
    queue.put("b1", key="b")
    queue.put("a2", key="a")
    queue.put("x")
    assert await _drain(queue) == ["a2", "b1", "x"]
    assert queue.coalesced == 1


async def test_full_queue_drops_oldest_non_critical_and_says_so() -> None:
    queue = OutboundQueue(3)
    queue.put("alarm", critical=True)
    queue.put("m1")
    queue.put("m2")
    queue.put("m3")  # full: m1 goes
    first = await queue.get()
    assert orjson.loads(first) == {"type": "lagged", "dropped": 1}
    assert await _drain(queue) == ["alarm", "m2", "m3"]


async def test_critical_messages_are_never_dropped() -> None:
    queue = OutboundQueue(2)
    for i in range(5):
        queue.put(f"sos{i}", critical=True)
    queue.put("chatter")  # nothing non-critical to evict: the chatter is the one dropped
    messages = await _drain(queue)
    assert [m for m in messages if m.startswith("sos")] == [f"sos{i}" for i in range(5)]
    assert "chatter" not in messages


async def test_coalescing_keeps_a_critical_flag() -> None:
    queue = OutboundQueue(2)
    queue.put("sos-v1", key="sos:1", critical=True)
    queue.put("sos-v2", key="sos:1")  # an update of the same alarm stays undroppable
    queue.put("m1")
    queue.put("m2")
    assert "sos-v2" in await _drain(queue)


async def test_take_gives_queued_messages_in_order_after_a_lagged_notice() -> None:
    queue = OutboundQueue(3)
    for text in ("m1", "m2", "m3", "m4"):  # full: m1 goes
        queue.put(text)
    lagged = orjson.dumps({"type": "lagged", "dropped": 1}).decode()
    assert queue.take() == [lagged, "m2", "m3", "m4"]
    queue.put("m5")
    assert queue.take() == ["m5"]  # told once
    assert len(queue) == 0


async def test_take_keeps_frames_within_their_limits() -> None:
    queue = OutboundQueue(100)
    for i in range(10):
        queue.put(f"m{i}")
    assert queue.take(max_messages=4) == ["m0", "m1", "m2", "m3"]
    assert queue.take(max_chars=5) == ["m4", "m5"]  # 2 + 2 chars; a third would pass 5
    queue.put("x" * 50)
    assert queue.take(max_chars=5) == ["m6", "m7"]
    assert queue.take(max_chars=5) == ["m8", "m9"]
    assert queue.take(max_chars=5) == ["x" * 50]  # alone, even over the limit


async def test_critical_or_half_full_queue_is_urgent() -> None:
    queue = OutboundQueue(8)
    queue.put("m1")
    assert not queue.urgent
    queue.put("sos", key="alarm:1", critical=True)
    assert queue.urgent
    queue.take()
    assert not queue.urgent
    queue.put("pos", key="p:1")
    queue.put("sos2", key="p:1", critical=True)  # an update made critical
    assert queue.urgent
    queue.take()
    for i in range(4):
        assert not queue.urgent
        queue.put(f"m{i}")
    assert queue.urgent  # half full: waiting for the window could drop messages
    waiting = asyncio.create_task(queue.wait_urgent())
    await asyncio.sleep(0)
    assert waiting.done()


def test_a_batch_frame_holds_the_messages_as_they_were_encoded() -> None:
    one = orjson.dumps({"type": "event", "n": 1}).decode()
    two = orjson.dumps({"type": "event", "n": 2}).decode()
    assert batch_frame([one]) == one
    assert orjson.loads(batch_frame([one, two])) == {
        "type": "batch",
        "messages": [{"type": "event", "n": 1}, {"type": "event", "n": 2}],
    }


# ---- over real sockets ----------------------------------------------------------------------


@dataclass
class Server:
    url: str
    hub: Hub
    app: object

    async def token_for(self, username: str, role: Role) -> str:
        db = self.app.state.db  # type: ignore[attr-defined]
        async with db.sessions() as session:
            user = await auth_flows.create_user(
                session,
                UserCreate(
                    username=username,
                    display_name=username,
                    role=role,
                    password="password-123",
                ),
                SYSTEM,
            )
            _, token = await auth_flows.create_api_token(
                session, self.app.state.settings, user.id, "test", None, SYSTEM
            )  # type: ignore[attr-defined]
        return token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Server]:
    settings.ws_queue_size = 64
    app = create_app(settings)
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws_ping_interval=None
    )
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        await asyncio.sleep(0.02)
    yield Server(url=f"ws://127.0.0.1:{port}/ws", hub=app.state.hub, app=app)
    uv.should_exit = True
    await task


def unpack(frame: str | bytes) -> list[dict]:  # type: ignore[type-arg]
    """The messages of one frame: itself, or each message of a batch frame."""
    message = orjson.loads(frame)
    if message["type"] == "batch":
        assert len(message["messages"]) > 1  # a lone message is sent as itself
        return message["messages"]  # type: ignore[no-any-return]
    return [message]


# Messages already received in a batch frame but not yet read, per connection.
_unread: weakref.WeakKeyDictionary[ClientConnection, collections.deque[dict]] = (  # type: ignore[type-arg]
    weakref.WeakKeyDictionary()
)


async def _recv(ws: ClientConnection, within: float = 5) -> dict:  # type: ignore[type-arg]
    """The next message, whether it came alone or in a batch frame."""
    unread = _unread.setdefault(ws, collections.deque())
    while not unread:
        unread.extend(unpack(await asyncio.wait_for(ws.recv(), within)))
    return unread.popleft()


async def _next(ws: ClientConnection, kind: str, within: float = 5) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + within
    while True:
        message = await _recv(ws, deadline - time.monotonic())
        if message["type"] == kind:
            return message


async def _subscribe(ws: ClientConnection, *topics: str) -> None:
    await ws.send(orjson.dumps({"type": "subscribe", "topics": list(topics)}).decode())
    assert (await _next(ws, "subscribed"))["topics"] == sorted(topics)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_handshake_without_credentials_is_refused_with_the_envelope(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(server.url):
            pass
    assert refused.value.response.status_code == 401
    assert orjson.loads(refused.value.response.body)["code"] == "auth.required"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_cookie_from_another_site_is_refused(server: Server) -> None:
    headers = {"Cookie": "pg_session=whatever", "Origin": "http://evil.example"}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(server.url, additional_headers=headers):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_hello_topics_permissions_and_heartbeat(server: Server) -> None:
    token = await server.token_for("wang", Role.officer)
    async with connect(f"{server.url}?token={token}") as ws:
        hello = await _next(ws, "hello")
        assert hello["user"]["username"] == "wang"
        assert "org" not in hello["topics"]  # officers may not read the people list
        await ws.send(orjson.dumps({"type": "subscribe", "topics": ["org", "nope"]}).decode())
        error = await _next(ws, "error")
        assert error["code"] == "ws.topic_refused"
        assert error["details"]["topics"] == ["org", "nope"]
        await ws.send("not json")
        assert (await _next(ws, "error"))["code"] == "ws.bad_message"
        assert (await _next(ws, "ping", within=3))["t"] > 0
        # Personal events reach the user without subscribing.
        await server.hub.bus.publish(Event(f"user.{hello['user']['id']}", "dispatch", {"n": 1}))
        assert (await _next(ws, "event"))["data"] == {"n": 1}


def _small_buffer_socket(url: str) -> socket.socket:
    """A client socket that stops Linux from auto-growing its receive buffer to 32 MB, so a
    client that does not read pushes back on the server within a few megabytes."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    sock.connect((host, int(port)))
    return sock


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_slow_client_does_not_delay_a_fast_one(server: Server) -> None:
    fast_token = await server.token_for("fast", Role.commander)
    slow_token = await server.token_for("slow", Role.commander)
    bus = server.hub.bus
    total = 3000  # about 12 MB: far more than the slow client's socket buffers hold
    async with (
        connect(f"{server.url}?token={fast_token}") as fast,
        connect(
            f"{server.url}?token={slow_token}",
            max_queue=1,
            close_timeout=0.2,
            sock=_small_buffer_socket(server.url),
        ) as slow,
    ):
        await _subscribe(fast, "org")
        await _subscribe(slow, "org")
        started = time.monotonic()
        received = 0
        lags: list[float] = []
        fast_lagged = False

        async def reader() -> None:
            nonlocal received, fast_lagged
            while received < total + 1:
                message = await _recv(fast, 30)
                fast_lagged |= message["type"] == "lagged"
                if message.get("event") in ("bulk", "sos"):
                    received += 1
                    lags.append(time.time() - message["data"]["sent"])

        reading = asyncio.create_task(reader())
        for i in range(total):
            await bus.publish(
                Event("org", "bulk", {"i": i, "pad": os.urandom(2000).hex(), "sent": time.time()})
            )
            if i == total // 2:
                await bus.publish(
                    Event("org", "sos", {"id": 1, "sent": time.time()}, critical=True)
                )
            await bus.publish(Event("org", "position", {"i": i}, key="person:1"))
            if i % 20 == 0:
                await asyncio.sleep(0.001)  # a steady stream, as real traffic is
        # The fast client gets every message, promptly, while the slow one reads nothing.
        await asyncio.wait_for(reading, 30)
        assert not fast_lagged
        lags.sort()
        assert lags[int(len(lags) * 0.99)] < 1.0
        fast_seconds = time.monotonic() - started
        slow_conn = next(c for c in server.hub.connections if c.principal.username == "slow")
        assert slow_conn.queue.dropped_total > 0  # the slow client really fell behind
        assert len(slow_conn.queue) <= 64 + 1  # and its queue stayed bounded (+ the alarm)

        # Now the slow client reads: it is told it lagged, gets the alarm and the latest
        # position, not a backlog of every one.
        seen_sos = False
        lagged = False
        last_position = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                message = await _recv(slow, 1)
            except TimeoutError:
                break
            lagged |= message["type"] == "lagged"
            if message.get("event") == "sos":
                seen_sos = True
            if message.get("event") == "position":
                last_position = message["data"]["i"]
            if seen_sos and last_position == total - 1:
                break
        assert lagged and seen_sos
        assert last_position == total - 1
    print(
        f"fast client: {total} messages in {fast_seconds:.2f}s, p99 delay "
        f"{lags[int(len(lags) * 0.99)] * 1000:.1f} ms, while the slow one stalled"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_events_go_out_in_one_frame_per_window_and_alarms_at_once(server: Server) -> None:
    server.hub.batch_window = 0.4
    server.hub.heartbeat = 100.0  # no pings in between (after the one already due)
    token = await server.token_for("desk", Role.commander)
    bus = server.hub.bus
    async with connect(f"{server.url}?token={token}") as ws:
        await _subscribe(ws, "org")
        await asyncio.sleep(1.0)  # the last ping went, and the window since it has passed

        async def frame(within: float = 3) -> tuple[float, list[dict]]:  # type: ignore[type-arg]
            while True:
                messages = unpack(await asyncio.wait_for(ws.recv(), within))
                if any(m["type"] == "event" for m in messages):
                    return time.monotonic(), messages

        async def publish(n: int, critical: bool = False) -> None:
            await bus.publish(
                Event("org", "alarm" if critical else "e", {"n": n}, critical=critical)
            )

        # Nothing sent for a window: the first event goes at once, alone.
        began = time.monotonic()
        await publish(1)
        at, messages = await frame()
        assert [m["data"]["n"] for m in messages] == [1]
        assert at - began < 0.3
        # The next ones wait for the window, and arrive together, in order.
        for n in (2, 3, 4):
            await publish(n)
        later, messages = await frame()
        assert [m["data"]["n"] for m in messages] == [2, 3, 4]
        assert later - at > 0.3
        # An alarm does not wait: it takes what was queued before it along, at once.
        began = time.monotonic()
        await publish(5)
        await publish(6, critical=True)
        at, messages = await frame()
        assert [(m["event"], m["data"]["n"]) for m in messages] == [("e", 5), ("alarm", 6)]
        assert at - began < 0.3


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_silent_client_is_disconnected_after_the_idle_timeout(
    server: Server,
) -> None:
    server.hub.idle_timeout = 1.0
    token = await server.token_for("mute", Role.operator)
    async with connect(f"{server.url}?token={token}", max_queue=1, close_timeout=0.2) as ws:
        started = time.monotonic()
        while server.hub.connections and time.monotonic() - started < 5:
            await asyncio.sleep(0.1)
        assert not server.hub.connections
        assert time.monotonic() - started < 3
        del ws


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_events_are_encoded_once_per_broadcast(server: Server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import patrolgrid.core.realtime as realtime

    tokens = [await server.token_for(f"u{i}", Role.commander) for i in range(5)]
    sockets = [await connect(f"{server.url}?token={t}").__aenter__() for t in tokens]
    for ws in sockets:
        await _subscribe(ws, "org")
    calls = 0
    original = realtime.dumps

    def counting(value):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return original(value)

    monkeypatch.setattr(realtime, "dumps", counting)
    assert server.hub.broadcast(Event("org", "person.updated", {"id": 1})) == 5
    assert calls == 1
    for ws in sockets:
        assert (await _next(ws, "event"))["data"] == {"id": 1}
        await ws.close()
