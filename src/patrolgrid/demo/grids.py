"""The demo county's grids: squadron territories, generated drivers/vehicles per area and
generated accident points (both labelled generated), and an activated, designed grid plan per
squadron. Idempotent: does nothing once any territory exists, or on a real (imported) network.

The designs are short runs (a few dozen rounds each) so that the whole demo loads in seconds;
a user can design again from the console with the full budget.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from typing import Any

import shapely
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.bus import Bus
from patrolgrid.core.db import utcnow
from patrolgrid.demo import data
from patrolgrid.demo.county import DemoCounty, generate_demo_county
from patrolgrid.grids import flows as grid_flows
from patrolgrid.grids import service as grid_service
from patrolgrid.grids.design import DesignOptions, design_grids
from patrolgrid.grids.flows import UnitCache
from patrolgrid.grids.models import Accident, AreaFigures, TerritoryAreaIn, TerritoryIn
from patrolgrid.org.models import Squadron
from patrolgrid.roads import service as roads_service
from patrolgrid.roads.graph import RoutingGraph
from patrolgrid.roads.models import Road, RoadSegment

SOURCE = "演示数据(生成) generated demo data"
SEED = 20230724
ACCIDENT_YEARS = {2024: 420, 2025: 340}  # generated: about 19% fewer in the second year
# Generated drivers per area (vehicles are about 0.8 of drivers): the seat's subdistricts are
# the dense ones. DOMAIN.md §6 puts a county like Yunyang at ~150-250 k of each; an assumption.
DRIVERS: dict[str, int] = {
    "青龙街道": 38_000,
    "双江街道": 52_000,
    "人和街道": 31_000,
    "盘龙街道": 17_000,
    "黄石镇": 7_800,
    "江口镇": 9_200,
    "凤鸣镇": 6_100,
    "南溪镇": 8_400,
    "红狮镇": 5_300,
    "龙角镇": 4_600,
    "故陵镇": 5_000,
    "清水土家族乡": 2_900,
}
_ACCIDENT_WEIGHT = {
    "trunk": 3.0,
    "primary": 3.0,
    "secondary": 2.0,
    "tertiary": 1.5,
    "residential": 1.0,
    "service": 0.3,
}
_HOURS = [1, 1, 1, 1, 1, 2, 3, 6, 8, 6, 5, 5, 6, 5, 5, 6, 7, 9, 8, 6, 4, 3, 2, 1]
DESIGN = DesignOptions(tolerance=0.05, seed=7, max_rounds=150, patience=60, time_limit_s=2.0)


async def ensure_demo_grids(
    session: AsyncSession, bus: Bus, county: DemoCounty | None = None
) -> bool:
    """Returns False when there was nothing to do."""
    network = await roads_service.get_network(session)
    if network is None or not network.generated or await grid_service.all_territories(session):
        return False
    squadrons = {s.code: s for s in await session.scalars(select(Squadron))}
    if not all(code in squadrons for code in data.SQUADRON_AREAS):
        return False
    areas = {a.name: a for a in await roads_service.list_areas(session)}
    for code, names in data.SQUADRON_AREAS.items():
        body = TerritoryIn(areas=[TerritoryAreaIn(key=areas[n].key) for n in names if n in areas])
        await grid_flows.set_territory(session, bus, squadrons[code].id, body, SYSTEM)

    now = utcnow()
    session.add_all(
        AreaFigures(
            area_key=areas[name].key,
            drivers=drivers,
            vehicles=round(drivers * 0.8),
            source=SOURCE,
            generated=True,
            updated_at=now,
        )
        for name, drivers in DRIVERS.items()
        if name in areas
    )
    await _accidents(session, network.version)
    await session.commit()

    if county is None:  # a demo loaded before grids existed: the same seed, the same river
        county = await asyncio.to_thread(generate_demo_county)
    river = county.river["geometry"]["coordinates"]
    cache = UnitCache(RoutingGraph())
    for code, k in data.DEMO_GRIDS.items():
        await _design(session, bus, cache, squadrons[code], k, river, network.version)
    return True


async def _accidents(session: AsyncSession, version: int) -> None:
    """Points along the roads, more on the arteries, dated over two years."""
    rows = (
        await session.execute(
            select(RoadSegment.key, RoadSegment.coords, RoadSegment.length_m, Road.highway).join(
                Road, Road.id == RoadSegment.road_id
            )
        )
    ).all()
    rng = random.Random(SEED)  # noqa: S311 - generated demo data
    weights = [length * _ACCIDENT_WEIGHT.get(highway, 1.0) for _, _, length, highway in rows]
    values: list[dict[str, Any]] = []
    for year, count in ACCIDENT_YEARS.items():
        days = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
        for n, (key, coords, _, _) in enumerate(rng.choices(rows, weights=weights, k=count)):
            point = shapely.line_interpolate_point(
                shapely.LineString(coords), rng.random(), normalized=True
            )
            hour = rng.choices(range(24), weights=_HOURS)[0]
            values.append(
                {
                    "occurred_on": dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(days)),
                    "occurred_time": f"{hour:02d}:{rng.randrange(60):02d}",
                    "lon": round(point.x, 7),
                    "lat": round(point.y, 7),
                    "deaths": 1 if rng.random() < 0.03 else 0,
                    "injuries": rng.choices((0, 1, 2, 3), weights=(30, 50, 15, 5))[0],
                    "station": "",
                    "ref": f"DEMO-{year}-{n + 1:04d}",
                    "source": SOURCE,
                    "generated": True,
                    "segment_key": key,
                    "snap_m": 0.0,
                    "snap_version": version,
                    "imported_at": utcnow(),
                }
            )
    await session.execute(insert(Accident), values)


async def _design(
    session: AsyncSession,
    bus: Bus,
    cache: UnitCache,
    squadron: Squadron,
    k: int,
    river: list[list[float]],
    version: int,
) -> None:
    units = await cache.units(session, squadron.id)
    if units.n < k:
        return
    weights = grid_flows.stored_weights(None)
    graph = units.graph(barriers=[river])
    options = DesignOptions(
        figure_weights=weights,
        tolerance=DESIGN.tolerance,
        seed=DESIGN.seed,
        max_rounds=DESIGN.max_rounds,
        patience=DESIGN.patience,
        time_limit_s=DESIGN.time_limit_s,
    )
    plan = await asyncio.to_thread(design_grids, graph, k, options)
    params = {
        "k": k,
        "weights": weights,
        "tolerance": DESIGN.tolerance,
        "method": "auto",
        "time_limit_s": DESIGN.time_limit_s,
        "max_rounds": DESIGN.max_rounds,
        "seed": DESIGN.seed,
        "town_whole": False,
        "barriers": [river],
        "locks_from": None,
    }
    name = f"{squadron.name}网格方案(演示)"
    saved = await grid_flows.save_designed_plan(
        session, bus, squadron.id, plan, params, name, version, None, SYSTEM
    )
    await grid_flows.activate_plan(session, bus, cache, saved.id, SYSTEM)
