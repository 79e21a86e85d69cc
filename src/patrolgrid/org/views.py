"""Organisation API: brigade, squadrons, people (CRUD, import, export)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core.auth import Perm, Principal, requires
from patrolgrid.core.db import MAX_ID, RowId, get_session
from patrolgrid.core.web import XLSX, BusDep
from patrolgrid.org import files, flows, service
from patrolgrid.org.models import (
    BrigadeOut,
    BrigadeUpdate,
    ImportResult,
    PersonIn,
    PersonKind,
    PersonOut,
    PersonPage,
    PersonUpdate,
    SquadronIn,
    SquadronList,
    SquadronOut,
    SquadronUpdate,
)

router = APIRouter(prefix="/api/org", tags=["org"])
Session = Annotated[AsyncSession, Depends(get_session)]
Reader = Annotated[Principal, Depends(requires(Perm.people_read))]
Writer = Annotated[Principal, Depends(requires(Perm.people_write))]


@router.get("/brigade")
async def get_brigade(
    session: Session, _: Annotated[Principal, Depends(requires(Perm.settings_read))]
) -> BrigadeOut:
    return BrigadeOut.model_validate(await flows.ensure_brigade(session))


@router.patch("/brigade")
async def update_brigade(
    body: BrigadeUpdate,
    session: Session,
    bus: BusDep,
    principal: Annotated[Principal, Depends(requires(Perm.settings_write))],
) -> BrigadeOut:
    return BrigadeOut.model_validate(
        await flows.update_brigade(session, bus, body, principal.actor)
    )


@router.get("/squadrons")
async def list_squadrons(session: Session, _: Reader) -> SquadronList:
    rows = await service.list_squadrons(session)
    return SquadronList(
        items=[SquadronOut(id=s.id, name=s.name, code=s.code, person_count=n) for s, n in rows]
    )


@router.post("/squadrons", status_code=201)
async def create_squadron(
    body: SquadronIn, session: Session, bus: BusDep, principal: Writer
) -> SquadronOut:
    squadron = await flows.create_squadron(session, bus, body, principal.actor)
    return SquadronOut(id=squadron.id, name=squadron.name, code=squadron.code)


@router.patch("/squadrons/{squadron_id}")
async def update_squadron(
    squadron_id: RowId, body: SquadronUpdate, session: Session, bus: BusDep, principal: Writer
) -> SquadronOut:
    squadron = await flows.update_squadron(session, bus, squadron_id, body, principal.actor)
    count = await service.count_people_in(session, squadron.id)
    return SquadronOut(id=squadron.id, name=squadron.name, code=squadron.code, person_count=count)


@router.delete("/squadrons/{squadron_id}", status_code=204)
async def delete_squadron(
    squadron_id: RowId, session: Session, bus: BusDep, principal: Writer
) -> None:
    await flows.delete_squadron(session, bus, squadron_id, principal.actor)


@router.get("/people")
async def list_people(
    session: Session,
    _: Reader,
    q: Annotated[str | None, Query(max_length=50)] = None,
    squadron_id: RowId | None = None,
    kind: PersonKind | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> PersonPage:
    people, total = await service.list_people(
        session,
        q=q,
        squadron_id=squadron_id,
        kind=kind,
        active=active,
        limit=limit,
        offset=offset,
    )
    return PersonPage(items=[PersonOut.of(p) for p in people], total=total)


@router.get(
    "/people/export",
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
async def export_people(
    session: Session, _: Reader, format: Literal["csv", "xlsx"] = "xlsx"
) -> Response:
    people, _total = await service.list_people(
        session, q=None, squadron_id=None, kind=None, active=None, limit=None, offset=0
    )
    media = "text/csv; charset=utf-8" if format == "csv" else XLSX
    return Response(
        files.export_people(people, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="people.{format}"'},
    )


@router.post("/people/import")
async def import_people(
    session: Session, bus: BusDep, principal: Writer, file: Annotated[UploadFile, File()]
) -> ImportResult:
    content = await file.read(files.MAX_BYTES + 1)
    count = await flows.import_people(session, bus, file.filename or "", content, principal.actor)
    return ImportResult(imported=count)


@router.post("/people", status_code=201)
async def create_person(
    body: PersonIn, session: Session, bus: BusDep, principal: Writer
) -> PersonOut:
    return PersonOut.of(await flows.create_person(session, bus, body, principal.actor))


@router.get("/people/me")
async def my_person(
    session: Session, principal: Annotated[Principal, Depends(requires(Perm.self_read))]
) -> PersonOut:
    person = await service.person_for_user(session, principal.user_id)
    if person is None:
        raise flows.PERSON_NOT_FOUND
    return PersonOut.of(person)


@router.get("/people/{person_id}")
async def get_person(person_id: RowId, session: Session, _: Reader) -> PersonOut:
    person = await service.get_person(session, person_id)
    if person is None:
        raise flows.PERSON_NOT_FOUND
    return PersonOut.of(person)


@router.patch("/people/{person_id}")
async def update_person(
    person_id: RowId, body: PersonUpdate, session: Session, bus: BusDep, principal: Writer
) -> PersonOut:
    return PersonOut.of(await flows.update_person(session, bus, person_id, body, principal.actor))


@router.delete("/people/{person_id}", status_code=204)
async def delete_person(person_id: RowId, session: Session, bus: BusDep, principal: Writer) -> None:
    await flows.delete_person(session, bus, person_id, principal.actor)
