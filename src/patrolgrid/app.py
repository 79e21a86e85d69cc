"""The ASGI application: API, WebSocket hub and the built web front end, in one service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, WebSocket
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from patrolgrid import __version__, api
from patrolgrid.config import Settings, get_settings
from patrolgrid.core.auth import Perm
from patrolgrid.core.auth.deps import checked_by_handler
from patrolgrid.core.bus import create_bus
from patrolgrid.core.db import Database, utcnow
from patrolgrid.core.errors import install_error_handlers
from patrolgrid.core.realtime import Hub
from patrolgrid.org.flows import ensure_brigade

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"


class SPAStaticFiles(StaticFiles):
    """Serves the built front end; unknown paths under an app fall back to its index.html so
    that client-side routes (e.g. /people, /m/home) load on refresh."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except StarletteHTTPException as exc:
            if exc.status_code != 404 or path.startswith(("api/", "assets/")):
                raise
            index = "m/index.html" if path == "m" or path.startswith("m/") else "index.html"
            return FileResponse(Path(str(self.directory)) / index)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.ensure_secret_key()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.resolved_database_url)
        await db.migrate()
        bus = create_bus(settings.bus_url)
        await bus.start()
        hub = Hub(
            bus,
            db,
            queue_size=settings.ws_queue_size,
            heartbeat=settings.ws_heartbeat_seconds,
            idle_timeout=settings.ws_idle_timeout_seconds,
        )
        async with db.sessions() as session:
            await ensure_brigade(session)
        app.state.db, app.state.bus, app.state.hub = db, bus, hub
        app.state.started_at = utcnow()
        await api.start(app, hub)
        await hub.start()
        log.info("patrolgrid %s on %s, bus %s", __version__, db.backend, bus.backend)
        try:
            yield
        finally:
            await api.stop(app)
            await hub.stop()
            await bus.close()
            await db.dispose()

    app = FastAPI(
        title="patrolgrid",
        version=__version__,
        lifespan=lifespan,
        description="智慧交巡警指挥平台 API. Every error uses the envelope "
        '`{"code", "message": {"zh", "en"}, "details"}`.',
    )
    app.state.settings = settings
    install_error_handlers(app)
    api.mount(app)

    @app.websocket("/ws", dependencies=[Depends(checked_by_handler(Perm.realtime))])
    async def websocket(ws: WebSocket) -> None:
        await ws.app.state.hub.serve(ws)

    if (STATIC_DIR / "index.html").is_file():
        app.mount("/", SPAStaticFiles(directory=STATIC_DIR, html=True), name="web")
    else:
        log.warning("web front end not built (%s missing): run `make web`", STATIC_DIR)
    return app
