"""Mounts every router and starts what each domain runs in the background.

The one place that knows all domains: core services are handed to them here, never imported
the other way round.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette

from patrolgrid.cameras import views as cameras_views
from patrolgrid.command import views as command_views
from patrolgrid.command.flows import Command
from patrolgrid.core.auth import Perm
from patrolgrid.core.auth.views import router as auth_router
from patrolgrid.core.realtime import Hub
from patrolgrid.core.system_views import router as system_router
from patrolgrid.duty import views as duty_views
from patrolgrid.duty.alone import AloneWatch
from patrolgrid.grids import views as grids_views
from patrolgrid.grids.flows import Grids
from patrolgrid.incidents import views as incidents_views
from patrolgrid.incidents.flows import Incidents
from patrolgrid.org import flows as org_flows
from patrolgrid.org import service as org_service
from patrolgrid.org.views import router as org_router
from patrolgrid.roads import flows as roads_flows
from patrolgrid.roads.graph import RoutingGraph
from patrolgrid.roads.views import router as roads_router
from patrolgrid.sms import views as sms_views
from patrolgrid.sms.flows import LogProvider, SmsSender
from patrolgrid.tracking import views as tracking_views
from patrolgrid.tracking.flows import Tracking
from patrolgrid.tracking.roster import LiveRoster

log = logging.getLogger(__name__)


def mount(app: FastAPI) -> None:
    # The OsmAnd protocol first, as a plain Starlette route: it takes every phone's report
    # before FastAPI walks its routes (the FastAPI /osmand routes only document it).
    app.router.routes.insert(0, tracking_views.osmand_route("/osmand"))
    app.include_router(auth_router)
    app.include_router(system_router)
    app.include_router(org_router)
    app.include_router(roads_router)
    app.include_router(tracking_views.router)
    app.include_router(incidents_views.router)
    app.include_router(command_views.router)
    app.include_router(sms_views.router)
    app.include_router(cameras_views.router)
    app.include_router(grids_views.router)
    app.include_router(duty_views.router)
    cameras_views.mount_media(app)
    app.state.me_extensions = [org_service.me_extension]


async def start(app: FastAPI, hub: Hub) -> None:
    """Domain runtimes, after the database, bus and hub are up."""
    state = app.state
    hub.register_topic(org_flows.TOPIC, Perm.people_read)
    hub.register_topic(roads_flows.TOPIC, Perm.map_read)
    cameras_views.register_realtime(hub, state.db)
    state.routing_graph = RoutingGraph()
    state.tracking = Tracking(state.db, state.bus, state.settings)
    tracking_views.register_realtime(hub, state.tracking)
    await state.tracking.start()
    state.roster = LiveRoster(state.db, state.bus)
    await state.roster.start()
    state.incidents = Incidents(
        state.db, state.bus, state.settings, state.tracking, state.roster, state.routing_graph
    )
    incidents_views.register_realtime(hub, state.incidents)
    await state.incidents.start()
    state.command = Command(
        state.db, state.bus, state.settings, state.tracking, state.roster, state.routing_graph
    )
    command_views.register_realtime(hub, state.command)
    await state.command.start()
    state.grids = Grids(state.db, state.bus, state.routing_graph)
    grids_views.register_realtime(hub)
    duty_views.register_realtime(hub)
    state.alone = AloneWatch(state.db, state.bus, state.settings, state.roster)
    await state.alone.start()
    state.sms_sender = SmsSender(state.db, LogProvider())
    state.sms_sender.start()
    state.background = [asyncio.create_task(_warm_up(app), name="warm-up")]
    if state.settings.osmand_port:
        state.background.append(
            asyncio.create_task(
                _serve_osmand_port(app, state.settings.host, state.settings.osmand_port),
                name="osmand-port",
            )
        )
    if state.settings.simulate:
        from patrolgrid.demo.simulator import Simulator

        state.simulator = Simulator(state.db, state.tracking, state.routing_graph, state.incidents)
        state.background.append(asyncio.create_task(state.simulator.run(), name="simulator"))


async def _warm_up(app: FastAPI) -> None:
    """Build the routing graph now, not on the first dispatch or SOS; then, by config, take what
    start-up loaded out of the cyclic collector's scans (see `freeze_startup_heap`)."""
    async with app.state.db.sessions() as session:
        await app.state.routing_graph.router(session)
    if app.state.settings.freeze_startup_heap:
        gc.collect()
        gc.freeze()


async def stop(app: FastAPI) -> None:
    for task in getattr(app.state, "background", []):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if hasattr(app.state, "alone"):
        await app.state.alone.stop()
    if hasattr(app.state, "grids"):
        await app.state.grids.stop()
    if hasattr(app.state, "sms_sender"):
        await app.state.sms_sender.stop()
    if hasattr(app.state, "command"):
        await app.state.command.stop()
    if hasattr(app.state, "incidents"):
        await app.state.incidents.stop()
    if hasattr(app.state, "roster"):
        await app.state.roster.stop()
    if hasattr(app.state, "tracking"):
        await app.state.tracking.stop()


async def _serve_osmand_port(app: FastAPI, host: str, port: int) -> None:
    """Traccar Client's default server is `http://host:5055/`: answer there unchanged."""
    osmand = Starlette(routes=[tracking_views.osmand_route("/")])
    osmand.state.tracking = app.state.tracking
    osmand.add_exception_handler(Exception, _osmand_error)  # type: ignore[arg-type]
    server = uvicorn.Server(
        uvicorn.Config(osmand, host=host, port=port, log_level="warning", lifespan="off")
    )
    log.info("OsmAnd protocol also on http://%s:%d/", host, port)
    await server.serve()


async def _osmand_error(request: object, exc: Exception) -> object:
    from patrolgrid.core.errors import AppError
    from patrolgrid.core.jsonutil import JSONResponse

    if isinstance(exc, AppError):
        return JSONResponse(exc.envelope(), status_code=exc.status, headers=exc.headers)
    log.exception("OsmAnd port request failed", exc_info=exc)
    return JSONResponse(
        {
            "code": "internal_error",
            "message": {"zh": "服务器内部错误", "en": "Internal server error"},
            "details": None,
        },
        status_code=500,
    )
