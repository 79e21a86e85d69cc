"""Conversions between WGS-84 (GPS, what we store), GCJ-02 (Amap, Tencent) and BD-09 (Baidu).

We store WGS-84 everywhere and convert only at the edges: map display with Chinese tile providers
and navigation links. The GCJ-02 offset is a published, deterministic formula on the Krasovsky
ellipsoid (constants as in `reference/DOMAIN.md` §4); BD-09 is GCJ-02 plus a further rotation and
shift. Neither has a closed-form inverse, so the inverses iterate the forward formula until its
image lands within `_INVERSE_TOLERANCE_DEG` of the given point (~1 µm).

GCJ-02 is applied only inside China's rough bounding box; outside it GCJ-02 equals WGS-84. The
BD-09 step is applied wherever it is asked for, since it is defined from GCJ-02 alone.

Every function takes and returns (lon, lat) in degrees. The `*_array` variants take and return numpy
arrays and are what the scalar functions call, so there is one implementation of each formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import quote, urlencode

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patrolgrid.geo.network import LonLat

FloatArray = NDArray[np.float64]
_Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

# Krasovsky 1940 ellipsoid, which the GCJ-02 formula is defined on.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323

# China's rough bounding box: outside it GCJ-02 is WGS-84 unchanged.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

_BD_X_PI = math.pi * 3000.0 / 180.0
_BD_LON_SHIFT = 0.0065
_BD_LAT_SHIFT = 0.006

_INVERSE_TOLERANCE_DEG = 1e-11
_INVERSE_MAX_ITERATIONS = 20  # each iteration gains ~2 digits; 4-5 are enough in practice


def _as_arrays(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_array = np.asarray(lons, dtype=np.float64)
    lat_array = np.asarray(lats, dtype=np.float64)
    if lon_array.shape != lat_array.shape:
        raise ValueError(f"lons {lon_array.shape} and lats {lat_array.shape} differ in shape")
    return lon_array, lat_array


def out_of_china_array(lons: ArrayLike, lats: ArrayLike) -> NDArray[np.bool_]:
    lon_array, lat_array = _as_arrays(lons, lats)
    inside = (
        (lon_array >= _CHINA_LON[0])
        & (lon_array <= _CHINA_LON[1])
        & (lat_array >= _CHINA_LAT[0])
        & (lat_array <= _CHINA_LAT[1])
    )
    return np.logical_not(inside)


def out_of_china(lon: float, lat: float) -> bool:
    return bool(out_of_china_array(lon, lat))


def _gcj02_offset(lons: FloatArray, lats: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 shift (degrees) for WGS-84 points, zero outside China."""
    x = lons - 105.0
    y = lats - 35.0
    pi = math.pi
    shared = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    lat_metres = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + shared
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    lon_metres = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + shared
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    # Turn the "metres" above into degrees with the Krasovsky meridian and parallel radii.
    lat_rad = np.radians(lats)
    w = 1.0 - _KRASOVSKY_EE * np.sin(lat_rad) ** 2
    meridian_radius = _KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) / (w * np.sqrt(w))
    parallel_radius = _KRASOVSKY_A / np.sqrt(w) * np.cos(lat_rad)
    dlat = lat_metres * 180.0 / (meridian_radius * pi)
    dlon = lon_metres * 180.0 / (parallel_radius * pi)
    outside = out_of_china_array(lons, lats)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02_array(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_array, lat_array = _as_arrays(lons, lats)
    dlon, dlat = _gcj02_offset(lon_array, lat_array)
    return lon_array + dlon, lat_array + dlat


def gcj02_to_bd09_array(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = _as_arrays(lons, lats)
    radius = np.hypot(x, y) + 0.00002 * np.sin(y * _BD_X_PI)
    angle = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return radius * np.cos(angle) + _BD_LON_SHIFT, radius * np.sin(angle) + _BD_LAT_SHIFT


def _bd09_to_gcj02_first_guess(lons: FloatArray, lats: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The usual closed-form approximate inverse (off by up to ~2e-6 degrees, ~0.2 m)."""
    x = lons - _BD_LON_SHIFT
    y = lats - _BD_LAT_SHIFT
    radius = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    angle = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return radius * np.cos(angle), radius * np.sin(angle)


def wgs84_to_bd09_array(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return gcj02_to_bd09_array(*wgs84_to_gcj02_array(lons, lats))


def _invert(
    forward: _Forward,
    target_lons: FloatArray,
    target_lats: FloatArray,
    guess_lons: FloatArray,
    guess_lats: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(p) = target by fixed-point iteration p <- p - (forward(p) - target).

    It converges because both offsets vary slowly with position (derivatives below ~1e-2): each
    step shrinks the error about a hundredfold.
    """
    lons, lats = guess_lons.copy(), guess_lats.copy()
    for _ in range(_INVERSE_MAX_ITERATIONS):
        image_lons, image_lats = forward(lons, lats)
        error_lons = image_lons - target_lons
        error_lats = image_lats - target_lats
        lons -= error_lons
        lats -= error_lats
        worst = max(
            float(np.max(np.abs(error_lons), initial=0.0)),
            float(np.max(np.abs(error_lats), initial=0.0)),
        )
        if worst < _INVERSE_TOLERANCE_DEG:
            break
    return lons, lats


def gcj02_to_wgs84_array(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_array, lat_array = _as_arrays(lons, lats)
    # Subtracting the offset measured at the GCJ point is already within ~6 m.
    dlon, dlat = _gcj02_offset(lon_array, lat_array)
    return _invert(wgs84_to_gcj02_array, lon_array, lat_array, lon_array - dlon, lat_array - dlat)


def bd09_to_gcj02_array(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_array, lat_array = _as_arrays(lons, lats)
    guess_lons, guess_lats = _bd09_to_gcj02_first_guess(lon_array, lat_array)
    return _invert(gcj02_to_bd09_array, lon_array, lat_array, guess_lons, guess_lats)


def bd09_to_wgs84_array(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return gcj02_to_wgs84_array(*bd09_to_gcj02_array(lons, lats))


def _scalar(convert: _Forward, lon: float, lat: float) -> LonLat:
    out_lons, out_lats = convert(
        np.array([lon], dtype=np.float64), np.array([lat], dtype=np.float64)
    )
    return float(out_lons[0]), float(out_lats[0])


def wgs84_to_gcj02(lon: float, lat: float) -> LonLat:
    return _scalar(wgs84_to_gcj02_array, lon, lat)


def gcj02_to_wgs84(lon: float, lat: float) -> LonLat:
    return _scalar(gcj02_to_wgs84_array, lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> LonLat:
    return _scalar(gcj02_to_bd09_array, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> LonLat:
    return _scalar(bd09_to_gcj02_array, lon, lat)


def wgs84_to_bd09(lon: float, lat: float) -> LonLat:
    return _scalar(wgs84_to_bd09_array, lon, lat)


def bd09_to_wgs84(lon: float, lat: float) -> LonLat:
    return _scalar(bd09_to_wgs84_array, lon, lat)


# --- Navigation links -----------------------------------------------------------------------
#
# Both are the providers' public "URI API" web links: they open the provider's web map (or its app
# on a phone) with a driving route. No API key is needed. Coordinates are rounded to 6 decimals
# (~0.1 m), the precision the providers' documentation asks for.

_NAV_DECIMALS = 6


def _fmt(value: float) -> str:
    return f"{value:.{_NAV_DECIMALS}f}"


def amap_navigation_url(
    lon: float,
    lat: float,
    name: str,
    *,
    origin: LonLat | None = None,
    origin_name: str = "我的位置",
    src: str = "patrolgrid",
) -> str:
    """A driving-route link in Amap (高德) to the WGS-84 point (lon, lat).

    Amap URI API, route planning (lbs.amap.com/api/uri-api/guide/travel/route):
    `https://uri.amap.com/navigation` with `from`/`to` = "lon,lat[,name]" in GCJ-02 (the documented
    default coordinate system), `mode=car`, `policy=0` (recommended route), `src` (caller id) and
    `callnative=1` (open the Amap app when installed). Without `from` the phone's current position
    is the start.
    """
    to_lon, to_lat = wgs84_to_gcj02(lon, lat)
    params: dict[str, str] = {}
    if origin is not None:
        from_lon, from_lat = wgs84_to_gcj02(*origin)
        params["from"] = f"{_fmt(from_lon)},{_fmt(from_lat)},{_amap_name(origin_name)}"
    params["to"] = f"{_fmt(to_lon)},{_fmt(to_lat)},{_amap_name(name)}"
    params.update(mode="car", policy="0", src=src, callnative="1")
    return "https://uri.amap.com/navigation?" + urlencode(params, safe=",", quote_via=quote)


def _amap_name(name: str) -> str:
    return name.replace(",", " ")  # a comma would end the name field


def baidu_navigation_url(
    lon: float,
    lat: float,
    name: str,
    *,
    origin: LonLat | None = None,
    origin_name: str = "我的位置",
    src: str = "webapp.patrolgrid.patrolgrid",
) -> str:
    """A driving-route link in Baidu Maps (百度地图) to the WGS-84 point (lon, lat).

    Baidu URI API, web (lbsyun.baidu.com, "uri/api/web"): `https://api.map.baidu.com/direction` with
    `origin`/`destination` = "latlng:lat,lng|name:…" (latitude first), `mode=driving`,
    `coord_type=bd09ll` (we convert to BD-09 ourselves), `output=html` (required for the web map)
    and `src` ("webapp.company.app"). The web service requires an origin; without one we link the
    documented marker page (`/marker`: `location`, `title`, `content`) instead, from which the
    user starts navigation.
    """
    to_lon, to_lat = wgs84_to_bd09(lon, lat)
    common = {"coord_type": "bd09ll", "output": "html", "src": src}
    if origin is None:
        params = {
            "location": f"{_fmt(to_lat)},{_fmt(to_lon)}",
            "title": _baidu_name(name),
            "content": _baidu_name(name),
            **common,
        }
        return "https://api.map.baidu.com/marker?" + urlencode(params, safe=",:|", quote_via=quote)
    from_lon, from_lat = wgs84_to_bd09(*origin)
    params = {
        "origin": f"latlng:{_fmt(from_lat)},{_fmt(from_lon)}|name:{_baidu_name(origin_name)}",
        "destination": f"latlng:{_fmt(to_lat)},{_fmt(to_lon)}|name:{_baidu_name(name)}",
        "mode": "driving",
        **common,
    }
    return "https://api.map.baidu.com/direction?" + urlencode(params, safe=",:|", quote_via=quote)


def _baidu_name(name: str) -> str:
    return name.replace("|", " ")  # "|" separates the fields of a Baidu place
