"""Road network and routing API: GeoJSON for the map, nearest segment, route, travel times."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.config import Settings
from patrolgrid.core.auth import Perm, Principal, requires
from patrolgrid.core.db import get_session
from patrolgrid.core.errors import AppError
from patrolgrid.core.jsonutil import JSONResponse
from patrolgrid.core.web import GEOJSON
from patrolgrid.geo.routing import Router
from patrolgrid.roads import service
from patrolgrid.roads.graph import RoutingGraph
from patrolgrid.roads.models import (
    GENERATED_LABEL_EN,
    GENERATED_LABEL_ZH,
    Label,
    MapConfig,
    NearestSegment,
    NetworkOut,
    RoadMatch,
    RoadMatches,
    RouteIn,
    RouteOut,
    TileSource,
    TravelTimeOut,
    TravelTimesIn,
    TravelTimesOut,
)

router = APIRouter(tags=["roads"])
Session = Annotated[AsyncSession, Depends(get_session)]
MapReader = Annotated[Principal, Depends(requires(Perm.map_read))]

MAX_SEGMENTS = 20_000
# Which road classes a map at a given zoom shows: a county overview needs the arteries only.
_MAJOR = frozenset({"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"})
_SECONDARY = _MAJOR | {"secondary", "secondary_link"}
_TERTIARY = _SECONDARY | {"tertiary", "tertiary_link"}

NO_NETWORK = AppError(404, "geo.no_network", "尚未导入路网", "No road network has been imported")


def _classes_for_zoom(zoom: float) -> frozenset[str] | None:
    # A whole county (zoom ~10) shows the county roads that join its townships; the streets
    # come in once a town fills the screen.
    if zoom < 8:
        return _MAJOR
    if zoom < 9:
        return _SECONDARY
    if zoom < 12:
        return _TERTIARY
    return None


def _parse_bbox(raw: str) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if (
        len(values) != 4
        or not all(math.isfinite(v) for v in values)
        or not (-180 <= values[0] < values[2] <= 180 and -90 <= values[1] < values[3] <= 90)
    ):
        raise AppError(
            422,
            "geo.bad_bbox",
            "bbox 应为 最小经度,最小纬度,最大经度,最大纬度",
            "bbox must be minLon,minLat,maxLon,maxLat",
            {"bbox": raw},
        )
    return values[0], values[1], values[2], values[3]


async def _router(request: Request, session: AsyncSession) -> Router:
    graph: RoutingGraph = request.app.state.routing_graph
    found = await graph.router(session)
    if found is None:
        raise NO_NETWORK
    return found


def _attribution(source: str, generated: bool) -> str | None:
    # OSM data is under the ODbL, which asks for this credit wherever the map is shown.
    if not generated and source.lower().endswith((".pbf", ".osm", ".osm.bz2", ".osm.gz")):
        return "© OpenStreetMap contributors"
    return None


@router.get("/api/geo/config")
async def map_config(request: Request, session: Session, _: MapReader) -> MapConfig:
    settings: Settings = request.app.state.settings
    network = await service.get_network(session)
    tiles = None
    if settings.map_tile_url:
        tiles = TileSource(
            tiles=[settings.map_tile_url],
            tile_size=settings.map_tile_size,
            attribution=settings.map_tile_attribution,
            max_zoom=settings.map_tile_max_zoom,
            coord_system=settings.map_tile_coord_system,
        )
    if network is None:
        return MapConfig(
            center=(108.70, 30.93),
            zoom=11,
            bounds=None,
            network_label=None,
            network_attribution=None,
            tile_source=tiles,
        )
    span = max(network.max_lon - network.min_lon, network.max_lat - network.min_lat, 1e-4)
    return MapConfig(
        center=((network.min_lon + network.max_lon) / 2, (network.min_lat + network.max_lat) / 2),
        zoom=max(3.0, min(17.0, math.log2(360 / span) + 0.5)),
        bounds=(network.min_lon, network.min_lat, network.max_lon, network.max_lat),
        network_label=(
            Label(zh=GENERATED_LABEL_ZH, en=GENERATED_LABEL_EN) if network.generated else None
        ),
        network_attribution=_attribution(network.source, network.generated),
        tile_source=tiles,
    )


@router.get("/api/roads/network")
async def network_summary(session: Session, _: MapReader) -> NetworkOut:
    network = await service.get_network(session)
    if network is None:
        raise NO_NETWORK
    roads, segments, km = await service.counts(session)
    return NetworkOut(
        version=network.version,
        source=network.source,
        generated=network.generated,
        imported_at=network.imported_at,
        roads=roads,
        segments=segments,
        total_km=round(km, 3),
    )


@router.get(
    "/api/roads/segments", response_class=JSONResponse, responses={200: {"content": {GEOJSON: {}}}}
)
async def segments(
    session: Session,
    _: MapReader,
    bbox: Annotated[str, Query(max_length=200, description="minLon,minLat,maxLon,maxLat")],
    zoom: Annotated[float, Query(ge=0, le=24, allow_inf_nan=False)] = 14,
) -> JSONResponse:
    rows = await service.segments_in_bbox(
        session, _parse_bbox(bbox), _classes_for_zoom(zoom), MAX_SEGMENTS
    )
    simplified = _simplified_lines([segment.coords for segment, _road in rows], zoom)
    features: list[dict[str, Any]] = []
    for (segment, road), line in zip(rows, simplified, strict=True):
        coords = shapely.get_coordinates(line).round(7).tolist()
        features.append(
            {
                "type": "Feature",
                "id": segment.id,
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "id": segment.id,
                    "key": segment.key,
                    "road_id": road.id,
                    "name": road.name,
                    "highway": road.highway,
                    "oneway": road.oneway,
                    "maxspeed_kmh": road.maxspeed_kmh,
                    "lanes": road.lanes,
                    "length_m": round(segment.length_m, 1),
                },
            }
        )
    return JSONResponse(
        {"type": "FeatureCollection", "features": features, "truncated": len(rows) >= MAX_SEGMENTS},
        media_type=GEOJSON,
    )


def _simplified_lines(lines: list[list[list[float]]], zoom: float) -> list[Any]:
    if not lines:
        return []
    points = np.array([point for line in lines for point in line], dtype=np.float64)
    which = np.repeat(np.arange(len(lines)), [len(line) for line in lines])
    geometries = shapely.linestrings(points, indices=which)
    # About half a screen pixel: invisible on screen, and far fewer vertices to send.
    tolerance = 360.0 / (256 * 2**zoom) / 2
    return list(shapely.simplify(geometries, tolerance, preserve_topology=False))


@router.get(
    "/api/roads/areas", response_class=JSONResponse, responses={200: {"content": {GEOJSON: {}}}}
)
async def areas(session: Session, _: MapReader) -> JSONResponse:
    features = [
        {
            "type": "Feature",
            "id": area.id,
            "geometry": area.geometry,
            "properties": {
                "id": area.id,
                "key": area.key,
                "name": area.name,
                "kind": area.kind,
                "admin_level": area.admin_level,
            },
        }
        for area in await service.list_areas(session)
    ]
    return JSONResponse({"type": "FeatureCollection", "features": features}, media_type=GEOJSON)


@router.get("/api/roads/search")
async def search_roads(
    session: Session,
    _: MapReader,
    q: Annotated[str, Query(min_length=1, max_length=50)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> RoadMatches:
    return RoadMatches(
        items=[
            RoadMatch(id=i, name=name, highway=highway, center=(lon, lat))
            for i, name, highway, lon, lat in await service.search_roads(session, q.strip(), limit)
        ]
    )


@router.get("/api/geo/nearest-segment")
async def nearest_segment(
    request: Request,
    session: Session,
    _: MapReader,
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    max_distance_m: Annotated[float, Query(gt=0, le=50_000)] = 2_000,
) -> NearestSegment:
    found = (await _router(request, session)).snap(lon, lat, max_distance_m=max_distance_m)
    if found is None:
        raise AppError(
            404,
            "geo.no_segment_nearby",
            "附近没有道路",
            "No road near this point",
            {"max_distance_m": max_distance_m},
        )
    row = await service.get_segment(session, found.segment_id)
    assert row is not None  # the router was built from these rows
    segment, road = row
    return NearestSegment(
        segment_id=segment.id,
        road_id=road.id,
        name=road.name,
        highway=road.highway,
        distance_m=round(found.distance_m, 2),
        point=found.point,
        fraction=round(found.fraction, 6),
    )


@router.post("/api/geo/route")
async def route(body: RouteIn, request: Request, session: Session, _: MapReader) -> RouteOut:
    found = (await _router(request, session)).route(body.from_, body.to)
    if found is None:
        raise AppError(
            404,
            "geo.no_route",
            "两点之间没有可行驶的路线",
            "No drivable route between these points",
        )
    return RouteOut(
        seconds=round(found.seconds, 2),
        meters=round(found.metres, 2),
        geometry={"type": "LineString", "coordinates": [[lon, lat] for lon, lat in found.geometry]},
        segment_ids=list(found.segment_ids),
    )


@router.post("/api/geo/travel-times")
async def travel_times(
    body: TravelTimesIn, request: Request, session: Session, _: MapReader
) -> TravelTimesOut:
    results = (await _router(request, session)).travel_times_to(
        body.to, body.from_, limit_s=body.limit_s
    )
    return TravelTimesOut(
        items=[
            None
            if r is None
            else TravelTimeOut(seconds=round(r.seconds, 2), meters=round(r.metres, 2))
            for r in results
        ]
    )
