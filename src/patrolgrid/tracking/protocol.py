"""The OsmAnd / Traccar Client protocol and our app's position messages, parsed into reports.

Validation is deliberately plain Python (no pydantic) because this is the hot path: every phone
reports every few seconds. Every field that fails gives `tracking.bad_position` naming the field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from patrolgrid.core.errors import AppError

KNOTS_TO_KMH = 1.852
MS_TO_KMH = 3.6
MAX_SPEED_KMH = 400.0  # faster than any road vehicle: a broken fix, not a car
MAX_FUTURE = dt.timedelta(minutes=5)
# Unix seconds this large are really milliseconds (2286-11-20 in seconds).
_MILLIS_THRESHOLD = 10_000_000_000


@dataclass(frozen=True, slots=True)
class RawReport:
    """One position as a device sent it, checked, before we know whose device it is."""

    identifier: str
    ts: dt.datetime
    lon: float
    lat: float
    speed_kmh: float | None = None
    heading: float | None = None
    altitude: float | None = None
    accuracy_m: float | None = None
    battery: float | None = None  # 0..1
    alarm: str | None = None


def bad(field: str, zh: str, en: str) -> AppError:
    return AppError(
        400,
        "tracking.bad_position",
        f"位置数据无效: {zh}",
        f"Invalid position: {en}",
        {"field": field},
    )


def _number(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise bad(field, f"{field} 不是数字", f"{field} is not a number") from None
    if not math.isfinite(number):
        raise bad(field, f"{field} 不是有限数值", f"{field} is not finite")
    return number


def _required(value: Any, field: str) -> float:
    number = _number(value, field)
    if number is None:
        raise bad(field, f"缺少 {field}", f"{field} is missing")
    return number


def parse_timestamp(value: Any, now: dt.datetime) -> dt.datetime:
    """Unix seconds, unix milliseconds, or ISO-8601; absent means now (as Traccar does)."""
    if value is None or value == "":
        return now
    ts: dt.datetime
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        seconds = float(value)
        if not math.isfinite(seconds) or seconds < 0:
            raise bad("timestamp", "时间戳无效", "timestamp is invalid")
        if seconds >= _MILLIS_THRESHOLD:
            seconds /= 1000.0
        try:
            ts = dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise bad("timestamp", "时间戳超出范围", "timestamp out of range") from None
    elif isinstance(value, str):
        try:
            ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise bad("timestamp", "时间格式无法识别", "timestamp format not recognised") from None
        ts = ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)
    else:
        raise bad("timestamp", "时间戳无效", "timestamp is invalid")
    if ts - now > MAX_FUTURE:
        raise bad("timestamp", "时间超前超过 5 分钟", "timestamp more than 5 minutes ahead")
    return ts


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def checked(
    identifier: Any,
    ts: dt.datetime,
    lat: float,
    lon: float,
    *,
    speed_kmh: float | None = None,
    heading: float | None = None,
    altitude: float | None = None,
    accuracy_m: float | None = None,
    battery: float | None = None,
    alarm: Any = None,
) -> RawReport:
    if not isinstance(identifier, str | int) or not str(identifier).strip():
        raise bad("id", "缺少设备标识", "device id is missing")
    if not -90.0 <= lat <= 90.0:
        raise bad("lat", "纬度超出 -90~90", "latitude outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise bad("lon", "经度超出 -180~180", "longitude outside -180..180")
    if speed_kmh is not None and not 0.0 <= speed_kmh <= MAX_SPEED_KMH:
        raise bad("speed", "速度不合理", "speed is implausible")
    if heading is not None and not 0.0 <= heading <= 360.0:
        raise bad("heading", "方向应在 0~360", "heading outside 0..360")
    if accuracy_m is not None and accuracy_m < 0:
        raise bad("accuracy", "精度不能为负", "accuracy is negative")
    if battery is not None and not 0.0 <= battery <= 1.0:
        raise bad("batt", "电量超出范围", "battery level out of range")
    return RawReport(
        identifier=str(identifier).strip()[:64],
        ts=ts,
        lon=lon,
        lat=lat,
        speed_kmh=speed_kmh,
        heading=heading,
        altitude=altitude,
        accuracy_m=accuracy_m,
        battery=battery,
        alarm=str(alarm)[:20].lower() if alarm else None,
    )


def from_params(params: Mapping[str, str], now: dt.datetime) -> RawReport:
    """The query-string / form variant: id|deviceid, lat, lon or location=lat,lon, ..."""
    identifier = params.get("id") or params.get("deviceid")
    if "location" in params and ("lat" not in params or "lon" not in params):
        parts = params["location"].split(",")
        if len(parts) != 2:
            raise bad("location", "location 应为 纬度,经度", "location must be lat,lon")
        lat, lon = _required(parts[0], "lat"), _required(parts[1], "lon")
    else:
        lat, lon = _required(params.get("lat"), "lat"), _required(params.get("lon"), "lon")
    speed = _number(params.get("speed"), "speed")
    battery = _number(params.get("batt"), "batt")
    return checked(
        identifier,
        parse_timestamp(params.get("timestamp"), now),
        lat,
        lon,
        speed_kmh=None if speed is None else speed * KNOTS_TO_KMH,
        heading=_number(params.get("bearing") or params.get("heading"), "heading"),
        altitude=_number(params.get("altitude"), "altitude"),
        accuracy_m=_number(params.get("accuracy"), "accuracy"),
        battery=None if battery is None else battery / 100.0,
        alarm=params.get("alarm"),
    )


def from_traccar_json(body: Any, now: dt.datetime) -> RawReport:
    """One Traccar Client 9+ JSON body:
    {device_id, location: {timestamp, coords, battery: {level}, extras: {alarm}}}."""
    if not isinstance(body, dict):
        raise bad("body", "JSON 应为对象", "JSON body must be an object")
    location = body.get("location")
    if not isinstance(location, dict) or not isinstance(location.get("coords"), dict):
        raise bad("location", "缺少 location.coords", "location.coords is missing")
    battery_info = location.get("battery")
    level = _number(battery_info.get("level"), "batt") if isinstance(battery_info, dict) else None
    extras = location.get("extras")
    return _from_coords(
        body.get("device_id"),
        location.get("timestamp"),
        location["coords"],
        now,
        battery=None if level is None or level < 0 else level,
        alarm=extras.get("alarm") if isinstance(extras, dict) else None,
    )


def from_app_message(message: Mapping[str, Any], now: dt.datetime) -> RawReport:
    """Our officer app's WebSocket message: {identifier, coords, timestamp (ms), battery}."""
    coords = message.get("coords")
    if not isinstance(coords, dict):
        raise bad("coords", "缺少 coords", "coords is missing")
    return _from_coords(
        message.get("identifier"),
        message.get("timestamp"),
        coords,
        now,
        battery=_number(message.get("battery"), "batt"),
    )


def _from_coords(
    identifier: Any,
    timestamp: Any,
    coords: dict[str, Any],
    now: dt.datetime,
    battery: float | None,
    alarm: Any = None,
) -> RawReport:
    """The W3C Geolocation `coords` shape both the app and Traccar Client 9 send."""
    speed = _number(coords.get("speed"), "speed")
    heading = _number(coords.get("heading"), "heading")
    return checked(
        identifier,
        parse_timestamp(timestamp, now),
        _required(coords.get("latitude"), "lat"),
        _required(coords.get("longitude"), "lon"),
        # Phones report -1 for an unknown speed or heading.
        speed_kmh=None if speed is None or speed < 0 else speed * MS_TO_KMH,
        heading=None if heading is None or heading < 0 else heading,
        altitude=_number(coords.get("altitude"), "altitude"),
        accuracy_m=_number(coords.get("accuracy"), "accuracy"),
        battery=battery,
        alarm=alarm,
    )
