"""Road-network workflows: replace the network from a file (or the generated demo county)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.bus import Bus, Event
from patrolgrid.core.errors import AppError
from patrolgrid.geo.network import ParsedNetwork
from patrolgrid.geo.osm import NetworkFileError, read_network
from patrolgrid.roads import service
from patrolgrid.roads.graph import RoutingGraph
from patrolgrid.roads.models import RoadNetwork

TOPIC = "roads"
Progress = Callable[[str, int, int | None], None]


def read_file(path: Path, progress: Progress | None = None) -> ParsedNetwork:
    """Read a road file, turning every way it can fail into a client-facing error."""
    if not path.is_file():
        raise AppError(404, "geo.file_not_found", f"找不到文件 {path}", f"No such file: {path}")
    try:
        return read_network(path, progress)
    except NetworkFileError as exc:
        raise AppError(422, exc.code, exc.zh, exc.en, {"file": path.name}) from exc


async def replace_network(
    session: AsyncSession,
    bus: Bus,
    graph: RoutingGraph | None,
    parsed: ParsedNetwork,
    source: str,
    actor: Actor,
    generated: bool = False,
) -> RoadNetwork:
    """One transaction: the old network stays until the new one is fully written."""
    try:
        network = await service.replace_network(session, parsed, source, generated)
        summary = {
            "source": source,
            "generated": generated,
            "roads": len(parsed.roads),
            "segments": len(parsed.segments),
            "areas": len(parsed.areas),
            "km": round(parsed.total_km, 3),
            "version": network.version,
        }
        audit.record(
            session, actor, "roads.network_replaced", "road_network", network.id, after=summary
        )
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    if graph is not None:
        graph.invalidate()
    await bus.publish(Event(TOPIC, "network.replaced", summary))
    return network
