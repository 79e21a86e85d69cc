"""The real-time hub behind `/ws`.

One bus subscription feeds every WebSocket. Each connection has its own bounded outbound queue
and its own writer task, so a slow client only ever slows itself:

- an event is encoded with orjson once per broadcast and the same text goes to every queue;
- an event with a `key` replaces a still-queued event with the same key (the client gets the
  latest state, not a backlog);
- when a queue is full, the oldest non-critical message is dropped and the client is told
  (`{"type": "lagged"}`) so it can re-fetch; critical messages are never dropped;
- the writer sends what is queued as one frame at most every `batch_window` (50 ms): a single
  message as itself, several as `{"type": "batch", "messages": [...]}` in queue order. A
  critical message (an alarm, a reply to the client) does not wait for the window: it goes at
  once, with whatever was queued before it; nor does a queue that is half full;
- the server pings every `ws_heartbeat_seconds`; a client silent for `ws_idle_timeout_seconds`
  is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from patrolgrid.core.auth.deps import authenticate, presented_token
from patrolgrid.core.auth.models import TokenKind
from patrolgrid.core.auth.principal import Principal
from patrolgrid.core.auth.roles import Perm
from patrolgrid.core.bus import Bus, Event, Subscription
from patrolgrid.core.db import Database
from patrolgrid.core.errors import AppError, envelope
from patrolgrid.core.jsonutil import JSONResponse, dumps, loads

log = logging.getLogger(__name__)

SnapshotProvider = Callable[[Principal], Awaitable[Any]]
MessageHandler = Callable[[Principal, dict[str, Any]], Awaitable[dict[str, Any] | None]]


# Sending a frame costs about the same whatever it carries (a syscall, the WebSocket framing,
# a compressor flush): with one frame per event, writing to 20 consoles took ~28% of the
# server's CPU at 1,000 devices @ 1 Hz (bench/tracking.py). One frame per window per client
# instead: a console hears about an event at most this much later.
BATCH_WINDOW = 0.05
# A frame holds at most this many messages / characters (a client's message size limit, e.g.
# the websockets library's 1 MiB default, must not be hit); a larger single message (a
# snapshot) still goes, alone.
MAX_FRAME_MESSAGES = 500
MAX_FRAME_CHARS = 128 * 1024
_BATCH_HEAD = '{"type":"batch","messages":['
_BATCH_TAIL = "]}"


def batch_frame(messages: list[str]) -> str:
    """One WebSocket text frame for encoded messages: a lone message as it is, several as
    `{"type": "batch", "messages": [...]}` (joined as text: nothing is encoded again)."""
    if len(messages) == 1:
        return messages[0]
    return _BATCH_HEAD + ",".join(messages) + _BATCH_TAIL


class OutboundQueue:
    """Bounded, coalescing, order-preserving queue of encoded messages for one client."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[object, tuple[str, bool]] = OrderedDict()
        self._seq = itertools.count()
        self._ready = asyncio.Event()
        # Send without waiting for the batch window once a critical message is queued, or
        # the queue is half full (waiting longer would drop messages for a fast client).
        self._urgent = asyncio.Event()
        self._critical = 0  # how many queued messages are critical
        self._flush_at = max(1, maxsize // 2)
        self.dropped = 0  # since the client was last told it lagged
        self.dropped_total = 0
        self.coalesced = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def urgent(self) -> bool:
        """Send now, not at the end of the batch window: a critical message is waiting, or
        the queue is half full."""
        return self._critical > 0 or len(self._items) >= self._flush_at

    def put(self, text: str, key: str | None = None, critical: bool = False) -> None:
        if key is not None and key in self._items:
            # Keep the queue position (the client hears about this state as early as it
            # would have), carry the newest content.
            was_critical = self._items[key][1]
            self._items[key] = (text, critical or was_critical)
            self.coalesced += 1
            if critical and not was_critical:
                self._critical += 1
                self._urgent.set()
            return
        full = len(self._items) >= self.maxsize
        if full and not self._drop_oldest_non_critical() and not critical:
            # Only alarms are queued: the new non-critical message is the one to go.
            self.dropped += 1
            self.dropped_total += 1
            self._ready.set()  # the client is owed a `lagged` notice
            return
        slot: object = key if key is not None else next(self._seq)
        self._items[slot] = (text, critical)
        self._ready.set()
        if critical:
            self._critical += 1
            self._urgent.set()
        elif len(self._items) >= self._flush_at:
            self._urgent.set()

    def _drop_oldest_non_critical(self) -> bool:
        for slot, (_, critical) in self._items.items():
            if not critical:
                del self._items[slot]
                self.dropped += 1
                self.dropped_total += 1
                return True
        return False

    async def wait(self) -> None:
        """Until there is something to send (a message, or a `lagged` notice)."""
        while not self._items and not self.dropped:
            self._ready.clear()
            await self._ready.wait()

    async def wait_urgent(self) -> None:
        """Until a message must go at once (see `urgent`)."""
        while not self.urgent:
            self._urgent.clear()
            await self._urgent.wait()

    def take(
        self, max_messages: int = MAX_FRAME_MESSAGES, max_chars: int = MAX_FRAME_CHARS
    ) -> list[str]:
        """The oldest queued messages, in order, up to the limits (at least one), after a
        `lagged` notice when messages were dropped since the last take."""
        out: list[str] = []
        size = 0
        if self.dropped:
            count, self.dropped = self.dropped, 0
            out.append(dumps({"type": "lagged", "dropped": count}).decode())
        items = self._items
        while items and len(out) < max_messages:
            slot = next(iter(items))
            text, critical = items[slot]
            if out and size + len(text) > max_chars:
                break
            del items[slot]
            out.append(text)
            size += len(text)
            if critical:
                self._critical -= 1
        return out

    async def get(self) -> str:
        """One message (the `lagged` notice first, when due)."""
        await self.wait()
        return self.take(max_messages=1)[0]


@dataclass(eq=False)
class Connection:
    websocket: WebSocket
    principal: Principal
    queue: OutboundQueue
    topics: set[str] = field(default_factory=set)
    last_seen: float = field(default_factory=time.monotonic)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def personal_topic(self) -> str:
        return f"user.{self.principal.user_id}"


class Hub:
    def __init__(
        self,
        bus: Bus,
        db: Database,
        *,
        queue_size: int,
        heartbeat: float,
        idle_timeout: float,
        batch_window: float = BATCH_WINDOW,
    ) -> None:
        self.bus = bus
        self.db = db
        self.queue_size = queue_size
        self.heartbeat = heartbeat
        self.idle_timeout = idle_timeout
        self.batch_window = batch_window
        self.connections: set[Connection] = set()
        # Who hears a topic, kept as connections (un)subscribe and come and go, so that a
        # broadcast costs its receivers, not every connection (officer apps hold connections
        # that hear no tracking events).
        self._receivers: dict[str, set[Connection]] = {}
        self._topics: dict[str, Perm] = {}
        self._snapshots: dict[str, SnapshotProvider] = {}
        self._handlers: dict[str, tuple[Perm, MessageHandler]] = {}
        self._subscription: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def register_topic(
        self, topic: str, permission: Perm, snapshot: SnapshotProvider | None = None
    ) -> None:
        """Domains declare the topics they publish and who may subscribe to them. With a
        `snapshot`, a new subscriber first gets the topic's current state (then the events
        after it), so a console never starts from a blank or stale picture."""
        self._topics[topic] = permission
        if snapshot is not None:
            self._snapshots[topic] = snapshot

    def register_handler(self, kind: str, permission: Perm, handler: MessageHandler) -> None:
        """Domains take client messages of their own `type` (e.g. an officer app's position);
        the handler's answer, if any, goes back to that client with the message's `id`."""
        self._handlers[kind] = (permission, handler)

    @property
    def topics(self) -> dict[str, Perm]:
        return dict(self._topics)

    async def start(self) -> None:
        self._subscription = await self.bus.subscribe(None)
        self._tasks = [
            asyncio.create_task(self._pump(), name="hub-pump"),
            asyncio.create_task(self._heartbeat(), name="hub-heartbeat"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._subscription is not None:
            await self._subscription.close()
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.websocket.close(code=1001)

    async def _pump(self) -> None:
        assert self._subscription is not None
        async for event in self._subscription:
            try:
                self.broadcast(event)
            except Exception:
                log.exception("broadcast of %s/%s failed", event.topic, event.name)

    def broadcast(self, event: Event) -> int:
        """Queue the event for every connection subscribed to its topic; returns how many."""
        receivers = self._receivers.get(event.topic)
        if not receivers:
            return 0
        text = dumps(
            {"type": "event", "topic": event.topic, "event": event.name, "data": event.data}
        ).decode()
        key = None if event.key is None else f"{event.topic}:{event.key}"
        for conn in receivers:
            conn.queue.put(text, key, event.critical)
        return len(receivers)

    def _listen(self, conn: Connection, topics: list[str]) -> None:
        for topic in topics:
            self._receivers.setdefault(topic, set()).add(conn)

    def _unlisten(self, conn: Connection, topics: list[str]) -> None:
        for topic in topics:
            receivers = self._receivers.get(topic)
            if receivers is not None:
                receivers.discard(conn)
                if not receivers:
                    del self._receivers[topic]

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            now = time.monotonic()
            ping = dumps({"type": "ping", "t": time.time()}).decode()
            for conn in list(self.connections):
                if now - conn.last_seen > self.idle_timeout:
                    log.info("closing idle websocket of %s", conn.principal.username)
                    conn.closed.set()
                else:
                    conn.queue.put(ping, key="__ping__")

    # ---- one connection -------------------------------------------------------------------

    async def serve(self, websocket: WebSocket) -> None:
        principal = await self._authenticate(websocket)
        if principal is None:
            return
        await websocket.accept()
        conn = Connection(websocket, principal, OutboundQueue(self.queue_size))
        self.connections.add(conn)
        self._listen(conn, [conn.personal_topic])
        conn.queue.put(
            dumps(
                {
                    "type": "hello",
                    "user": {
                        "id": principal.user_id,
                        "username": principal.username,
                        "display_name": principal.display_name,
                        "role": principal.role.value,
                    },
                    "topics": sorted(t for t, p in self._topics.items() if principal.can(p)),
                }
            ).decode()
        )
        tasks = [
            asyncio.create_task(self._write(conn), name=f"ws-writer-{principal.username}"),
            asyncio.create_task(self._read(conn), name=f"ws-reader-{principal.username}"),
            asyncio.create_task(conn.closed.wait(), name=f"ws-closed-{principal.username}"),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.connections.discard(conn)
            self._unlisten(conn, [conn.personal_topic, *conn.topics])
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if conn.closed.is_set():
            # A client that stopped reading cannot take a close frame: do not wait on it.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.close(code=4408, reason="idle"), 1.0)

    async def _authenticate(self, websocket: WebSocket) -> Principal | None:
        """Session cookie (same origin only), bearer header, or `?token=` for devices whose
        WebSocket client cannot set headers; requires the realtime permission."""
        token = presented_token(websocket)
        if token is not None and token[1] is TokenKind.session and not _same_origin(websocket):
            # A cookie travels with any page's request: refuse cross-site pages (CSWSH).
            await self._deny(
                websocket, 403, "auth.bad_origin", "来源不被允许", "Origin not allowed"
            )
            return None
        query_token = websocket.query_params.get("token")
        if token is None and query_token:
            token = (query_token, TokenKind.api)
        async with self.db.sessions() as session:
            principal = await authenticate(websocket, session, token)
            if principal is None and query_token and token != (query_token, TokenKind.api):
                # A stale cookie must not hide a valid device token (a phone on duty whose
                # web session expired keeps reporting).
                principal = await authenticate(websocket, session, (query_token, TokenKind.api))
        if principal is None:
            await self._deny(websocket, 401, "auth.required", "请先登录", "Authentication required")
            return None
        if not principal.can(Perm.realtime):
            await self._deny(websocket, 403, "auth.forbidden", "没有权限", "Permission denied")
            return None
        return principal

    @staticmethod
    async def _deny(websocket: WebSocket, status: int, code: str, zh: str, en: str) -> None:
        await websocket.send_denial_response(
            JSONResponse(envelope(code, zh, en), status_code=status)
        )

    async def _write(self, conn: Connection) -> None:
        """Sends what is queued, at most one frame per batch window; at once when the queue
        is urgent (a critical message, or half full), or when the last frame had to leave
        messages behind (the client is behind: waiting would only add to it). A message that
        finds the window already over goes at once too."""
        queue, websocket = conn.queue, conn.websocket
        loop = asyncio.get_running_loop()
        due = 0.0
        try:
            while True:
                await queue.wait()
                delay = due - loop.time()
                if delay > 0 and not queue.urgent:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(delay):
                            await queue.wait_urgent()
                due = loop.time() + self.batch_window
                messages = queue.take()
                if len(queue):
                    due = 0.0
                await websocket.send_text(batch_frame(messages))
        except (WebSocketDisconnect, RuntimeError, OSError):
            return

    async def _read(self, conn: Connection) -> None:
        ws = conn.websocket
        while ws.application_state == WebSocketState.CONNECTED:
            try:
                raw = await ws.receive_text()
            except (WebSocketDisconnect, RuntimeError, KeyError):
                return
            conn.last_seen = time.monotonic()
            try:
                message = loads(raw)
                kind = message.get("type") if isinstance(message, dict) else None
            except ValueError:
                kind = None
            if kind == "pong" or kind == "ping":
                if kind == "ping":
                    conn.queue.put(dumps({"type": "pong"}).decode())
                continue
            if kind in ("subscribe", "unsubscribe"):
                await self._change_topics(conn, kind, message.get("topics"))
                continue
            if isinstance(kind, str) and kind in self._handlers:
                await self._handle(conn, kind, message)
                continue
            conn.queue.put(_error("ws.bad_message", "无法识别的消息", "Unrecognised message"))

    async def _handle(self, conn: Connection, kind: str, message: dict[str, Any]) -> None:
        permission, handler = self._handlers[kind]
        reference = message.get("id")
        # Replies are critical: the client waits for them (the officer app's outbox sends its
        # next positions once the earlier ones are answered).
        if not conn.principal.can(permission):
            conn.queue.put(
                _error("auth.forbidden", "没有权限", "Permission denied", ref=reference),
                critical=True,
            )
            return
        try:
            answer = await handler(conn.principal, message)
        except AppError as exc:
            conn.queue.put(
                _error(exc.code, exc.zh, exc.en, exc.details, ref=reference), critical=True
            )
            return
        except Exception:
            log.exception("websocket handler for %r failed", kind)
            conn.queue.put(
                _error("internal_error", "服务器内部错误", "Internal server error", ref=reference),
                critical=True,
            )
            return
        if answer is not None:
            conn.queue.put(dumps({**answer, "id": reference}).decode(), critical=True)

    async def _change_topics(self, conn: Connection, kind: str, topics: Any) -> None:
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            conn.queue.put(
                _error(
                    "ws.bad_message", "topics 应为字符串数组", "topics must be a list of strings"
                )
            )
            return
        if kind == "unsubscribe":
            # The personal topic is not a subscription: only leaving ends it.
            self._unlisten(conn, [t for t in topics if t in conn.topics])
            conn.topics.difference_update(topics)
        else:
            refused = [
                t
                for t in topics
                if t not in self._topics or not conn.principal.can(self._topics[t])
            ]
            added = [t for t in topics if t not in refused and t not in conn.topics]
            conn.topics.update(added)
            self._listen(conn, added)
            if refused:
                conn.queue.put(
                    _error(
                        "ws.topic_refused",
                        "无法订阅这些主题",
                        "Cannot subscribe to these topics",
                        {"topics": refused},
                    )
                )
        conn.queue.put(dumps({"type": "subscribed", "topics": sorted(conn.topics)}).decode())
        if kind == "subscribe":
            for topic in added:
                provider = self._snapshots.get(topic)
                if provider is not None:
                    data = await provider(conn.principal)
                    # Critical: a snapshot is what a lagging client resynchronises from.
                    conn.queue.put(
                        dumps({"type": "snapshot", "topic": topic, "data": data}).decode(),
                        critical=True,
                    )


def _error(code: str, zh: str, en: str, details: Any = None, ref: Any = None) -> str:
    body: dict[str, Any] = {"type": "error", **envelope(code, zh, en, details)}
    if ref is not None:
        body["id"] = ref
    return dumps(body).decode()


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser
        return True
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc == host
