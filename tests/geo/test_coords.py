from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from patrolgrid.geo import coords

GEOD = Geod(ellps="WGS84")
YUNYANG = (108.70, 30.93)

# Points inside mainland China's rough box (the formulas' domain), away from its edges.
china_lons = st.floats(min_value=75.0, max_value=134.0, allow_nan=False)
china_lats = st.floats(min_value=18.0, max_value=53.0, allow_nan=False)


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def test_domain_test_vector() -> None:
    # reference/DOMAIN.md §4, as (lat, lon):
    # WGS (31.1774276, 121.5272106) -> GCJ (31.17530398364597, 121.531541859215)
    lon, lat = coords.wgs84_to_gcj02(121.5272106, 31.1774276)
    assert lon == pytest.approx(121.531541859215, abs=1e-6)
    assert lat == pytest.approx(31.17530398364597, abs=1e-6)


def test_offsets_at_yunyang_are_the_documented_size() -> None:
    # DOMAIN.md: GCJ-02 is ~498 m and BD-09 ~1.1 km from WGS-84 at Yunyang.
    assert metres_between(YUNYANG, coords.wgs84_to_gcj02(*YUNYANG)) == pytest.approx(498, abs=5)
    assert metres_between(YUNYANG, coords.wgs84_to_bd09(*YUNYANG)) == pytest.approx(1100, abs=60)


@settings(max_examples=300, deadline=None)
@given(china_lons, china_lats)
def test_round_trips_inside_china_are_within_a_centimetre(lon: float, lat: float) -> None:
    assert (
        metres_between((lon, lat), coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))) < 0.01
    )
    assert metres_between((lon, lat), coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat))) < 0.01
    assert metres_between((lon, lat), coords.bd09_to_gcj02(*coords.gcj02_to_bd09(lon, lat))) < 0.01


@pytest.mark.parametrize(
    "point",
    [(2.3522, 48.8566), (24.9384, 60.1699), (-74.006, 40.7128), (139.6917, 35.6895), (0.0, 0.0)],
)
def test_gcj02_is_wgs84_outside_china(point: tuple[float, float]) -> None:
    assert coords.out_of_china(*point)
    assert coords.wgs84_to_gcj02(*point) == point
    assert coords.gcj02_to_wgs84(*point) == point
    bd = coords.wgs84_to_bd09(*point)
    assert metres_between(point, coords.bd09_to_wgs84(*bd)) < 0.01


def test_out_of_china_box() -> None:
    assert not coords.out_of_china(*YUNYANG)
    assert not coords.out_of_china(116.39, 39.91)  # Beijing
    assert coords.out_of_china(72.0, 30.0)
    assert coords.out_of_china(110.0, 56.0)


def test_array_versions_match_the_scalar_ones() -> None:
    rng = np.random.default_rng(7)
    lons = rng.uniform(75, 134, 500)
    lats = rng.uniform(18, 53, 500)
    lons[:3], lats[:3] = (2.35, -74.0, 24.9), (48.86, 40.71, 60.17)  # some outside China
    for array_fn, scalar_fn in [
        (coords.wgs84_to_gcj02_array, coords.wgs84_to_gcj02),
        (coords.gcj02_to_wgs84_array, coords.gcj02_to_wgs84),
        (coords.wgs84_to_bd09_array, coords.wgs84_to_bd09),
        (coords.bd09_to_wgs84_array, coords.bd09_to_wgs84),
    ]:
        out_lons, out_lats = array_fn(lons, lats)
        for i in (0, 1, 2, 100, 499):
            assert (out_lons[i], out_lats[i]) == pytest.approx(
                scalar_fn(lons[i], lats[i]), abs=1e-9
            )


def test_array_shapes_must_match() -> None:
    with pytest.raises(ValueError, match="shape"):
        coords.wgs84_to_gcj02_array([1.0, 2.0], [1.0])


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_amap_link_carries_gcj02_coordinates() -> None:
    officer = (108.712, 30.941)
    url = coords.amap_navigation_url(*YUNYANG, "云阳县检察院", origin=officer, origin_name="王警官")
    assert url.startswith("https://uri.amap.com/navigation?")
    query = _query(url)
    gcj_lon, gcj_lat = coords.wgs84_to_gcj02(*YUNYANG)
    assert query["to"] == f"{gcj_lon:.6f},{gcj_lat:.6f},云阳县检察院"
    from_lon, from_lat = coords.wgs84_to_gcj02(*officer)
    assert query["from"] == f"{from_lon:.6f},{from_lat:.6f},王警官"
    assert query["mode"] == "car"
    assert query["callnative"] == "1"


def test_amap_link_without_origin_starts_from_the_phone() -> None:
    query = _query(coords.amap_navigation_url(*YUNYANG, "a, b"))
    assert "from" not in query
    assert query["to"].endswith(",a  b")  # the comma would have ended the name field


def test_baidu_link_carries_bd09_coordinates() -> None:
    officer = (108.712, 30.941)
    url = coords.baidu_navigation_url(*YUNYANG, "事故|现场", origin=officer)
    assert url.startswith("https://api.map.baidu.com/direction?")
    query = _query(url)
    bd_lon, bd_lat = coords.wgs84_to_bd09(*YUNYANG)
    assert query["destination"] == f"latlng:{bd_lat:.6f},{bd_lon:.6f}|name:事故 现场"
    from_lon, from_lat = coords.wgs84_to_bd09(*officer)
    assert query["origin"] == f"latlng:{from_lat:.6f},{from_lon:.6f}|name:我的位置"
    assert query["coord_type"] == "bd09ll"
    assert query["mode"] == "driving"
    assert query["output"] == "html"


def test_baidu_link_without_origin_is_a_marker() -> None:
    url = coords.baidu_navigation_url(*YUNYANG, "检察院")
    assert url.startswith("https://api.map.baidu.com/marker?")
    query = _query(url)
    bd_lon, bd_lat = coords.wgs84_to_bd09(*YUNYANG)
    assert query["location"] == f"{bd_lat:.6f},{bd_lon:.6f}"
    assert query["title"] == "检察院"
    assert query["coord_type"] == "bd09ll"
