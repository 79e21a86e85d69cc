"""The demo county's duty: in every squadron's active plan, one 路警 per grid (police officers
whose job title is 网格路警 first) and the squadron's auxiliaries and public-welfare staff dealt
out over the grids as 路员 (their duty from their job title), the three shifts (the night one
not required to cover every grid), and the roster of the current week and the next, filled by
the fill rule. Idempotent: each part is made only where it is missing (posts for a plan
without any, shifts for a squadron without any, a week without entries), so a demo loaded
before duty existed gets it on the next start.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.bus import Bus
from patrolgrid.core.db import utcnow
from patrolgrid.demo import data
from patrolgrid.duty import flows as duty_flows
from patrolgrid.duty import service as duty_service
from patrolgrid.duty.models import (
    LEAD_KINDS,
    MEMBER_KINDS,
    Duty,
    FillIn,
    PostIn,
    PostRole,
    ShiftIn,
    local_today,
    week_start,
)
from patrolgrid.grids import service as grid_service
from patrolgrid.grids.models import PlanGrid
from patrolgrid.org.models import Person, PersonKind, Squadron

# name, starts, ends, colour, coverage required: the day shifts must cover every grid; the
# night is worked by the 夜巡 patrols, not by every grid, so an empty grid at night is no conflict.
SHIFTS = [
    ("早班", "07:00", "15:00", "#67c23a", True),
    ("中班", "15:00", "23:00", "#e6a23c", True),
    ("夜班", "23:00", "07:00", "#409eff", False),
]
# A 路员's duty from their job title in the demo organisation (`data.POSTS`).
DUTY_OF_TITLE: dict[str, Duty] = {
    "巡逻": Duty.patrol,
    "纠违": Duty.correct,
    "岗位": Duty.post,
    "高峰岗": Duty.peak,
    "夜巡": Duty.night,
    "文明劝导": Duty.correct,
    "路口协勤": Duty.post,
}
GRID_OFFICER_TITLE = "网格路警"


async def ensure_demo_duty(session: AsyncSession, bus: Bus) -> bool:
    """Returns False when there was nothing to do."""
    codes = {code for _, code in data.SQUADRONS}
    squadrons = [
        s
        for s in await session.scalars(select(Squadron).order_by(Squadron.code))
        if s.code in codes
    ]
    today = local_today(utcnow())
    weeks = [week_start(today), week_start(today) + dt.timedelta(days=7)]
    changed = False
    for squadron in squadrons:
        plan = await grid_service.active_plan(session, squadron.id)
        if plan is None:
            continue
        if not await duty_service.shifts_of(session, squadron.id):
            for name, starts, ends, colour, coverage_required in SHIFTS:
                body = ShiftIn(
                    name=name,
                    starts=starts,
                    ends=ends,
                    colour=colour,
                    coverage_required=coverage_required,
                )
                await duty_flows.create_shift(session, bus, squadron.id, body, SYSTEM)
            changed = True
        if not await duty_service.posts_of_plan(session, plan.id):
            grids = (await grid_service.plan_grids(session, [plan.id]))[plan.id]
            await _post_people(session, bus, squadron.id, grids)
            changed = True
        for monday in weeks:
            if not await duty_service.squadron_entries(
                session, squadron.id, monday, monday + dt.timedelta(days=6)
            ):
                await duty_flows.fill_week(
                    session, bus, squadron.id, FillIn(week=monday, replace=False), SYSTEM
                )
                changed = True
    return changed


async def _post_people(
    session: AsyncSession, bus: Bus, squadron_id: int, grids: list[PlanGrid]
) -> None:
    people = await duty_service.active_people(session, squadron_id)
    police = sorted(
        (p for p in people if PersonKind(p.kind) in LEAD_KINDS),
        key=lambda p: (p.post != GRID_OFFICER_TITLE, p.badge_no),
    )
    for grid, officer in zip(grids, police, strict=False):
        body = PostIn(grid_id=grid.id, person_id=officer.id, role=PostRole.lead)
        await duty_flows.create_post(session, bus, body, SYSTEM)
    if not grids:
        return
    kind_order = [PersonKind.auxiliary, PersonKind.public_welfare]
    members: list[Person] = sorted(
        (p for p in people if PersonKind(p.kind) in MEMBER_KINDS),
        key=lambda p: (kind_order.index(PersonKind(p.kind)), p.badge_no),
    )
    for n, person in enumerate(members):
        body = PostIn(
            grid_id=grids[n % len(grids)].id,
            person_id=person.id,
            role=PostRole.member,
            duty=DUTY_OF_TITLE.get(person.post, Duty.patrol),
        )
        await duty_flows.create_post(session, bus, body, SYSTEM)
