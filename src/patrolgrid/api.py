"""Mounts every router and registers what each domain contributes to the core services."""

from __future__ import annotations

from fastapi import FastAPI

from patrolgrid.core.auth import Perm
from patrolgrid.core.auth.views import router as auth_router
from patrolgrid.core.realtime import Hub
from patrolgrid.core.system_views import router as system_router
from patrolgrid.org import flows as org_flows
from patrolgrid.org import service as org_service
from patrolgrid.org.views import router as org_router
from patrolgrid.roads import flows as roads_flows
from patrolgrid.roads.views import router as roads_router


def mount(app: FastAPI) -> None:
    app.include_router(auth_router)
    app.include_router(system_router)
    app.include_router(org_router)
    app.include_router(roads_router)
    app.state.me_extensions = [org_service.me_extension]


def register_topics(hub: Hub) -> None:
    hub.register_topic(org_flows.TOPIC, Perm.people_read)
    hub.register_topic(roads_flows.TOPIC, Perm.map_read)
