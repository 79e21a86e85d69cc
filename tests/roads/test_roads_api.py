"""The stored road network and the routing API, on both database backends, with real OSM data."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.core.errors import AppError
from patrolgrid.geo.network import ParsedNetwork
from patrolgrid.roads import flows
from tests.conftest import SHARED, Running

OSM = SHARED / "data" / "osm"
HELSINKI = OSM / "Helsinki.osm.pbf"


@pytest.fixture(scope="module")
def helsinki() -> ParsedNetwork:
    return flows.read_file(HELSINKI)


async def _load(running: Running, parsed: ParsedNetwork, source: str = "Helsinki.osm.pbf") -> None:
    async with running.db.sessions() as session:
        await flows.replace_network(
            session,
            running.app.state.bus,  # type: ignore[attr-defined]
            running.app.state.routing_graph,  # type: ignore[attr-defined]
            parsed,
            source,
            SYSTEM,
        )


async def _operator(running: Running) -> httpx.AsyncClient:
    return await running.login("lin", Role.operator)


def _middle(parsed: ParsedNetwork, index: int) -> tuple[float, float]:
    coords = parsed.segments[index].coords
    (lon1, lat1), (lon2, lat2) = coords[0], coords[1]
    return (lon1 + lon2) / 2, (lat1 + lat2) / 2


async def test_imported_network_is_served_as_geojson(
    running: Running, helsinki: ParsedNetwork
) -> None:
    await _load(running, helsinki)
    client = await _operator(running)
    summary = (await client.get("/api/roads/network")).json()
    assert summary["segments"] == len(helsinki.segments)
    assert summary["roads"] == len(helsinki.roads)
    assert summary["total_km"] == pytest.approx(helsinki.total_km, abs=1e-3)
    assert summary["generated"] is False and summary["version"] == 1

    config = (await client.get("/api/geo/config")).json()
    min_lon, min_lat, max_lon, max_lat = config["bounds"]
    assert min_lon < config["center"][0] < max_lon and config["network_label"] is None
    bbox = f"{min_lon},{min_lat},{max_lon},{max_lat}"
    everything = await client.get("/api/roads/segments", params={"bbox": bbox, "zoom": 16})
    assert everything.headers["content-type"] == "application/geo+json"
    features = everything.json()["features"]
    assert len(features) == len(helsinki.segments)
    names = {f["properties"]["name"] for f in features}
    assert {r.name for r in helsinki.roads} == names
    overview = (await client.get("/api/roads/segments", params={"bbox": bbox, "zoom": 7})).json()
    assert 0 < len(overview["features"]) < len(features)
    assert {f["properties"]["highway"] for f in overview["features"]} <= {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
    }
    vertices = lambda fc: sum(len(f["geometry"]["coordinates"]) for f in fc["features"])  # noqa: E731
    coarse = (await client.get("/api/roads/segments", params={"bbox": bbox, "zoom": 14})).json()
    fine = (await client.get("/api/roads/segments", params={"bbox": bbox, "zoom": 18})).json()
    assert len(coarse["features"]) == len(fine["features"]) and vertices(coarse) < vertices(fine)

    first = helsinki.segments[0].coords[0]
    tiny = f"{first[0] - 1e-4},{first[1] - 1e-4},{first[0] + 1e-4},{first[1] + 1e-4}"
    near = (await client.get("/api/roads/segments", params={"bbox": tiny, "zoom": 18})).json()
    assert 0 < len(near["features"]) < 20


async def test_nearest_segment_route_and_travel_times(
    running: Running, helsinki: ParsedNetwork
) -> None:
    await _load(running, helsinki)
    client = await _operator(running)
    index = max(range(len(helsinki.segments)), key=lambda i: helsinki.segments[i].length_m)
    lon, lat = _middle(helsinki, index)
    nearest = (await client.get("/api/geo/nearest-segment", params={"lon": lon, "lat": lat})).json()
    assert nearest["name"] == helsinki.roads[helsinki.segments[index].road_index].name
    assert nearest["distance_m"] < 1.0

    a = _middle(helsinki, 10)
    b = _middle(helsinki, len(helsinki.segments) - 10)
    route = await client.post("/api/geo/route", json={"from": list(a), "to": list(b)})
    assert route.status_code == 200, route.text
    body = route.json()
    assert body["seconds"] > 0 and body["meters"] > 0 and body["segment_ids"]
    start = body["geometry"]["coordinates"][0]
    assert abs(start[0] - a[0]) < 1e-3 and abs(start[1] - a[1]) < 1e-3

    times = await client.post(
        "/api/geo/travel-times", json={"to": list(b), "from": [list(a), list(b)]}
    )
    items = times.json()["items"]
    assert items[1]["seconds"] == pytest.approx(0, abs=1)
    assert items[0]["seconds"] == pytest.approx(body["seconds"], rel=0.02)
    limited = await client.post(
        "/api/geo/travel-times", json={"to": list(b), "from": [list(a)], "limit_s": 1}
    )
    assert limited.json()["items"] == [None]


@pytest.mark.parametrize(
    ("method", "path", "payload", "code"),
    [
        ("get", "/api/geo/nearest-segment", {"lon": 200, "lat": 60}, "less_than_equal"),
        ("get", "/api/geo/nearest-segment", {"lon": "nan", "lat": 60}, "finite_number"),
        ("get", "/api/roads/segments", {"bbox": "1,2,3"}, "geo.bad_bbox"),
        ("get", "/api/roads/segments", {"bbox": "3,2,1,4"}, "geo.bad_bbox"),
        ("get", "/api/roads/segments", {"bbox": "a,b,c,d"}, "geo.bad_bbox"),
        ("post", "/api/geo/route", {"from": [24.9, 95], "to": [24.9, 60.1]}, "geo.bad_coordinate"),
        ("post", "/api/geo/route", {"from": [24.9], "to": [24.9, 60.1]}, "missing"),
        ("post", "/api/geo/travel-times", {"to": [24.9, 60.1], "from": []}, "too_short"),
    ],
)
async def test_bad_geo_requests_get_the_envelope(
    running: Running,
    helsinki: ParsedNetwork,
    method: str,
    path: str,
    payload: dict[str, object],
    code: str,
) -> None:
    await _load(running, helsinki)
    client = await _operator(running)
    if method == "get":
        response = await client.get(path, params=payload)
    else:
        response = await client.post(path, json=payload)
    assert response.status_code == 422, response.text
    body = response.json()
    codes = [body["code"]] + [d["code"] for d in body.get("details") or [] if isinstance(d, dict)]
    assert code in codes, body


async def test_no_network_yet_is_a_clear_404(running: Running) -> None:
    client = await _operator(running)
    r = await client.get("/api/geo/nearest-segment", params={"lon": 108.7, "lat": 30.93})
    assert r.status_code == 404 and r.json()["code"] == "geo.no_network"
    config = (await client.get("/api/geo/config")).json()
    assert config["bounds"] is None


async def test_a_bad_file_leaves_the_stored_network_as_it_was(
    running: Running, helsinki: ParsedNetwork, tmp_path: Path
) -> None:
    await _load(running, helsinki)
    client = await _operator(running)
    before = (await client.get("/api/roads/network")).json()
    truncated = tmp_path / "broken.osm.pbf"
    truncated.write_bytes(HELSINKI.read_bytes()[: HELSINKI.stat().st_size // 2])
    with pytest.raises(AppError) as refused:
        flows.read_file(truncated)
    assert refused.value.status == 422 and refused.value.code.startswith("geo.")
    assert (await client.get("/api/roads/network")).json() == before


async def test_reimport_bumps_the_version_and_rebuilds_the_router(
    running: Running, helsinki: ParsedNetwork
) -> None:
    await _load(running, helsinki)
    client = await _operator(running)
    lon, lat = _middle(helsinki, 0)
    assert (
        await client.get("/api/geo/nearest-segment", params={"lon": lon, "lat": lat})
    ).status_code == 200
    small = flows.read_file(OSM / "test.osm.pbf")
    await _load(running, small, "test.osm.pbf")
    summary = (await client.get("/api/roads/network")).json()
    assert summary["version"] == 2 and summary["segments"] == len(small.segments)
    # Helsinki is ~400 km away from the new network: nothing near any more.
    r = await client.get("/api/geo/nearest-segment", params={"lon": lon, "lat": lat})
    assert r.status_code == 404 and r.json()["code"] == "geo.no_segment_nearby"
    audit = (
        await (await running.login("root", Role.admin)).get(
            "/api/admin/audit", params={"entity_type": "road_network"}
        )
    ).json()
    assert [e["after"]["source"] for e in audit["items"]] == ["test.osm.pbf", "Helsinki.osm.pbf"]
