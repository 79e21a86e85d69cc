"""Incidents API: the console's list, detail, recommendations, dispatch and metrics; the officer
app's own dispatches and field reports; and the hub's `incidents` topic."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core.auth import Perm, Principal, requires
from patrolgrid.core.db import RowId, get_session, utcnow
from patrolgrid.core.errors import AppError, not_found
from patrolgrid.core.realtime import Hub
from patrolgrid.core.uploads import MAX_PHOTO_BYTES
from patrolgrid.incidents import metrics, service
from patrolgrid.incidents.flows import INCIDENT_NOT_FOUND, TOPIC, Doer, Incidents
from patrolgrid.incidents.models import (
    DispatchIn,
    IncidentDetail,
    IncidentIn,
    IncidentPage,
    IncidentStatus,
    IncidentType,
    IncidentUpdate,
    MetricsOut,
    MyAssignment,
    MyAssignments,
    NoteIn,
    OfficerReportIn,
    OptionalNoteIn,
    PhotoOut,
    ReasonIn,
    ReassignIn,
    Recommendation,
)
from patrolgrid.org import service as org_service
from patrolgrid.org.models import Person

router = APIRouter(tags=["incidents"])
Session = Annotated[AsyncSession, Depends(get_session)]
Reader = Annotated[Principal, Depends(requires(Perm.incidents_read))]
Dispatcher = Annotated[Principal, Depends(requires(Perm.incidents_dispatch))]
Responder = Annotated[Principal, Depends(requires(Perm.incidents_respond))]
Anyone = Annotated[Principal, Depends(requires(Perm.self_read))]
MAX_METRIC_DAYS = 366


def _incidents(request: Request) -> Incidents:
    incidents: Incidents = request.app.state.incidents
    return incidents


Runtime = Annotated[Incidents, Depends(_incidents)]


def _doer(principal: Principal) -> Doer:
    return Doer(principal.actor, principal.display_name or principal.username)


async def _own_person(session: AsyncSession, principal: Principal) -> Person:
    person = await org_service.person_for_user(session, principal.user_id)
    if person is None:
        raise AppError(
            409,
            "incidents.no_person",
            "该账号未关联人员",
            "This account is not linked to a person",
        )
    return person


async def _detail(session: AsyncSession, incident_id: int) -> IncidentDetail:
    incident = await service.get_incident(session, incident_id)
    if incident is None:
        raise INCIDENT_NOT_FOUND
    return await service.incident_detail(session, incident, utcnow())


# ---- the console: reading ----------------------------------------------------------------------


@router.get("/api/incidents")
async def list_incidents(
    session: Session,
    _: Reader,
    status: Annotated[list[IncidentStatus] | None, Query()] = None,
    type: Annotated[list[IncidentType] | None, Query()] = None,
    squadron_id: RowId | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> IncidentPage:
    filters = service.Filters(
        status=[s.value for s in status or ()],
        type=[t.value for t in type or ()],
        squadron_id=squadron_id,
        active=active,
    )
    rows, total = await service.list_incidents(session, filters, limit, offset)
    assigned = await service.assignments_with_people(session, [i.id for i in rows])
    squadrons = await service.squadron_names(session)
    now = utcnow()
    return IncidentPage(
        items=[service.incident_out(i, assigned.get(i.id, []), squadrons, now) for i in rows],
        total=total,
    )


@router.get("/api/incidents/metrics")
async def incident_metrics(
    session: Session,
    _: Reader,
    group_by: metrics.GroupBy = metrics.GroupBy.day,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> MetricsOut:
    end = _aware(end) if end else utcnow()
    start = _aware(start) if start else end - dt.timedelta(days=30)
    if not start < end or end - start > dt.timedelta(days=MAX_METRIC_DAYS):
        raise AppError(
            422,
            "incidents.bad_range",
            f"时间范围须为正且不超过 {MAX_METRIC_DAYS} 天",
            f"The range must be positive and at most {MAX_METRIC_DAYS} days",
        )
    incidents = await service.incidents_created_between(session, start, end)
    squadrons = await service.squadron_names(session)
    return MetricsOut(
        group_by=group_by.value,
        start=start,
        end=end,
        groups=metrics.grouped(incidents, group_by, squadrons),
        total=metrics.group("all", "全部 / all", incidents),
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# ---- the officer app (declared before /{incident_id} so that "mine" is not read as an id) ---


@router.get("/api/incidents/mine")
async def my_assignments(session: Session, principal: Responder) -> MyAssignments:
    person = await _own_person(session, principal)
    now = utcnow()
    items = []
    for assignment in await service.own_assignments(session, person.id):
        incident = await service.get_incident(session, assignment.incident_id)
        assert incident is not None
        items.append(
            MyAssignment(
                assignment=service.assignment_out(assignment, person, now),
                incident=await service.incident_detail(session, incident, now),
            )
        )
    return MyAssignments(items=items)


@router.post("/api/incidents/report", status_code=201)
async def report_incident(
    body: OfficerReportIn, session: Session, runtime: Runtime, principal: Responder
) -> IncidentDetail:
    person = await _own_person(session, principal)
    incident = await runtime.report(session, person, body, _doer(principal))
    return await _detail(session, incident.id)


async def _step(
    session: AsyncSession,
    runtime: Incidents,
    principal: Principal,
    assignment_id: int,
    step: str,
    text: str = "",
) -> IncidentDetail:
    person = await _own_person(session, principal)
    incident = await runtime.step(session, assignment_id, person.id, step, _doer(principal), text)
    return await _detail(session, incident.id)


@router.post("/api/incidents/assignments/{assignment_id}/accept")
async def accept(
    assignment_id: RowId, session: Session, runtime: Runtime, principal: Responder
) -> IncidentDetail:
    return await _step(session, runtime, principal, assignment_id, "accept")


@router.post("/api/incidents/assignments/{assignment_id}/depart")
async def depart(
    assignment_id: RowId, session: Session, runtime: Runtime, principal: Responder
) -> IncidentDetail:
    return await _step(session, runtime, principal, assignment_id, "depart")


@router.post("/api/incidents/assignments/{assignment_id}/arrive")
async def arrive(
    assignment_id: RowId, session: Session, runtime: Runtime, principal: Responder
) -> IncidentDetail:
    return await _step(session, runtime, principal, assignment_id, "arrive")


@router.post("/api/incidents/assignments/{assignment_id}/decline")
async def decline(
    assignment_id: RowId,
    body: ReasonIn,
    session: Session,
    runtime: Runtime,
    principal: Responder,
) -> IncidentDetail:
    return await _step(session, runtime, principal, assignment_id, "decline", body.reason)


@router.post("/api/incidents/assignments/{assignment_id}/handled")
async def handled(
    assignment_id: RowId,
    body: OptionalNoteIn,
    session: Session,
    runtime: Runtime,
    principal: Responder,
) -> IncidentDetail:
    return await _step(session, runtime, principal, assignment_id, "handled", body.note)


# ---- the console: receiving and dispatching --------------------------------------------------


@router.post("/api/incidents", status_code=201)
async def create_incident(
    body: IncidentIn, session: Session, runtime: Runtime, principal: Dispatcher
) -> IncidentDetail:
    incident = await runtime.create(session, body, _doer(principal))
    return await _detail(session, incident.id)


@router.get("/api/incidents/{incident_id}")
async def get_incident(incident_id: RowId, session: Session, _: Reader) -> IncidentDetail:
    return await _detail(session, incident_id)


@router.patch("/api/incidents/{incident_id}")
async def update_incident(
    incident_id: RowId,
    body: IncidentUpdate,
    session: Session,
    runtime: Runtime,
    principal: Dispatcher,
) -> IncidentDetail:
    await runtime.update(session, incident_id, body, _doer(principal))
    return await _detail(session, incident_id)


@router.get("/api/incidents/{incident_id}/recommendations")
async def recommendations(
    incident_id: RowId,
    session: Session,
    runtime: Runtime,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Recommendation:
    return await runtime.recommend(session, incident_id, limit)


@router.post("/api/incidents/{incident_id}/dispatch")
async def dispatch(
    incident_id: RowId,
    body: DispatchIn,
    session: Session,
    runtime: Runtime,
    principal: Dispatcher,
) -> IncidentDetail:
    await runtime.dispatch(session, incident_id, body, _doer(principal))
    return await _detail(session, incident_id)


@router.post("/api/incidents/assignments/{assignment_id}/withdraw")
async def withdraw(
    assignment_id: RowId,
    body: ReasonIn,
    session: Session,
    runtime: Runtime,
    principal: Dispatcher,
) -> IncidentDetail:
    incident = await runtime.withdraw(session, assignment_id, body.reason, _doer(principal))
    return await _detail(session, incident.id)


@router.post("/api/incidents/assignments/{assignment_id}/reassign")
async def reassign(
    assignment_id: RowId,
    body: ReassignIn,
    session: Session,
    runtime: Runtime,
    principal: Dispatcher,
) -> IncidentDetail:
    incident = await runtime.reassign(
        session, assignment_id, body.person_id, body.reason, _doer(principal)
    )
    return await _detail(session, incident.id)


@router.post("/api/incidents/{incident_id}/cancel")
async def cancel(
    incident_id: RowId,
    body: ReasonIn,
    session: Session,
    runtime: Runtime,
    principal: Dispatcher,
) -> IncidentDetail:
    await runtime.cancel(session, incident_id, body.reason, _doer(principal))
    return await _detail(session, incident_id)


@router.post("/api/incidents/{incident_id}/close")
async def close(
    incident_id: RowId,
    body: OptionalNoteIn,
    session: Session,
    runtime: Runtime,
    principal: Dispatcher,
) -> IncidentDetail:
    await runtime.close(session, incident_id, body.note, _doer(principal))
    return await _detail(session, incident_id)


@router.post("/api/incidents/{incident_id}/notes")
async def add_note(
    incident_id: RowId,
    body: NoteIn,
    session: Session,
    runtime: Runtime,
    principal: Dispatcher,
) -> IncidentDetail:
    await runtime.add_note(session, incident_id, body.text, _doer(principal))
    return await _detail(session, incident_id)


# ---- photos: the console, the reporter and the people sent may add and see them -------------


async def _may_touch(session: AsyncSession, principal: Principal, incident_id: int) -> None:
    if principal.can(Perm.incidents_read):
        return
    person = await org_service.person_for_user(session, principal.user_id)
    incident = await service.get_incident(session, incident_id)
    if person is not None and incident is not None:
        sent = {a.person_id for a in await service.sent_to_incident(session, incident_id)}
        if incident.reporter_person_id == person.id or person.id in sent:
            return
    raise AppError(
        403,
        "auth.forbidden",
        "没有权限执行此操作",
        "You do not have permission to do this",
    )


@router.post("/api/incidents/{incident_id}/photos", status_code=201)
async def add_photo(
    incident_id: RowId,
    session: Session,
    runtime: Runtime,
    principal: Anyone,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 8 MB")],
    stage: Annotated[Literal["report", "handling"], Form()] = "report",
) -> PhotoOut:
    await _may_touch(session, principal, incident_id)
    content = await file.read(MAX_PHOTO_BYTES + 1)
    photo = await runtime.add_photo(session, incident_id, stage, content, _doer(principal))
    return PhotoOut(
        id=photo.id,
        stage=photo.stage,
        url=f"/api/incidents/{incident_id}/photos/{photo.id}",
        uploaded_by=photo.uploaded_by,
        created_at=photo.created_at,
    )


@router.get(
    "/api/incidents/{incident_id}/photos/{photo_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def get_photo(
    incident_id: RowId, photo_id: RowId, session: Session, principal: Anyone
) -> Response:
    await _may_touch(session, principal, incident_id)
    photo = await service.get_photo(session, incident_id, photo_id)
    if photo is None:
        raise not_found("照片", "Photo", "incidents.photo_not_found")
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=86400"},
    )


# ---- the WebSocket side ------------------------------------------------------------------------


def register_realtime(hub: Hub, runtime: Incidents) -> None:
    async def snapshot(_: Principal) -> dict[str, Any]:
        """What a console needs on (re)connect: every incident still open."""
        async with runtime.db.sessions() as session:
            rows, _total = await service.list_incidents(
                session, service.Filters(active=True), 500, 0
            )
            assigned = await service.assignments_with_people(session, [i.id for i in rows])
            squadrons = await service.squadron_names(session)
            now = utcnow()
            items = [
                service.incident_out(i, assigned.get(i.id, []), squadrons, now).model_dump(
                    mode="json"
                )
                for i in rows
            ]
        return {"items": items}

    hub.register_topic(TOPIC, Perm.incidents_read, snapshot=snapshot)
