"""Data access for the road network. No side effects beyond the session it is given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.geo.network import ParsedNetwork
from patrolgrid.roads.keys import area_keys, segment_keys
from patrolgrid.roads.models import Area, Road, RoadNetwork, RoadNode, RoadSegment

BBox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
_INSERT_BATCH = 5000


async def get_network(session: AsyncSession) -> RoadNetwork | None:
    network: RoadNetwork | None = await session.scalar(select(RoadNetwork).limit(1))
    return network


async def network_version(session: AsyncSession) -> int | None:
    version: int | None = await session.scalar(select(RoadNetwork.version).limit(1))
    return version


async def counts(session: AsyncSession) -> tuple[int, int, float]:
    segments, km = (
        await session.execute(
            select(func.count(RoadSegment.id), func.coalesce(func.sum(RoadSegment.length_m), 0.0))
        )
    ).one()
    roads = await session.scalar(select(func.count(Road.id)))
    return int(roads or 0), int(segments), float(km) / 1000.0


def _bbox(points: Iterable[Sequence[float]]) -> BBox:
    lons, lats = zip(*((p[0], p[1]) for p in points), strict=True)
    return min(lons), min(lats), max(lons), max(lats)


def _polygon_points(geometry: dict[str, Any]) -> list[list[float]]:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [point for polygon in polygons for ring in polygon for point in ring]


async def replace_network(
    session: AsyncSession, parsed: ParsedNetwork, source: str, generated: bool
) -> RoadNetwork:
    """Swap the stored network for `parsed` inside the caller's transaction."""
    previous = await network_version(session)
    for table in (RoadSegment, RoadNode, Road, Area, RoadNetwork):
        await session.execute(delete(table))

    # Ids are assigned here (1..n) so that segments can name their road and nodes without a
    # round trip per row; these tables are only ever written by this function.
    node_ids = {source_id: index for index, source_id in enumerate(parsed.nodes, start=1)}
    await _insert(
        session,
        RoadNode,
        [
            {"id": node_ids[sid], "source_id": sid, "lon": lon, "lat": lat}
            for sid, (lon, lat) in parsed.nodes.items()
        ],
    )
    await _insert(
        session,
        Road,
        [
            {
                "id": index,
                "source_id": road.source_id,
                "name": road.name,
                "highway": road.highway,
                "oneway": road.oneway.value,
                "maxspeed_kmh": road.maxspeed_kmh,
                "lanes": road.lanes,
                "bridge": road.bridge,
            }
            for index, road in enumerate(parsed.roads, start=1)
        ],
    )
    segment_rows = []
    keys = segment_keys(parsed)
    for index, segment in enumerate(parsed.segments, start=1):
        min_lon, min_lat, max_lon, max_lat = _bbox(segment.coords)
        segment_rows.append(
            {
                "id": index,
                "key": keys[index - 1],
                "road_id": segment.road_index + 1,
                "from_node_id": node_ids[segment.from_node],
                "to_node_id": node_ids[segment.to_node],
                "coords": [[lon, lat] for lon, lat in segment.coords],
                "length_m": segment.length_m,
                "min_lon": min_lon,
                "min_lat": min_lat,
                "max_lon": max_lon,
                "max_lat": max_lat,
            }
        )
    await _insert(session, RoadSegment, segment_rows)
    area_rows = []
    akeys = area_keys(parsed)
    for index, area in enumerate(parsed.areas, start=1):
        min_lon, min_lat, max_lon, max_lat = _bbox(_polygon_points(area.geometry))
        area_rows.append(
            {
                "id": index,
                "source_id": area.source_id,
                "key": akeys[index - 1],
                "name": area.name,
                "kind": area.kind.value,
                "admin_level": area.admin_level,
                "geometry": area.geometry,
                "min_lon": min_lon,
                "min_lat": min_lat,
                "max_lon": max_lon,
                "max_lat": max_lat,
            }
        )
    await _insert(session, Area, area_rows)

    min_lon, min_lat, max_lon, max_lat = _bbox(parsed.nodes.values())
    network = RoadNetwork(
        version=(previous or 0) + 1,
        source=source,
        generated=generated,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
    )
    session.add(network)
    await session.flush()
    return network


async def _insert(session: AsyncSession, table: type[Any], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _INSERT_BATCH):
        await session.execute(insert(table), rows[start : start + _INSERT_BATCH])


async def segments_in_bbox(
    session: AsyncSession, bbox: BBox, highways: frozenset[str] | None, limit: int
) -> list[tuple[RoadSegment, Road]]:
    min_lon, min_lat, max_lon, max_lat = bbox
    query = (
        select(RoadSegment, Road)
        .join(Road, Road.id == RoadSegment.road_id)
        .where(
            RoadSegment.max_lon >= min_lon,
            RoadSegment.min_lon <= max_lon,
            RoadSegment.max_lat >= min_lat,
            RoadSegment.min_lat <= max_lat,
        )
        .order_by(RoadSegment.id)
        .limit(limit)
    )
    if highways is not None:
        query = query.where(Road.highway.in_(highways))
    return [(segment, road) for segment, road in await session.execute(query)]


async def list_areas(session: AsyncSession) -> list[Area]:
    return list(await session.scalars(select(Area).order_by(Area.admin_level, Area.name)))


async def routing_rows(session: AsyncSession) -> list[tuple[RoadSegment, Road]]:
    rows = await session.execute(
        select(RoadSegment, Road)
        .join(Road, Road.id == RoadSegment.road_id)
        .order_by(RoadSegment.id)
    )
    return [(segment, road) for segment, road in rows]


async def get_segment(session: AsyncSession, segment_id: int) -> tuple[RoadSegment, Road] | None:
    row = (
        await session.execute(
            select(RoadSegment, Road)
            .join(Road, Road.id == RoadSegment.road_id)
            .where(RoadSegment.id == segment_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def search_roads(
    session: AsyncSession, q: str, limit: int
) -> list[tuple[int, str, str, float, float]]:
    """Named roads matching `q` (one entry per name: an OSM road is often several ways), each
    with a representative id, its class and the middle of its extent (for address search)."""
    rows = await session.execute(
        select(
            func.min(Road.id),
            Road.name,
            func.min(Road.highway),
            (func.min(RoadSegment.min_lon) + func.max(RoadSegment.max_lon)) / 2,
            (func.min(RoadSegment.min_lat) + func.max(RoadSegment.max_lat)) / 2,
        )
        .join(RoadSegment, RoadSegment.road_id == Road.id)
        .where(Road.name.ilike(f"%{q}%"), Road.name != "")
        .group_by(Road.name)
        .order_by(func.length(Road.name), Road.name)
        .limit(limit)
    )
    return [(int(i), name, highway, float(lon), float(lat)) for i, name, highway, lon, lat in rows]
