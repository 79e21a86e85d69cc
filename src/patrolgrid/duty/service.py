"""Data access for duty, and the pure rules that shape rows into answers (roster conflicts).
No side effects beyond the session it is given."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.duty.models import (
    Conflict,
    Duty,
    DutyPost,
    DutyShift,
    PersonRef,
    PostRole,
    RosterEntry,
    RosterEntryOut,
    role_of_kind,
    shift_window,
)
from patrolgrid.grids.models import GridPlan, Label, PlanGrid, PlanStatus, PlanUnit
from patrolgrid.org.models import Person, PersonKind, Squadron

# ---- people --------------------------------------------------------------------------------------


def person_ref(person: Person) -> PersonRef:
    return PersonRef(
        id=person.id,
        name=person.name,
        badge_no=person.badge_no,
        kind=PersonKind(person.kind),
        post=person.post,
        mobile=person.mobile,
    )


async def people_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Person]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(wanted)))}


async def active_people(session: AsyncSession, squadron_id: int) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .where(Person.squadron_id == squadron_id, Person.active.is_(True))
            .order_by(Person.badge_no)
        )
    )


# ---- plans and grids -----------------------------------------------------------------------------


async def grid_with_plan(session: AsyncSession, grid_id: int) -> tuple[PlanGrid, GridPlan] | None:
    row = (
        await session.execute(
            select(PlanGrid, GridPlan)
            .join(GridPlan, GridPlan.id == PlanGrid.plan_id)
            .where(PlanGrid.id == grid_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def grids_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, PlanGrid]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(PlanGrid).where(PlanGrid.id.in_(wanted)))
    return {g.id: g for g in rows}


async def grid_squadrons(
    session: AsyncSession, ids: Iterable[int]
) -> dict[int, tuple[PlanGrid, Squadron]]:
    """grid → the grid and the squadron whose plan holds it (grid names repeat across
    squadrons: 1 号网格 is in every one)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(PlanGrid, Squadron)
        .join(GridPlan, GridPlan.id == PlanGrid.plan_id)
        .join(Squadron, Squadron.id == GridPlan.squadron_id)
        .where(PlanGrid.id.in_(wanted))
    )
    return {grid.id: (grid, squadron) for grid, squadron in rows}


async def unit_grids(session: AsyncSession, plan_id: int) -> dict[str, int]:
    """unit key → grid number in a plan."""
    rows = await session.execute(
        select(PlanUnit.unit_key, PlanUnit.grid_number).where(PlanUnit.plan_id == plan_id)
    )
    return {key: int(number) for key, number in rows}


# ---- posts ---------------------------------------------------------------------------------------


async def get_post(session: AsyncSession, post_id: int) -> DutyPost | None:
    return await session.get(DutyPost, post_id)


async def posts_of_plan(session: AsyncSession, plan_id: int) -> list[DutyPost]:
    return list(
        await session.scalars(
            select(DutyPost).where(DutyPost.plan_id == plan_id).order_by(DutyPost.id)
        )
    )


async def posts_of_plans(
    session: AsyncSession, plan_ids: Iterable[int]
) -> dict[tuple[int, int], DutyPost]:
    """(plan, person) → post."""
    wanted = sorted(set(plan_ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(DutyPost).where(DutyPost.plan_id.in_(wanted)))
    return {(p.plan_id, p.person_id): p for p in rows}


async def post_of(session: AsyncSession, plan_id: int, person_id: int) -> DutyPost | None:
    post: DutyPost | None = await session.scalar(
        select(DutyPost).where(DutyPost.plan_id == plan_id, DutyPost.person_id == person_id)
    )
    return post


async def lead_of(session: AsyncSession, grid_id: int) -> DutyPost | None:
    post: DutyPost | None = await session.scalar(
        select(DutyPost).where(DutyPost.grid_id == grid_id, DutyPost.role == PostRole.lead.value)
    )
    return post


async def posts_of_grid(session: AsyncSession, grid_id: int) -> list[DutyPost]:
    return list(
        await session.scalars(
            select(DutyPost).where(DutyPost.grid_id == grid_id).order_by(DutyPost.id)
        )
    )


async def active_post(
    session: AsyncSession, person_id: int
) -> tuple[DutyPost, PlanGrid, GridPlan] | None:
    """The person's post in an active plan (the one in force), with its grid and plan."""
    row = (
        await session.execute(
            select(DutyPost, PlanGrid, GridPlan)
            .join(PlanGrid, PlanGrid.id == DutyPost.grid_id)
            .join(GridPlan, GridPlan.id == DutyPost.plan_id)
            .where(DutyPost.person_id == person_id, GridPlan.status == PlanStatus.active.value)
            .order_by(GridPlan.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


async def grid_mates(session: AsyncSession, person_id: int) -> list[int]:
    """The other people posted to the person's grid in the active plan."""
    found = await active_post(session, person_id)
    if found is None:
        return []
    rows = await session.scalars(
        select(DutyPost.person_id).where(
            DutyPost.grid_id == found[0].grid_id, DutyPost.person_id != person_id
        )
    )
    return sorted(rows)


# ---- shifts --------------------------------------------------------------------------------------


async def shifts_of(session: AsyncSession, squadron_id: int) -> list[DutyShift]:
    return list(
        await session.scalars(
            select(DutyShift)
            .where(DutyShift.squadron_id == squadron_id)
            .order_by(DutyShift.position, DutyShift.id)
        )
    )


async def get_shift(session: AsyncSession, shift_id: int) -> DutyShift | None:
    return await session.get(DutyShift, shift_id)


async def shifts_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, DutyShift]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(DutyShift).where(DutyShift.id.in_(wanted)))
    return {s.id: s for s in rows}


async def entries_of_shift(session: AsyncSession, shift_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(RosterEntry.id)).where(RosterEntry.shift_id == shift_id)
        )
        or 0
    )


# ---- roster --------------------------------------------------------------------------------------


async def get_entry(session: AsyncSession, entry_id: int) -> RosterEntry | None:
    return await session.get(RosterEntry, entry_id)


async def squadron_entries(
    session: AsyncSession, squadron_id: int, first: dt.date, last: dt.date
) -> list[RosterEntry]:
    """Entries in grids of any of the squadron's plans, on days first..last."""
    return list(
        await session.scalars(
            select(RosterEntry)
            .join(PlanGrid, PlanGrid.id == RosterEntry.grid_id)
            .join(GridPlan, GridPlan.id == PlanGrid.plan_id)
            .where(
                GridPlan.squadron_id == squadron_id,
                RosterEntry.day >= first,
                RosterEntry.day <= last,
            )
            .order_by(RosterEntry.day, RosterEntry.shift_id, RosterEntry.grid_id, RosterEntry.id)
        )
    )


async def entries_of_people(
    session: AsyncSession, person_ids: Iterable[int], first: dt.date, last: dt.date
) -> list[RosterEntry]:
    wanted = sorted(set(person_ids))
    if not wanted:
        return []
    return list(
        await session.scalars(
            select(RosterEntry)
            .where(
                RosterEntry.person_id.in_(wanted),
                RosterEntry.day >= first,
                RosterEntry.day <= last,
            )
            .order_by(RosterEntry.day, RosterEntry.id)
        )
    )


async def delete_entries(
    session: AsyncSession, grid_ids: Sequence[int], first: dt.date, last: dt.date
) -> int:
    if not grid_ids:
        return 0
    result = await session.execute(
        delete(RosterEntry).where(
            RosterEntry.grid_id.in_(list(grid_ids)),
            RosterEntry.day >= first,
            RosterEntry.day <= last,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def entry_out(entry: RosterEntry, person: Person) -> RosterEntryOut:
    return RosterEntryOut(
        id=entry.id,
        grid_id=entry.grid_id,
        person=person_ref(person),
        day=entry.day,
        shift_id=entry.shift_id,
        duty=None if entry.duty is None else Duty(entry.duty),
        role=role_of_kind(person.kind),
    )


def entry_snapshot(entry: RosterEntry) -> dict[str, object]:
    """The entry as the audit log keeps it."""
    return {
        "grid_id": entry.grid_id,
        "person_id": entry.person_id,
        "day": entry.day.isoformat(),
        "shift_id": entry.shift_id,
        "duty": entry.duty,
    }


def on_at(entry: RosterEntry, shift: DutyShift, moment: dt.datetime) -> bool:
    start, end = shift_window(entry.day, shift.starts, shift.ends)
    return start <= moment < end


# ---- conflicts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RosterContext:
    """What the conflict rules look at for one week of one squadron."""

    days: Sequence[dt.date]  # the week
    shifts: Sequence[DutyShift]  # the squadron's shifts
    # The active plan's grids: each must be covered in every shift that requires coverage.
    plan_grids: Sequence[PlanGrid]
    entries: Sequence[RosterEntry]  # the week's entries (days of the week) in the squadron's grids
    # Entries of the same people just around the week (the night before, the day after) and in
    # other squadrons' grids: a double booking can involve them.
    nearby: Sequence[RosterEntry]
    people: dict[int, Person]
    grids: dict[int, PlanGrid]  # every grid an entry names
    shifts_by_id: dict[int, DutyShift]
    posts: dict[tuple[int, int], DutyPost]  # (plan, person) → post, for the plans entries name


def _label(zh: str, en: str) -> Label:
    return Label(zh=zh, en=en)


def conflicts(ctx: RosterContext) -> list[Conflict]:
    """Every conflict of the week, in a stable order: double bookings, then per day, shift and
    grid: uncovered grids (in the shifts that require coverage), 路员 outside their grid, 路员
    without police."""
    found = _double_booked(ctx)
    week = set(ctx.days)
    by_cell: dict[tuple[dt.date, int, int], list[RosterEntry]] = defaultdict(list)
    for entry in ctx.entries:
        by_cell[(entry.day, entry.shift_id, entry.grid_id)].append(entry)
    covered_shifts = [s for s in ctx.shifts if s.coverage_required]
    for day in ctx.days:
        for shift in covered_shifts:
            for grid in ctx.plan_grids:
                if not by_cell.get((day, shift.id, grid.id)):
                    found.append(
                        Conflict(
                            code="duty.conflict.uncovered",
                            message=_label(
                                f"{grid.name}在{shift.name}无人值守",
                                f"Nobody covers {grid.name} in the {shift.name} shift",
                            ),
                            day=day,
                            shift_id=shift.id,
                            grid_id=grid.id,
                            person_ids=[],
                            entry_ids=[],
                        )
                    )
    for (day, shift_id, grid_id), cell in sorted(by_cell.items()):
        if day not in week:
            continue
        grid = ctx.grids[grid_id]
        police = [e for e in cell if role_of_kind(ctx.people[e.person_id].kind) == PostRole.lead]
        for entry in cell:
            person = ctx.people[entry.person_id]
            if role_of_kind(person.kind) != PostRole.member:
                continue
            post = ctx.posts.get((grid.plan_id, person.id))
            if post is None or post.grid_id != grid_id:
                home = None if post is None else ctx.grids.get(post.grid_id)
                found.append(
                    Conflict(
                        code="duty.conflict.member_outside_grid",
                        message=_label(
                            f"路员{person.name}排在{grid.name},"
                            + ("未在本方案定岗" if post is None else "不是其定岗网格")
                            + ("" if home is None else f"({home.name})"),
                            f"{person.name} is rostered in {grid.name}, "
                            + (
                                "without a post in this plan"
                                if post is None
                                else "which is not their post's grid"
                            )
                            + ("" if home is None else f" ({home.name})"),
                        ),
                        day=day,
                        shift_id=shift_id,
                        grid_id=grid_id,
                        person_ids=[person.id],
                        entry_ids=[entry.id],
                    )
                )
            if not police:
                found.append(
                    Conflict(
                        code="duty.conflict.member_without_lead",
                        message=_label(
                            f"路员{person.name}在{grid.name}当班时没有路警",
                            f"{person.name} is on in {grid.name} with no police officer",
                        ),
                        day=day,
                        shift_id=shift_id,
                        grid_id=grid_id,
                        person_ids=[person.id],
                        entry_ids=[entry.id],
                    )
                )
    return found


def _double_booked(ctx: RosterContext) -> list[Conflict]:
    """One person in two places at once: two entries whose shift windows overlap (a night
    shift reaches into the next day), reported once per pair, on the day and shift of the
    earlier of the two that is in the week."""
    mine = {e.id for e in ctx.entries}
    by_person: dict[int, dict[int, RosterEntry]] = defaultdict(dict)
    for entry in [*ctx.entries, *ctx.nearby]:
        by_person[entry.person_id][entry.id] = entry
    found: list[Conflict] = []
    for person_id in sorted(by_person):
        windows = []
        for entry in by_person[person_id].values():
            shift = ctx.shifts_by_id.get(entry.shift_id)
            if shift is not None:
                windows.append((*shift_window(entry.day, shift.starts, shift.ends), entry))
        windows.sort(key=lambda w: (w[0], w[2].id))
        for i, (_, end_a, a) in enumerate(windows):
            for start_b, _, b in windows[i + 1 :]:
                if start_b >= end_a:
                    break
                reported = [e for e in (a, b) if e.id in mine]
                if not reported:
                    continue
                first = reported[0]
                person = ctx.people[person_id]
                names = [_place(ctx, e) for e in (a, b)]
                found.append(
                    Conflict(
                        code="duty.conflict.double_booked",
                        message=_label(
                            f"{person.name}同时排在两处:{names[0][0]}与{names[1][0]}",
                            f"{person.name} is in two places at once: {names[0][1]} and "
                            f"{names[1][1]}",
                        ),
                        day=first.day,
                        shift_id=first.shift_id,
                        grid_id=None,
                        person_ids=[person_id],
                        entry_ids=sorted((a.id, b.id)),
                    )
                )
    return found


def _place(ctx: RosterContext, entry: RosterEntry) -> tuple[str, str]:
    grid = ctx.grids.get(entry.grid_id)
    shift = ctx.shifts_by_id.get(entry.shift_id)
    grid_name = grid.name if grid else f"#{entry.grid_id}"
    shift_name = shift.name if shift else f"#{entry.shift_id}"
    when = f"{entry.day.month}/{entry.day.day}"
    return f"{when} {grid_name}{shift_name}", f"{when} {grid_name} {shift_name}"
