"""The routing graph every request shares: compiled once per network version and rebuilt (off
the event loop) when an import changes the version, in this process or another."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.geo.network import Oneway
from patrolgrid.geo.routing import Router, SegmentRecord
from patrolgrid.geo.speeds import speed_kmh
from patrolgrid.roads import service
from patrolgrid.roads.models import Road, RoadSegment


class RoutingGraph:
    def __init__(self) -> None:
        self._version: int | None = None
        self._router: Router | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._version = None

    async def router(self, session: AsyncSession) -> Router | None:
        """The router for the stored network, or None when no network is loaded."""
        version = await service.network_version(session)
        if version is None:
            return None
        if version != self._version or self._router is None:
            async with self._lock:
                if version != self._version or self._router is None:
                    rows = await service.routing_rows(session)
                    self._router = await asyncio.to_thread(_compile, rows)
                    self._version = version
        return self._router


def _compile(rows: Sequence[tuple[RoadSegment, Road]]) -> Router:
    """The router from loaded rows. Run in a thread: a county's network is hundreds of
    thousands of Python objects, seconds of work the event loop must not wait for."""
    return Router.build(
        [
            SegmentRecord(
                id=segment.id,
                from_node=segment.from_node_id,
                to_node=segment.to_node_id,
                coords=[(c[0], c[1]) for c in segment.coords],
                length_m=segment.length_m,
                oneway=Oneway(road.oneway),
                speed_kmh=speed_kmh(road.highway, road.maxspeed_kmh),
            )
            for segment, road in rows
        ]
    )
