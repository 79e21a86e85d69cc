"""Camera API (`/api/cameras`: registry, import, export), the hub's `cameras` topic and the
`/media/` folder."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Query, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.cameras import files, flows, service
from patrolgrid.cameras.media import MEDIA_MOUNT, MediaFiles
from patrolgrid.cameras.models import CameraIn, CameraList, CameraOut, CameraUpdate, ImportResult
from patrolgrid.core.auth import Perm, Principal, requires
from patrolgrid.core.db import Database, RowId, get_session
from patrolgrid.core.realtime import Hub
from patrolgrid.core.web import XLSX, BusDep

router = APIRouter(prefix="/api/cameras", tags=["cameras"])
Session = Annotated[AsyncSession, Depends(get_session)]
Reader = Annotated[Principal, Depends(requires(Perm.cameras_read))]
Manager = Annotated[Principal, Depends(requires(Perm.cameras_manage))]


@router.get("")
async def list_cameras(
    session: Session,
    _: Reader,
    q: Annotated[str | None, Query(max_length=50)] = None,
    squadron_id: RowId | None = None,
    enabled: bool | None = None,
) -> CameraList:
    cameras = await service.list_cameras(session, q=q, squadron_id=squadron_id, enabled=enabled)
    return CameraList(items=[CameraOut.of(c) for c in cameras])


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {},
                XLSX: {},
            }
        }
    },
)
async def export_cameras(
    session: Session, _: Reader, format: Literal["csv", "xlsx"] = "csv"
) -> Response:
    cameras = await service.list_cameras(session)
    media = "text/csv; charset=utf-8" if format == "csv" else XLSX
    return Response(
        files.export_cameras(cameras, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="cameras.{format}"'},
    )


@router.post("/import")
async def import_cameras(
    session: Session,
    bus: BusDep,
    principal: Manager,
    file: Annotated[UploadFile, File()],
    coords: files.CoordSystem = files.CoordSystem.wgs84,
) -> ImportResult:
    """CSV or XLSX; `coords` names the file's coordinate system (stored as WGS-84)."""
    content = await file.read(files.MAX_BYTES + 1)
    count = await flows.import_cameras(
        session, bus, file.filename or "", content, principal.actor, coords
    )
    return ImportResult(imported=count)


@router.post("", status_code=201)
async def create_camera(
    body: CameraIn, session: Session, bus: BusDep, principal: Manager
) -> CameraOut:
    return CameraOut.of(await flows.create_camera(session, bus, body, principal.actor))


@router.get("/{camera_id}")
async def get_camera(camera_id: RowId, session: Session, _: Reader) -> CameraOut:
    camera = await service.get_camera(session, camera_id)
    if camera is None:
        raise flows.CAMERA_NOT_FOUND
    return CameraOut.of(camera)


@router.patch("/{camera_id}")
async def update_camera(
    camera_id: RowId, body: CameraUpdate, session: Session, bus: BusDep, principal: Manager
) -> CameraOut:
    return CameraOut.of(await flows.update_camera(session, bus, camera_id, body, principal.actor))


@router.delete("/{camera_id}", status_code=204)
async def delete_camera(
    camera_id: RowId, session: Session, bus: BusDep, principal: Manager
) -> None:
    await flows.delete_camera(session, bus, camera_id, principal.actor)


def mount_media(app: FastAPI) -> None:
    """`/media/` from the configured media folder (before the web app's catch-all mount)."""
    app.mount(MEDIA_MOUNT, MediaFiles(app.state.settings.resolved_media_dir), name="media")


def register_realtime(hub: Hub, db: Database) -> None:
    """The `cameras` topic: a new subscriber first gets every camera, then the changes."""

    async def snapshot(_: Principal) -> dict[str, Any]:
        async with db.sessions() as session:
            cameras = await service.list_cameras(session)
        return {"items": [CameraOut.of(c).model_dump(mode="json") for c in cameras]}

    hub.register_topic(flows.TOPIC, Perm.cameras_read, snapshot=snapshot)
