"""Duty workflows: posts (定岗), shifts, the weekly roster (排班) and its fill, and what a person's
duty is now. Each change is validated, written with its audit row, committed, then published
on the `duty` topic (`duty.post` for posts, `duty.roster` for shifts and the roster, with the
squadron's id so a console reloads only what it shows).

Refused (nothing stored): a second 路警 in a grid, a person posted twice in one plan, the wrong
kind of person for the role, a person of another squadron, any change to a retired plan.
Flagged, not refused: roster conflicts (`service.conflicts`), grids without a 路警 or 路员.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.bus import Bus, Event
from patrolgrid.core.db import utcnow
from patrolgrid.core.errors import AppError, field_error, not_found
from patrolgrid.duty import service
from patrolgrid.duty.models import (
    LEAD_KINDS,
    MAX_SHIFTS,
    MEMBER_KINDS,
    CopyOut,
    CopySkipped,
    Duty,
    DutyPost,
    DutyShift,
    FillIn,
    Flag,
    GridPosts,
    GridRef,
    MemberOut,
    MyDuty,
    MyShift,
    PersonDuty,
    PlanName,
    PlanRef,
    PostIn,
    PostOut,
    PostRole,
    PostsOut,
    PostUpdate,
    RosterEntry,
    RosterEntryOut,
    RosterIn,
    RosterWeek,
    ShiftIn,
    ShiftList,
    ShiftNow,
    ShiftOut,
    ShiftUpdate,
    SquadronRef,
    TeamMember,
    WeekGrid,
    is_overnight,
    local_today,
    role_of_kind,
    week_start,
)
from patrolgrid.grids import service as grid_service
from patrolgrid.grids.models import GridPlan, Label, PlanGrid, PlanStatus
from patrolgrid.org import service as org_service
from patrolgrid.org.models import Person, PersonKind, Squadron

TOPIC = "duty"

SQUADRON_NOT_FOUND = not_found("中队", "Squadron", "duty.squadron_not_found")
PLAN_NOT_FOUND = not_found("网格方案", "Grid plan", "duty.plan_not_found")
GRID_NOT_FOUND = not_found("网格", "Grid", "duty.grid_not_found")
PERSON_NOT_FOUND = not_found("人员", "Person", "duty.person_not_found")
POST_NOT_FOUND = not_found("定岗", "Post", "duty.post_not_found")
SHIFT_NOT_FOUND = not_found("班次", "Shift", "duty.shift_not_found")
ENTRY_NOT_FOUND = not_found("排班", "Roster entry", "duty.entry_not_found")
NO_PLAN = AppError(
    404, "duty.no_plan", "该中队没有正在使用的网格方案", "The squadron has no active grid plan"
)
NO_PERSON = AppError(
    404, "duty.no_person", "该账号没有关联人员", "This account does not belong to a person"
)
PLAN_RETIRED = AppError(
    409,
    "duty.plan_retired",
    "该网格方案已停用,其定岗和排班只作记录,不能修改",
    "The grid plan is retired: its posts and roster are a record and cannot change",
)
PERSON_POSTED = AppError(
    409,
    "duty.person_posted",
    "此人在该方案中已有岗位(一人只能定一个岗)",
    "This person already has a post in this plan (one post per person)",
)
LEAD_TAKEN = AppError(
    409,
    "duty.lead_taken",
    "该网格已有路警(一路一警)",
    "This grid already has its police officer (one officer per grid)",
)


def _label(zh: str, en: str) -> Label:
    return Label(zh=zh, en=en)


async def _publish(bus: Bus, name: str, data: dict[str, Any]) -> None:
    await bus.publish(Event(TOPIC, name, data))


async def _publish_post(bus: Bus, plan: GridPlan, change: str, **details: Any) -> None:
    """`duty.post` for consoles showing the plan's posts: what changed, and the post or count."""
    await _publish(
        bus,
        "duty.post",
        {"squadron_id": plan.squadron_id, "plan_id": plan.id, "change": change, **details},
    )


async def require_squadron(session: AsyncSession, squadron_id: int) -> Squadron:
    squadron = await org_service.get_squadron(session, squadron_id)
    if squadron is None:
        raise SQUADRON_NOT_FOUND
    return squadron


async def _grid(session: AsyncSession, grid_id: int) -> tuple[PlanGrid, GridPlan]:
    found = await service.grid_with_plan(session, grid_id)
    if found is None:
        raise GRID_NOT_FOUND
    return found


async def _person(session: AsyncSession, person_id: int) -> Person:
    person = await org_service.get_person(session, person_id)
    if person is None:
        raise PERSON_NOT_FOUND
    return person


def _check_eligible(person: Person, squadron_id: int) -> None:
    if person.squadron_id != squadron_id:
        raise field_error(
            "duty.wrong_squadron",
            "此人不属于该网格所在的中队",
            "This person is not in the squadron the grid belongs to",
            "person_id",
        )
    if not person.active:
        raise field_error(
            "duty.person_inactive",
            "此人已停用,不能定岗或排班",
            "This person is inactive and cannot be posted or rostered",
            "person_id",
        )


def _check_role(person: Person, role: PostRole, duty: Duty | None) -> None:
    """路警 must be police (民警) and carry no duty; 路员 an auxiliary (辅警) or public-welfare
    worker (公益岗位) with a duty."""
    kind = PersonKind(person.kind)
    if role == PostRole.lead:
        if kind not in LEAD_KINDS:
            raise field_error(
                "duty.lead_kind",
                "路警须由民警担任",
                "A grid officer (路警) must be a police officer",
                "person_id",
            )
        if duty is not None:
            raise field_error(
                "duty.duty_not_for_lead",
                "路警不分配勤务类型",
                "A grid officer has no duty type",
                "duty",
            )
        return
    if kind not in MEMBER_KINDS:
        raise field_error(
            "duty.member_kind",
            "路员须由辅警或公益岗位人员担任",
            "A grid auxiliary (路员) must be an auxiliary or public-welfare worker",
            "person_id",
        )
    if duty is None:
        raise field_error(
            "duty.duty_required",
            "请为路员选择勤务类型",
            "Choose the auxiliary's duty",
            "duty",
        )


def _check_open(plan: GridPlan) -> None:
    if plan.status == PlanStatus.retired.value:
        raise PLAN_RETIRED


# ---- posts ---------------------------------------------------------------------------------------


def _post_out(post: DutyPost, person: Person) -> PostOut:
    return PostOut(
        id=post.id,
        plan_id=post.plan_id,
        grid_id=post.grid_id,
        person=service.person_ref(person),
        role=PostRole(post.role),
        duty=None if post.duty is None else Duty(post.duty),
    )


def _post_snapshot(post: DutyPost) -> dict[str, Any]:
    return {
        "plan_id": post.plan_id,
        "grid_id": post.grid_id,
        "person_id": post.person_id,
        "role": post.role,
        "duty": post.duty,
    }


async def posts_view(session: AsyncSession, squadron_id: int, plan_id: int | None) -> PostsOut:
    """Every grid of the plan (default: the active one) with its 路警 and 路员, the squadron's
    active people without a post, and what is missing."""
    await require_squadron(session, squadron_id)
    if plan_id is None:
        plan = await grid_service.active_plan(session, squadron_id)
        if plan is None:
            raise NO_PLAN
    else:
        found = await grid_service.get_plan(session, plan_id)
        if found is None or found.squadron_id != squadron_id:
            raise PLAN_NOT_FOUND
        plan = found
    grids = (await grid_service.plan_grids(session, [plan.id]))[plan.id]
    posts = await service.posts_of_plan(session, plan.id)
    people = await service.people_by_id(session, [p.person_id for p in posts])
    by_grid: dict[int, list[DutyPost]] = defaultdict(list)
    for post in posts:
        by_grid[post.grid_id].append(post)
    out = []
    for grid in grids:
        team = by_grid.get(grid.id, [])
        lead = next((p for p in team if p.role == PostRole.lead.value), None)
        members = [p for p in team if p.role == PostRole.member.value]
        flags = []
        if lead is None:
            flags.append(
                Flag(
                    code="duty.flag.no_lead",
                    message=_label("该网格还没有路警", "This grid has no police officer"),
                )
            )
        if not members:
            flags.append(
                Flag(
                    code="duty.flag.no_members",
                    message=_label("该网格还没有路员", "This grid has no auxiliaries"),
                )
            )
        out.append(
            GridPosts(
                grid_id=grid.id,
                number=grid.number,
                name=grid.name,
                colour=grid.colour,
                lead=None if lead is None else service.person_ref(people[lead.person_id]),
                lead_post_id=None if lead is None else lead.id,
                members=[
                    MemberOut(
                        post_id=m.id,
                        person=service.person_ref(people[m.person_id]),
                        duty=None if m.duty is None else Duty(m.duty),
                    )
                    for m in members
                ],
                flags=flags,
            )
        )
    posted = {p.person_id for p in posts}
    unposted = [
        service.person_ref(p)
        for p in await service.active_people(session, squadron_id)
        if p.id not in posted
    ]
    plan_flags = []
    if plan.status != PlanStatus.active.value:
        plan_flags.append(
            Flag(
                code=f"duty.flag.plan_{plan.status}",
                message=_label(
                    "该方案不在使用中,其定岗不生效",
                    "This plan is not the active one: its posts are not in force",
                ),
            )
        )
    leaderless = sum(1 for g in out if g.lead is None)
    if leaderless:
        plan_flags.append(
            Flag(
                code="duty.flag.grids_without_lead",
                message=_label(
                    f"{leaderless} 个网格还没有路警",
                    f"{leaderless} grid(s) without a police officer",
                ),
            )
        )
    return PostsOut(
        plan=PlanRef(id=plan.id, name=plan.name, status=plan.status, version=plan.version),
        grids=out,
        unposted=unposted,
        flags=plan_flags,
    )


async def create_post(session: AsyncSession, bus: Bus, body: PostIn, actor: Actor) -> PostOut:
    grid, plan = await _grid(session, body.grid_id)
    person = await _person(session, body.person_id)
    _check_eligible(person, plan.squadron_id)
    _check_role(person, body.role, body.duty)
    _check_open(plan)
    if await service.post_of(session, plan.id, person.id) is not None:
        raise PERSON_POSTED
    if body.role == PostRole.lead and await service.lead_of(session, grid.id) is not None:
        raise LEAD_TAKEN
    post = DutyPost(
        plan_id=plan.id,
        grid_id=grid.id,
        person_id=person.id,
        role=body.role.value,
        duty=None if body.duty is None else body.duty.value,
        created_by=actor.name,
    )
    session.add(post)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the person or the grid's lead
        await session.rollback()
        if await service.post_of(session, plan.id, person.id) is not None:
            raise PERSON_POSTED from exc
        raise LEAD_TAKEN from exc
    audit.record(
        session, actor, "duty.post_created", "duty_post", post.id, after=_post_snapshot(post)
    )
    await session.commit()
    out = _post_out(post, person)
    await _publish_post(bus, plan, "created", post=out.model_dump(mode="json"))
    return out


async def _post(session: AsyncSession, post_id: int) -> tuple[DutyPost, GridPlan]:
    post = await service.get_post(session, post_id)
    if post is None:
        raise POST_NOT_FOUND
    plan = await grid_service.get_plan(session, post.plan_id)
    if plan is None:
        raise POST_NOT_FOUND
    return post, plan


async def update_post(
    session: AsyncSession, bus: Bus, post_id: int, body: PostUpdate, actor: Actor
) -> PostOut:
    """Changes a 路员's duty (a 路警 has none)."""
    post, plan = await _post(session, post_id)
    person = await _person(session, post.person_id)
    _check_role(person, PostRole(post.role), body.duty)
    _check_open(plan)
    before = _post_snapshot(post)
    post.duty = None if body.duty is None else body.duty.value
    audit.record(
        session, actor, "duty.post_updated", "duty_post", post.id, before, _post_snapshot(post)
    )
    await session.commit()
    out = _post_out(post, person)
    await _publish_post(bus, plan, "updated", post=out.model_dump(mode="json"))
    return out


async def delete_post(session: AsyncSession, bus: Bus, post_id: int, actor: Actor) -> None:
    post, plan = await _post(session, post_id)
    _check_open(plan)
    audit.record(
        session, actor, "duty.post_deleted", "duty_post", post.id, before=_post_snapshot(post)
    )
    await session.delete(post)
    await session.commit()
    await _publish_post(bus, plan, "deleted", post_id=post_id)


def _skip_reason(code: str) -> Label:
    reasons = {
        "duty.copy.no_overlap": (
            "原网格与新方案的任何网格都不重叠",
            "The old grid overlaps no grid of the new plan",
        ),
        "duty.copy.already_posted": ("此人在新方案中已有岗位", "Already posted in the new plan"),
        "duty.copy.lead_taken": (
            "重叠的网格都已有路警",
            "Every overlapping grid already has its police officer",
        ),
        "duty.copy.not_eligible": (
            "此人已停用、调离中队或人员类别与岗位不符",
            "Inactive, moved to another squadron, or no longer of the kind the role needs",
        ),
    }
    zh, en = reasons[code]
    return _label(zh, en)


async def copy_posts(
    session: AsyncSession, bus: Bus, plan_id: int, from_plan_id: int, actor: Actor
) -> CopyOut:
    """Carries the posts of another plan of the same squadron over to this one: each grid's
    路员 go to the new grid sharing the most units with their old grid; the 路警 are matched to
    new grids one to one, the largest overlaps first (ties: the lower grid number), so no grid
    gets two. People already posted in the new plan keep their post; whoever cannot be placed
    is listed with the reason."""
    target = await grid_service.get_plan(session, plan_id)
    source = await grid_service.get_plan(session, from_plan_id)
    if target is None or source is None:
        raise PLAN_NOT_FOUND
    if target.id == source.id:
        raise AppError(
            422, "duty.same_plan", "不能从同一方案复制定岗", "Cannot copy posts from the same plan"
        )
    if target.squadron_id != source.squadron_id:
        raise AppError(
            422,
            "duty.wrong_squadron",
            "两个方案不属于同一中队",
            "The two plans belong to different squadrons",
        )
    _check_open(target)
    old_grids = (await grid_service.plan_grids(session, [source.id]))[source.id]
    new_grids = (await grid_service.plan_grids(session, [target.id]))[target.id]
    new_by_number = {g.number: g for g in new_grids}
    old_units = await service.unit_grids(session, source.id)
    new_units = await service.unit_grids(session, target.id)
    overlap: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for key, old_number in old_units.items():
        new_number = new_units.get(key)
        if new_number is not None and new_number in new_by_number:
            overlap[old_number][new_number] += 1
    old_by_id = {g.id: g for g in old_grids}

    existing = await service.posts_of_plan(session, target.id)
    posted = {p.person_id for p in existing}
    leads_taken = {p.grid_id for p in existing if p.role == PostRole.lead.value}
    old_posts = await service.posts_of_plan(session, source.id)
    people = await service.people_by_id(session, [p.person_id for p in old_posts])

    placed: dict[int, int] = {}  # old post id → new grid id
    skipped: list[tuple[DutyPost, str]] = []
    movable: list[DutyPost] = []
    for post in old_posts:
        person = people[post.person_id]
        allowed = LEAD_KINDS if post.role == PostRole.lead.value else MEMBER_KINDS
        if person.id in posted:
            skipped.append((post, "duty.copy.already_posted"))
        elif (
            not person.active
            or person.squadron_id != target.squadron_id
            or PersonKind(person.kind) not in allowed
        ):
            skipped.append((post, "duty.copy.not_eligible"))
        elif not overlap.get(old_by_id[post.grid_id].number):
            skipped.append((post, "duty.copy.no_overlap"))
        else:
            movable.append(post)

    leads = [p for p in movable if p.role == PostRole.lead.value]
    pairs = sorted(
        (
            (-count, new_number, lead.id)
            for lead in leads
            for new_number, count in overlap[old_by_id[lead.grid_id].number].items()
        )
    )
    for _, new_number, post_id in pairs:
        grid_id = new_by_number[new_number].id
        if post_id in placed or grid_id in leads_taken:
            continue
        placed[post_id] = grid_id
        leads_taken.add(grid_id)
    for lead in leads:
        if lead.id not in placed:
            skipped.append((lead, "duty.copy.lead_taken"))
    for post in movable:
        if post.role == PostRole.member.value:
            counts = overlap[old_by_id[post.grid_id].number]
            best = min(counts, key=lambda number: (-counts[number], number))
            placed[post.id] = new_by_number[best].id

    created: list[tuple[DutyPost, Person]] = []
    for post in old_posts:
        if post.id in placed:
            new = DutyPost(
                plan_id=target.id,
                grid_id=placed[post.id],
                person_id=post.person_id,
                role=post.role,
                duty=post.duty,
                created_by=actor.name,
            )
            session.add(new)
            created.append((new, people[post.person_id]))
    try:
        await session.flush()
    except IntegrityError as exc:  # someone posted people in the new plan meanwhile
        await session.rollback()
        raise AppError(
            409,
            "duty.copy_conflict",
            "新方案的定岗刚被修改,请刷新后重试",
            "The new plan's posts just changed; reload and try again",
        ) from exc
    audit.record(
        session,
        actor,
        "duty.posts_copied",
        "grid_plan",
        target.id,
        after={
            "from_plan_id": source.id,
            "posts": [_post_snapshot(p) for p, _ in created],
            "skipped": [{"person_id": p.person_id, "code": code} for p, code in skipped],
        },
    )
    await session.commit()
    copied = [_post_out(p, person) for p, person in created]
    await _publish_post(bus, target, "copied", from_plan_id=source.id, count=len(copied))
    return CopyOut(
        plan_id=target.id,
        from_plan_id=source.id,
        copied=copied,
        skipped=[
            CopySkipped(
                person=service.person_ref(people[post.person_id]),
                from_grid_id=post.grid_id,
                role=PostRole(post.role),
                code=code,
                message=_skip_reason(code),
            )
            for post, code in sorted(skipped, key=lambda s: s[0].id)
        ],
    )


# ---- shifts --------------------------------------------------------------------------------------


def _shift_snapshot(shift: DutyShift) -> dict[str, Any]:
    return {
        "squadron_id": shift.squadron_id,
        "name": shift.name,
        "starts": shift.starts,
        "ends": shift.ends,
        "colour": shift.colour,
        "position": shift.position,
        "coverage_required": shift.coverage_required,
    }


SHIFT_NAME_TAKEN = AppError(
    409,
    "duty.shift_name_taken",
    "该中队已有同名班次",
    "The squadron already has a shift of this name",
)


async def list_shifts(session: AsyncSession, squadron_id: int) -> ShiftList:
    await require_squadron(session, squadron_id)
    return ShiftList(items=[ShiftOut.of(s) for s in await service.shifts_of(session, squadron_id)])


async def create_shift(
    session: AsyncSession, bus: Bus, squadron_id: int, body: ShiftIn, actor: Actor
) -> ShiftOut:
    await require_squadron(session, squadron_id)
    shifts = await service.shifts_of(session, squadron_id)
    if len(shifts) >= MAX_SHIFTS:
        raise AppError(
            409,
            "duty.too_many_shifts",
            f"一个中队最多 {MAX_SHIFTS} 个班次",
            f"A squadron has at most {MAX_SHIFTS} shifts",
        )
    if any(s.name == body.name for s in shifts):
        raise SHIFT_NAME_TAKEN
    position = body.position
    if position is None:
        position = min(1000, max((s.position for s in shifts), default=-1) + 1)
    shift = DutyShift(
        squadron_id=squadron_id,
        name=body.name,
        starts=body.starts,
        ends=body.ends,
        colour=body.colour,
        position=position,
        coverage_required=body.coverage_required,
    )
    session.add(shift)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise SHIFT_NAME_TAKEN from exc
    audit.record(
        session, actor, "duty.shift_created", "duty_shift", shift.id, after=_shift_snapshot(shift)
    )
    await session.commit()
    out = ShiftOut.of(shift)
    await _publish(
        bus,
        "duty.roster",
        {
            "squadron_id": squadron_id,
            "change": "shift.created",
            "shift": out.model_dump(mode="json"),
        },
    )
    return out


async def _shift(session: AsyncSession, shift_id: int) -> DutyShift:
    shift = await service.get_shift(session, shift_id)
    if shift is None:
        raise SHIFT_NOT_FOUND
    return shift


async def update_shift(
    session: AsyncSession, bus: Bus, shift_id: int, body: ShiftUpdate, actor: Actor
) -> ShiftOut:
    shift = await _shift(session, shift_id)
    before = _shift_snapshot(shift)
    for field, value in body.model_dump(exclude_none=True).items():
        setattr(shift, field, value)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise SHIFT_NAME_TAKEN from exc
    audit.record(
        session, actor, "duty.shift_updated", "duty_shift", shift.id, before, _shift_snapshot(shift)
    )
    await session.commit()
    out = ShiftOut.of(shift)
    await _publish(
        bus,
        "duty.roster",
        {
            "squadron_id": shift.squadron_id,
            "change": "shift.updated",
            "shift": out.model_dump(mode="json"),
        },
    )
    return out


async def delete_shift(session: AsyncSession, bus: Bus, shift_id: int, actor: Actor) -> None:
    """Refused while roster entries use the shift: they are the record of who worked when
    (rename or recolour it instead)."""
    shift = await _shift(session, shift_id)
    used = await service.entries_of_shift(session, shift.id)
    if used:
        raise AppError(
            409,
            "duty.shift_in_use",
            f"已有 {used} 条排班使用该班次,不能删除",
            f"{used} roster entries use this shift; it cannot be deleted",
            {"entries": used},
        )
    audit.record(
        session, actor, "duty.shift_deleted", "duty_shift", shift.id, before=_shift_snapshot(shift)
    )
    squadron_id = shift.squadron_id
    await session.delete(shift)
    await session.commit()
    await _publish(
        bus,
        "duty.roster",
        {"squadron_id": squadron_id, "change": "shift.deleted", "shift_id": shift_id},
    )


# ---- roster --------------------------------------------------------------------------------------


async def roster_week(session: AsyncSession, squadron_id: int, day: dt.date) -> RosterWeek:
    """The week (Monday to Sunday) holding `day`: shifts, the active plan's grids, every entry
    in the squadron's grids, and the conflicts."""
    await require_squadron(session, squadron_id)
    start = week_start(day)
    days = [start + dt.timedelta(days=i) for i in range(7)]
    plan = await grid_service.active_plan(session, squadron_id)
    plan_grids = (
        [] if plan is None else (await grid_service.plan_grids(session, [plan.id]))[plan.id]
    )
    shifts = await service.shifts_of(session, squadron_id)
    entries = await service.squadron_entries(session, squadron_id, days[0], days[-1])
    mine = {e.id for e in entries}
    nearby = [
        e
        for e in await service.entries_of_people(
            session,
            {e.person_id for e in entries},
            days[0] - dt.timedelta(days=1),
            days[-1] + dt.timedelta(days=1),
        )
        if e.id not in mine
    ]
    everything = [*entries, *nearby]
    people = await service.people_by_id(session, {e.person_id for e in everything})
    grids = await service.grids_by_id(
        session, {e.grid_id for e in everything} | {g.id for g in plan_grids}
    )
    shifts_by_id = {s.id: s for s in shifts}
    shifts_by_id.update(
        await service.shifts_by_id(session, {e.shift_id for e in nearby} - set(shifts_by_id))
    )
    posts = await service.posts_of_plans(session, {g.plan_id for g in grids.values()})
    conflicts = service.conflicts(
        service.RosterContext(
            days=days,
            shifts=shifts,
            plan_grids=plan_grids,
            entries=entries,
            nearby=nearby,
            people=people,
            grids=grids,
            shifts_by_id=shifts_by_id,
            posts=posts,
        )
    )
    shown = list(plan_grids)
    shown_ids = {g.id for g in shown}
    for entry in entries:
        if entry.grid_id not in shown_ids:
            shown.append(grids[entry.grid_id])
            shown_ids.add(entry.grid_id)
    return RosterWeek(
        week_start=start,
        days=days,
        plan=None if plan is None else PlanName(id=plan.id, name=plan.name),
        shifts=[ShiftOut.of(s) for s in shifts],
        grids=[
            WeekGrid(grid_id=g.id, number=g.number, name=g.name, colour=g.colour, plan_id=g.plan_id)
            for g in shown
        ],
        entries=[service.entry_out(e, people[e.person_id]) for e in entries],
        conflicts=conflicts,
    )


async def add_entry(
    session: AsyncSession, bus: Bus, body: RosterIn, actor: Actor
) -> RosterEntryOut:
    """One person on one shift of one day in one grid of the active plan. A police officer
    stands as the grid's 路警 (no duty); a 路员's duty defaults to their post's."""
    grid, plan = await _grid(session, body.grid_id)
    person = await _person(session, body.person_id)
    shift = await _shift(session, body.shift_id)
    _check_eligible(person, plan.squadron_id)
    if shift.squadron_id != plan.squadron_id:
        raise field_error(
            "duty.wrong_squadron",
            "该班次不属于网格所在的中队",
            "The shift belongs to another squadron",
            "shift_id",
        )
    role = role_of_kind(person.kind)
    duty = body.duty
    if role == PostRole.member and duty is None:
        post = await service.post_of(session, plan.id, person.id)
        if post is not None and post.duty is not None:
            duty = Duty(post.duty)
    _check_role(person, role, duty)
    _check_open(plan)
    if plan.status != PlanStatus.active.value:
        raise AppError(
            409,
            "duty.plan_not_active",
            "只能在正在使用的网格方案中排班",
            "Only the active grid plan can be rostered",
        )
    entry = RosterEntry(
        grid_id=grid.id,
        person_id=person.id,
        day=body.day,
        shift_id=shift.id,
        duty=None if duty is None else duty.value,
        created_by=actor.name,
    )
    session.add(entry)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise AppError(
            409,
            "duty.roster_duplicate",
            "此人已排在该网格的这一班",
            "This person is already on this shift in this grid",
        ) from exc
    audit.record(
        session,
        actor,
        "duty.roster_added",
        "duty_roster",
        entry.id,
        after=service.entry_snapshot(entry),
    )
    await session.commit()
    out = service.entry_out(entry, person)
    await _publish(
        bus,
        "duty.roster",
        {
            "squadron_id": plan.squadron_id,
            "change": "added",
            "entry": out.model_dump(mode="json"),
        },
    )
    return out


async def remove_entry(session: AsyncSession, bus: Bus, entry_id: int, actor: Actor) -> None:
    entry = await service.get_entry(session, entry_id)
    if entry is None:
        raise ENTRY_NOT_FOUND
    _, plan = await _grid(session, entry.grid_id)
    _check_open(plan)
    audit.record(
        session,
        actor,
        "duty.roster_removed",
        "duty_roster",
        entry.id,
        before=service.entry_snapshot(entry),
    )
    day = entry.day
    await session.delete(entry)
    await session.commit()
    await _publish(
        bus,
        "duty.roster",
        {
            "squadron_id": plan.squadron_id,
            "change": "removed",
            "entry_id": entry_id,
            "day": day.isoformat(),
        },
    )


async def fill_week(
    session: AsyncSession, bus: Bus, squadron_id: int, body: FillIn, actor: Actor
) -> RosterWeek:
    """Fills a week of the active plan from its posts (the rule, in docs/duty.md):

    - the day shifts are those that end on the day they start (早班, 中班), by position; the
      night shifts the others (夜班). Without day shifts every shift counts as one. The teams
      rotate over the day shifts that require coverage (over all of them when none does):
      a team placed in a shift that may stay empty would leave one that must be covered empty;
    - each grid's 路警 and its 路员 work one day shift together every day of the week; which one
      turns over week by week (ISO week number + grid number), so neighbouring grids cover
      different times and everyone alternates early and late weeks;
    - a 路员 whose duty is 夜巡 works the first night shift instead (when there is one);
    - a person who already has an entry on a day (in any grid) is left as they are that day,
      so a fill never double-books and keeps what was entered by hand (`replace` first removes
      the week's entries in the active plan's grids).
    """
    await require_squadron(session, squadron_id)
    plan = await grid_service.active_plan(session, squadron_id)
    if plan is None:
        raise NO_PLAN
    shifts = await service.shifts_of(session, squadron_id)
    if not shifts:
        raise AppError(
            409,
            "duty.no_shifts",
            "该中队还没有班次,请先设置班次",
            "The squadron has no shifts yet; set them up first",
        )
    day_shifts = [s for s in shifts if not is_overnight(s.starts, s.ends)] or shifts
    day_shifts = [s for s in day_shifts if s.coverage_required] or day_shifts
    night_shifts = [s for s in shifts if is_overnight(s.starts, s.ends)]
    start = week_start(body.week)
    days = [start + dt.timedelta(days=i) for i in range(7)]
    grids = (await grid_service.plan_grids(session, [plan.id]))[plan.id]
    removed = 0
    if body.replace:
        removed = await service.delete_entries(session, [g.id for g in grids], days[0], days[-1])
    posts = await service.posts_of_plan(session, plan.id)
    people = await service.people_by_id(session, [p.person_id for p in posts])
    busy = {
        (e.person_id, e.day)
        for e in await service.entries_of_people(session, people.keys(), days[0], days[-1])
    }
    teams: dict[int, list[DutyPost]] = defaultdict(list)
    for post in posts:
        teams[post.grid_id].append(post)
    week_number = start.isocalendar().week
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for grid in grids:
        day_shift = day_shifts[(week_number + grid.number) % len(day_shifts)]
        for post in teams.get(grid.id, []):
            person = people[post.person_id]
            if (
                not person.active
                or person.squadron_id != squadron_id
                or role_of_kind(person.kind).value != post.role
            ):
                continue
            at_night = bool(night_shifts) and post.duty == Duty.night.value
            shift = night_shifts[0] if at_night else day_shift
            for day in days:
                if (person.id, day) in busy:
                    continue
                rows.append(
                    {
                        "grid_id": grid.id,
                        "person_id": person.id,
                        "day": day,
                        "shift_id": shift.id,
                        "duty": post.duty,
                        "created_by": actor.name,
                        "created_at": now,
                    }
                )
                busy.add((person.id, day))
    if rows:
        try:
            await session.execute(insert(RosterEntry), rows)
        except IntegrityError as exc:  # another fill or entry of the same week got there first
            await session.rollback()
            raise AppError(
                409,
                "duty.roster_changed",
                "该周排班刚被修改,请刷新后重试",
                "The week's roster just changed; reload and try again",
            ) from exc
    added = len(rows)
    audit.record(
        session,
        actor,
        "duty.roster_filled",
        "squadron",
        squadron_id,
        after={
            "plan_id": plan.id,
            "week_start": start.isoformat(),
            "replace": body.replace,
            "added": added,
            "removed": removed,
        },
    )
    await session.commit()
    await _publish(
        bus,
        "duty.roster",
        {
            "squadron_id": squadron_id,
            "change": "filled",
            "week_start": start.isoformat(),
            "added": added,
            "removed": removed,
        },
    )
    return await roster_week(session, squadron_id, start)


# ---- a person's duty now -------------------------------------------------------------------------


def _grid_ref(grid: PlanGrid) -> GridRef:
    return GridRef(
        grid_id=grid.id,
        number=grid.number,
        name=grid.name,
        colour=grid.colour,
        plan_id=grid.plan_id,
    )


async def my_duty(session: AsyncSession, user_id: int, now: dt.datetime) -> MyDuty:
    """The officer app's card: the person's grid, role and duty in the active plan, their team,
    and their shifts from today for a week (and last night's shift while it lasts)."""
    person = await org_service.person_for_user(session, user_id)
    if person is None:
        raise NO_PERSON
    found = await service.active_post(session, person.id)
    grid = role = duty = lead = None
    members: list[TeamMember] = []
    if found is not None:
        post, plan_grid, _ = found
        grid = _grid_ref(plan_grid)
        role = PostRole(post.role)
        duty = None if post.duty is None else Duty(post.duty)
        team = await service.posts_of_grid(session, plan_grid.id)
        people = await service.people_by_id(session, [p.person_id for p in team])
        for mate in team:
            if mate.role == PostRole.lead.value:
                lead = service.person_ref(people[mate.person_id])
            else:
                members.append(
                    TeamMember(
                        person=service.person_ref(people[mate.person_id]),
                        duty=None if mate.duty is None else Duty(mate.duty),
                    )
                )
    today = local_today(now)
    entries = await service.entries_of_people(
        session, [person.id], today - dt.timedelta(days=1), today + dt.timedelta(days=6)
    )
    shifts = await service.shifts_by_id(session, {e.shift_id for e in entries})
    mine = []
    for entry in entries:
        shift = shifts[entry.shift_id]
        on = service.on_at(entry, shift, now)
        if entry.day < today and not on:
            continue
        mine.append(
            MyShift(
                day=entry.day,
                shift=ShiftOut.of(shift),
                duty=None if entry.duty is None else Duty(entry.duty),
                grid_id=entry.grid_id,
                on_now=on,
            )
        )
    mine.sort(key=lambda s: (s.day, s.shift.starts, s.shift.position))
    return MyDuty(
        person=service.person_ref(person),
        squadron=SquadronRef(id=person.squadron.id, name=person.squadron.name),
        grid=grid,
        role=role,
        duty=duty,
        lead=lead,
        members=members,
        shifts=mine,
        on_duty_now=any(s.on_now for s in mine),
    )


async def person_duty(session: AsyncSession, person_id: int, now: dt.datetime) -> PersonDuty:
    """For the console's person card: the grid in the active plan and the shift on now."""
    person = await _person(session, person_id)
    found = await service.active_post(session, person.id)
    today = local_today(now)
    entries = await service.entries_of_people(
        session, [person.id], today - dt.timedelta(days=1), today
    )
    shifts = await service.shifts_by_id(session, {e.shift_id for e in entries})
    current = next((e for e in entries if service.on_at(e, shifts[e.shift_id], now)), None)
    return PersonDuty(
        person_id=person.id,
        grid=None if found is None else _grid_ref(found[1]),
        role=None if found is None else PostRole(found[0].role),
        duty=None if found is None or found[0].duty is None else Duty(found[0].duty),
        shift_now=None
        if current is None
        else ShiftNow(
            shift=ShiftOut.of(shifts[current.shift_id]),
            duty=None if current.duty is None else Duty(current.duty),
            grid_id=current.grid_id,
        ),
    )
