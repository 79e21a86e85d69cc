"""Tracking API: OsmAnd ingest, devices, live state, history and alarms."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from patrolgrid.core.auth import Perm, Principal, requires
from patrolgrid.core.auth.deps import PERMISSION_MARKER, PUBLIC
from patrolgrid.core.db import RowId, get_session, utcnow
from patrolgrid.core.errors import AppError, not_found
from patrolgrid.core.jsonutil import JSONResponse, loads
from patrolgrid.core.realtime import Hub
from patrolgrid.org import service as org_service
from patrolgrid.tracking import files, protocol, service
from patrolgrid.tracking.flows import Tracking
from patrolgrid.tracking.ingest import TOPIC
from patrolgrid.tracking.models import (
    AlarmList,
    AlarmOut,
    DeviceIn,
    DeviceList,
    DeviceOut,
    DeviceUpdate,
    LivePeople,
    LivePerson,
    SelfDeviceIn,
    SelfDeviceOut,
    Status,
    StatusIn,
    Track,
    TrackPoint,
)

router = APIRouter(tags=["tracking"])
Session = Annotated[AsyncSession, Depends(get_session)]
LiveReader = Annotated[Principal, Depends(requires(Perm.tracking_read))]
DeviceAdmin = Annotated[Principal, Depends(requires(Perm.devices_manage))]
Self = Annotated[Principal, Depends(requires(Perm.self_read))]
MAX_BODY = 256 * 1024
MAX_BATCH = 500


def _tracking(request: Request) -> Tracking:
    tracking: Tracking = request.app.state.tracking
    return tracking


TrackingDep = Annotated[Tracking, Depends(_tracking)]


def _content_type(scope: Scope) -> str:
    name: bytes
    value: bytes
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1")
    return ""


async def _read_body(receive: Receive) -> bytes:
    """The whole request body, refusing more than MAX_BODY as it streams in."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise AppError(400, "tracking.bad_position", "请求未完整发送", "Request incomplete")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise AppError(413, "payload_too_large", "上传内容过大", "Payload too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def parse_osmand(scope: Scope, receive: Receive) -> list[protocol.RawReport]:
    """Query string, form body, or Traccar Client JSON (one object or an array)."""
    now = utcnow()
    query = scope["query_string"]
    if query:
        # As Starlette reads a query string (latin-1, blanks kept, the last of a repeated
        # name wins), without building its multi-dict for one lookup per field.
        params = dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        if params:
            return [protocol.from_params(params, now)]
    body = await _read_body(receive)
    if "json" in _content_type(scope) or body.lstrip()[:1] in (b"{", b"["):
        try:
            document = loads(body)
        except ValueError:
            raise protocol.bad("body", "JSON 格式错误", "malformed JSON") from None
        items = document if isinstance(document, list) else [document]
        if not items or len(items) > MAX_BATCH:
            raise protocol.bad(
                "body",
                f"一次应上报 1-{MAX_BATCH} 个位置",
                f"send 1 to {MAX_BATCH} positions at once",
            )
        return [protocol.from_traccar_json(item, now) for item in items]
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
    except (UnicodeDecodeError, ValueError):
        raise protocol.bad("body", "表单格式错误", "malformed form body") from None
    return [protocol.from_params(form, now)]


class OsmAndEndpoint:
    """The OsmAnd / Traccar Client protocol as a bare ASGI app: `200` with an empty body once
    the reports are stored; errors are raised as `AppError` for the app's handlers to answer
    with the envelope.

    This is the hottest endpoint (every phone, every few seconds), so it is served by a plain
    Starlette route placed ahead of FastAPI's routes (`osmand_route`), and on the OsmAnd port,
    rather than by a FastAPI route: no route table walk, no dependency solving, no Request or
    Response objects. In-process, with the ingest stubbed out, a report took ~94 µs through
    FastAPI's route and takes ~18 µs through this one; `bench/tracking.py` single GETs went
    from ~2,900 to ~5,200 positions/s. The FastAPI routes below document it in OpenAPI and are
    shadowed by it.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in OSMAND_METHODS:
            raise AppError(
                405,
                "method_not_allowed",
                "不支持该请求方法",
                "Method not allowed",
                headers={"Allow": ", ".join(OSMAND_METHODS)},
            )
        tracking: Tracking = scope["app"].state.tracking
        await tracking.ingest(await parse_osmand(scope, receive))
        await send({"type": "http.response.start", "status": 200, "headers": _EMPTY_HEADERS})
        await send({"type": "http.response.body", "body": b""})


OSMAND_METHODS = ("GET", "POST")
_EMPTY_HEADERS = [(b"content-length", b"0")]
osmand_endpoint = OsmAndEndpoint()


def osmand_route(path: str = "/osmand") -> Route:
    """The plain Starlette route that serves the protocol (put it first in the route table).

    Public: devices identify themselves by their registered identifier, as the OsmAnd protocol
    does; unknown identifiers are refused. HEAD is not taken (Starlette adds it to GET routes):
    a report is not a read."""
    route = Route(path, osmand_endpoint, methods=OSMAND_METHODS, name="osmand_ingest")
    route.include_in_schema = False
    route.methods = set(OSMAND_METHODS)
    return route


# ---- the OpenAPI description of /osmand (shadowed by osmand_route) ----------------------------

_NUMBER = {"type": "number"}
_STRING = {"type": "string"}
_OSMAND_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }
    for name, schema, description in [
        ("id", _STRING, "Device identifier as registered (Traccar Client's device identifier)"),
        ("deviceid", _STRING, "Same as `id`"),
        ("lat", _NUMBER, "Latitude, WGS-84 degrees"),
        ("lon", _NUMBER, "Longitude, WGS-84 degrees"),
        ("location", _STRING, "`lat,lon` instead of `lat` and `lon`"),
        ("timestamp", _STRING, "Unix seconds, unix milliseconds or ISO-8601; absent: now"),
        ("speed", _NUMBER, "Speed in knots"),
        ("bearing", _NUMBER, "Heading, degrees 0-360"),
        ("heading", _NUMBER, "Same as `bearing`"),
        ("altitude", _NUMBER, "Metres"),
        ("accuracy", _NUMBER, "Metres"),
        ("batt", _NUMBER, "Battery, percent"),
        ("alarm", _STRING, "`sos` raises an SOS"),
    ]
]
_FORM_SCHEMA = {
    "type": "object",
    "properties": {p["name"]: p["schema"] for p in _OSMAND_PARAMETERS},
}
_COORDS_SCHEMA = {
    "type": "object",
    "required": ["latitude", "longitude"],
    "properties": {
        "latitude": _NUMBER,
        "longitude": _NUMBER,
        "speed": {"type": "number", "description": "m/s; -1 unknown"},
        "heading": {"type": "number", "description": "degrees; -1 unknown"},
        "accuracy": _NUMBER,
        "altitude": _NUMBER,
    },
}
_TRACCAR_SCHEMA = {
    "type": "object",
    "description": "Traccar Client 9+ JSON body",
    "required": ["device_id", "location"],
    "properties": {
        "device_id": _STRING,
        "location": {
            "type": "object",
            "required": ["coords"],
            "properties": {
                "timestamp": {"type": "string", "description": "ISO-8601, or unix s/ms"},
                "coords": _COORDS_SCHEMA,
                "battery": {"type": "object", "properties": {"level": _NUMBER}},
                "extras": {"type": "object", "properties": {"alarm": _STRING}},
            },
        },
    },
}
_OSMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Stored (empty body)"},
    400: {"description": "`tracking.bad_position` (details name the field)"},
    404: {"description": "`tracking.unknown_device`: not registered or disabled"},
    413: {"description": "`payload_too_large`"},
    429: {"description": "`tracking.rate_limited`: over 10 reports/s (burst 50) per device"},
}
_OSMAND_DESCRIPTION = (
    "OsmAnd / Traccar Client protocol (also on `PATROLGRID_OSMAND_PORT` at `/`). Public: a "
    "device is known by its registered identifier. Answers `200` with an empty body once the "
    "position is stored; errors use the envelope."
)


@router.get(
    "/osmand",
    operation_id="osmand_report_query",
    summary="Report a position (OsmAnd query string)",
    description=_OSMAND_DESCRIPTION,
    response_class=Response,
    responses=_OSMAND_RESPONSES,
    openapi_extra={"parameters": _OSMAND_PARAMETERS},
)
async def osmand_get(request: Request) -> Response:
    return await _osmand_documented(request)


@router.post(
    "/osmand",
    operation_id="osmand_report_body",
    summary="Report positions (query string, form body, or Traccar Client JSON)",
    description=_OSMAND_DESCRIPTION
    + " The body is read only when the query string is empty; a JSON array carries 1-"
    + f"{MAX_BATCH} positions.",
    response_class=Response,
    responses=_OSMAND_RESPONSES,
    openapi_extra={
        "parameters": _OSMAND_PARAMETERS,
        "requestBody": {
            "required": False,
            "content": {
                "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
                "application/json": {
                    "schema": {
                        "oneOf": [
                            _TRACCAR_SCHEMA,
                            {
                                "type": "array",
                                "items": _TRACCAR_SCHEMA,
                                "minItems": 1,
                                "maxItems": MAX_BATCH,
                            },
                        ]
                    }
                },
            },
        },
    },
)
async def osmand_post(request: Request) -> Response:
    return await _osmand_documented(request)


async def _osmand_documented(request: Request) -> Response:
    """What the documented routes would do if `osmand_route` did not shadow them."""
    tracking: Tracking = request.app.state.tracking
    await tracking.ingest(await parse_osmand(request.scope, request.receive))
    return Response(status_code=200)


# The route-table test wants every endpoint to declare who may call it. Declared on the
# endpoints rather than as `dependencies=[Depends(public(...))]`: see `osmand_route`.
setattr(osmand_get, PERMISSION_MARKER, PUBLIC)
setattr(osmand_post, PERMISSION_MARKER, PUBLIC)


# ---- devices --------------------------------------------------------------------------------


@router.get("/api/tracking/devices")
async def list_devices(session: Session, _: DeviceAdmin) -> DeviceList:
    return DeviceList(items=await service.list_devices(session))


async def _device_out(session: AsyncSession, device_id: int) -> DeviceOut:
    device = await service.get_device(session, device_id)
    assert device is not None
    person = await org_service.get_person(session, device.person_id)
    assert person is not None  # devices.person_id is a foreign key
    return service.device_out(device, person)


@router.post("/api/tracking/devices", status_code=201)
async def create_device(
    body: DeviceIn, session: Session, tracking: TrackingDep, principal: DeviceAdmin
) -> DeviceOut:
    device = await tracking.create_device(session, body, principal.actor)
    return await _device_out(session, device.id)


@router.patch("/api/tracking/devices/{device_id}")
async def update_device(
    device_id: RowId,
    body: DeviceUpdate,
    session: Session,
    tracking: TrackingDep,
    principal: DeviceAdmin,
) -> DeviceOut:
    device = await tracking.update_device(session, device_id, body, principal.actor)
    return await _device_out(session, device.id)


@router.delete("/api/tracking/devices/{device_id}", status_code=204)
async def delete_device(
    device_id: RowId, session: Session, tracking: TrackingDep, principal: DeviceAdmin
) -> None:
    await tracking.delete_device(session, device_id, principal.actor)


@router.post("/api/tracking/devices/self", status_code=201)
async def register_own_device(
    body: SelfDeviceIn, session: Session, tracking: TrackingDep, principal: Self
) -> SelfDeviceOut:
    device, token = await tracking.register_own_device(session, principal, body)
    return SelfDeviceOut(device=await _device_out(session, device.id), token=token)


# ---- own state (the officer app) ------------------------------------------------------------


async def _own_person_id(session: AsyncSession, principal: Principal) -> int:
    person = await org_service.person_for_user(session, principal.user_id)
    if person is None:
        raise AppError(
            409, "tracking.no_person", "该账号未关联人员", "This account is not linked to a person"
        )
    return person.id


@router.get("/api/tracking/me")
async def my_state(session: Session, principal: Self) -> LivePerson:
    person_id = await _own_person_id(session, principal)
    (me,) = await service.live_people(session, person_id)
    return me


@router.post("/api/tracking/me/status")
async def set_my_status(
    body: StatusIn, session: Session, tracking: TrackingDep, principal: Self
) -> LivePerson:
    person_id = await _own_person_id(session, principal)
    await tracking.set_status(session, person_id, body.status, principal.actor)
    (me,) = await service.live_people(session, person_id)
    return me


# ---- the console ----------------------------------------------------------------------------


@router.get("/api/tracking/people")
async def live_people(session: Session, _: LiveReader) -> LivePeople:
    return LivePeople(items=await service.live_people(session))


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _range(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """Default: the last two hours; naive times are taken as UTC."""
    finish = _utc(end) if end else utcnow()
    begin = _utc(start) if start else finish - dt.timedelta(hours=2)
    if begin >= finish or finish - begin > dt.timedelta(days=31):
        raise AppError(
            422,
            "tracking.bad_range",
            "时间范围无效(开始应早于结束,最长 31 天)",
            "Invalid time range (start before end, at most 31 days)",
        )
    return begin, finish


async def _track_points(
    session: AsyncSession, person_id: int, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[str, list[Any]]:
    person = await org_service.get_person(session, person_id)
    if person is None:
        raise not_found("人员", "Person", "org.person_not_found")
    begin, finish = _range(start, end)
    return person.name, await service.track(session, person_id, begin, finish)


@router.get("/api/tracking/people/{person_id}/track")
async def track(
    person_id: RowId,
    session: Session,
    _: LiveReader,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> Track:
    _name, points = await _track_points(session, person_id, start, end)
    return Track(
        person_id=person_id,
        points=[
            TrackPoint(
                ts=p.ts,
                lon=p.lon,
                lat=p.lat,
                speed_kmh=p.speed_kmh,
                heading=p.heading,
                accuracy_m=p.accuracy_m,
            )
            for p in points
        ],
    )


@router.get(
    "/api/tracking/people/{person_id}/track.gpx",
    response_class=Response,
    responses={200: {"content": {"application/gpx+xml": {}}}},
)
async def track_gpx(
    person_id: RowId,
    session: Session,
    _: LiveReader,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> Response:
    name, points = await _track_points(session, person_id, start, end)
    return Response(
        files.track_gpx(name, points),
        media_type="application/gpx+xml",
        headers={"Content-Disposition": f'attachment; filename="track-{person_id}.gpx"'},
    )


@router.get(
    "/api/tracking/people/{person_id}/track.geojson",
    response_class=JSONResponse,
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def track_geojson(
    person_id: RowId,
    session: Session,
    _: LiveReader,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> JSONResponse:
    name, points = await _track_points(session, person_id, start, end)
    return JSONResponse(
        files.track_geojson(person_id, name, points),
        media_type="application/geo+json",
        headers={"Content-Disposition": f'attachment; filename="track-{person_id}.geojson"'},
    )


@router.get("/api/tracking/alarms")
async def list_alarms(
    session: Session, _: LiveReader, active: Annotated[bool | None, Query()] = None
) -> AlarmList:
    return AlarmList(
        items=[AlarmOut.model_validate(a) for a in await service.list_alarms(session, active)]
    )


@router.post("/api/tracking/alarms/{alarm_id}/ack")
async def acknowledge_alarm(
    alarm_id: RowId, session: Session, tracking: TrackingDep, principal: LiveReader
) -> AlarmOut:
    return AlarmOut.model_validate(
        await tracking.acknowledge_alarm(session, alarm_id, principal.actor)
    )


# ---- the WebSocket side: the console's snapshot and the officer app's messages ----------------


def register_realtime(hub: Hub, tracking: Tracking) -> None:
    async def snapshot(_: Principal) -> dict[str, Any]:
        async with tracking.db.sessions() as session:
            return {"items": await service.live_rows(session)}

    async def position(principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
        raw = protocol.from_app_message(message, utcnow())
        _, person_id = await tracking.directory.resolve(raw.identifier)
        if person_id != await tracking.directory.person_of_user(principal.user_id):
            raise AppError(
                403,
                "tracking.not_your_device",
                "该设备不属于当前用户",
                "This device belongs to someone else",
            )
        await tracking.ingest([raw])
        return {"type": "ack"}

    async def status(principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
        try:
            wanted = Status(str(message.get("status")))
        except ValueError:
            raise AppError(422, "tracking.bad_status", "状态无效", "Unknown status") from None
        async with tracking.db.sessions() as session:
            person_id = await _own_person_id(session, principal)
            await tracking.set_status(session, person_id, wanted, principal.actor)
        return {"type": "ack", "status": wanted.value}

    hub.register_topic(TOPIC, Perm.tracking_read, snapshot=snapshot)
    hub.register_handler("position", Perm.self_read, position)
    hub.register_handler("status", Perm.self_read, status)
