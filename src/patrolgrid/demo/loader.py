"""Loads the demo organisation and the demo accounts (idempotent: skips what exists)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core import audit
from patrolgrid.core.auth import flows as auth_flows
from patrolgrid.core.auth.models import User, UserCreate
from patrolgrid.core.bus import Bus
from patrolgrid.demo import data
from patrolgrid.demo.cameras import ensure_demo_cameras
from patrolgrid.demo.county import generate_demo_county
from patrolgrid.demo.duty import ensure_demo_duty
from patrolgrid.demo.grids import ensure_demo_grids
from patrolgrid.demo.simulator import register_demo_devices
from patrolgrid.org import flows as org_flows
from patrolgrid.org.models import BrigadeUpdate, Person, PersonIn, PersonKind, SquadronIn
from patrolgrid.roads import flows as roads_flows
from patrolgrid.roads import service as roads_service

_BADGE_PREFIX = {PersonKind.police: "P", PersonKind.auxiliary: "A", PersonKind.public_welfare: "G"}


async def load_demo(session: AsyncSession, bus: Bus) -> bool:
    """Returns False when the demo was already loaded."""
    county = None
    if await roads_service.get_network(session) is None:
        # The generated county; a real network imported with `import-osm` is never replaced.
        county = generate_demo_county()
        await roads_flows.replace_network(
            session, bus, None, county.network, "demo", audit.SYSTEM, generated=True
        )
    if await session.scalar(select(User).where(User.username == "commander")) is not None:
        await register_demo_devices(session)
        await ensure_demo_cameras(session, bus)  # demos loaded before cameras existed
        await ensure_demo_grids(session, bus)  # demos loaded before grids existed
        await ensure_demo_duty(session, bus)  # posts, shifts, this week's and next week's roster
        return False
    actor = audit.SYSTEM
    await org_flows.update_brigade(
        session, bus, BrigadeUpdate(name=data.BRIGADE_NAME, code=data.BRIGADE_CODE), actor
    )
    index = 0
    for squad_no, ((name, code), strength) in enumerate(
        zip(data.SQUADRONS, data.STRENGTH, strict=True), start=1
    ):
        squadron = await org_flows.create_squadron(
            session, bus, SquadronIn(name=name, code=code), actor
        )
        for kind, count in zip(PersonKind, strength, strict=True):
            for n in range(1, count + 1):
                index += 1
                posts = data.POSTS[kind]
                await org_flows.create_person(
                    session,
                    bus,
                    PersonIn(
                        name=data.generated_name(index),
                        badge_no=f"{_BADGE_PREFIX[kind]}{squad_no:02d}{n:03d}",
                        kind=kind,
                        post=posts[n % len(posts)],
                        mobile=data.generated_mobile(index),
                        squadron_id=squadron.id,
                    ),
                    actor,
                )
    for username, display, role, badge in data.USERS:
        person = None
        if badge is not None:
            person = await session.scalar(select(Person).where(Person.badge_no == badge))
            assert person is not None
            display = f"{display} {person.name}"
        user = await auth_flows.create_user(
            session,
            UserCreate(
                username=username,
                display_name=display,
                role=role,
                password=data.DEMO_PASSWORD,
            ),
            actor,
        )
        if person is not None:
            await org_flows.link_user(session, bus, person.id, user.id, actor)
    await register_demo_devices(session)
    await ensure_demo_cameras(session, bus, county.network if county else None)
    await ensure_demo_grids(session, bus, county)
    await ensure_demo_duty(session, bus)
    return True
