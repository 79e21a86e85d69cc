"""A squadron with people and grid plans for the duty API, without a road network: posts and
rosters only need the plans' grids (and, for copying posts, the plans' unit keys).

```
squadron A (城区中队): police 警一…警四 and 停用警 (inactive), auxiliaries 辅一…辅六,
                       public-welfare 公一, 公二
  plan v1 "active":  grids 1, 2, 3; units u1…u9, unit i in grid (i - 1) // 3 + 1
  plan v2 "draft":   grids 1, 2;    u1…u5 in grid 2, u6…u9 in grid 1 (a redesign)
  plan v3 "retired": grid 1 holding every unit
squadron B (东部中队): police 东警, auxiliary 东辅; plan "b" active with one grid
```
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from patrolgrid.core.auth import Role
from patrolgrid.grids.models import GridPlan, PlanGrid, PlanUnit
from tests.conftest import Running

SHIFTS = [("早班", "07:00", "15:00"), ("中班", "15:00", "23:00"), ("夜班", "23:00", "07:00")]


@dataclass
class Duty:
    running: Running
    admin: httpx.AsyncClient  # commander: duty:manage
    squadron: int
    other_squadron: int
    people: dict[str, int]  # name → person id
    plans: dict[str, int]  # "active", "draft", "retired", "b" → plan id
    grids: dict[str, list[int]]  # plan key → grid ids by number
    shifts: dict[str, int] = field(default_factory=dict)

    async def lead(self, grid: int, person: str) -> httpx.Response:
        body = {"grid_id": grid, "person_id": self.people[person], "role": "lead"}
        return await self.admin.post("/api/duty/posts", json=body)

    async def member(self, grid: int, person: str, duty: str = "patrol") -> httpx.Response:
        body = {"grid_id": grid, "person_id": self.people[person], "role": "member", "duty": duty}
        return await self.admin.post("/api/duty/posts", json=body)

    async def add_shifts(self) -> None:
        for name, starts, ends in SHIFTS:
            r = await self.admin.post(
                f"/api/duty/squadrons/{self.squadron}/shifts",
                json={"name": name, "starts": starts, "ends": ends},
            )
            assert r.status_code == 201, r.text
            self.shifts[name] = r.json()["id"]

    async def roster(
        self, grid: int, person: str, day: str, shift: str, **extra: Any
    ) -> httpx.Response:
        return await self.admin.post(
            "/api/duty/roster",
            json={
                "grid_id": grid,
                "person_id": self.people[person],
                "day": day,
                "shift_id": self.shifts[shift],
                **extra,
            },
        )

    async def week(self, day: str) -> dict[str, Any]:
        r = await self.admin.get(
            f"/api/duty/squadrons/{self.squadron}/roster", params={"week": day}
        )
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out

    async def audit(self, action: str) -> list[dict[str, Any]]:
        r = await self.admin.get("/api/admin/audit", params={"action": action, "limit": 100})
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items


PEOPLE_A = [
    *(("警" + n, "police") for n in "一二三四"),
    *(("辅" + n, "auxiliary") for n in "一二三四五六"),
    ("公一", "public_welfare"),
    ("公二", "public_welfare"),
]


async def _person(
    admin: httpx.AsyncClient, squadron: int, n: int, name: str, kind: str, active: bool = True
) -> int:
    r = await admin.post(
        "/api/org/people",
        json={
            "name": name,
            "badge_no": f"T{n:04d}",
            "kind": kind,
            "post": "",
            "mobile": f"1380000{n:04d}",
            "squadron_id": squadron,
            "active": active,
        },
    )
    assert r.status_code == 201, r.text
    person_id: int = r.json()["id"]
    return person_id


async def _plan(
    running: Running,
    squadron: int,
    version: int,
    status: str,
    units: dict[str, int],
) -> tuple[int, list[int]]:
    k = max(units.values())
    async with running.db.sessions() as session:
        plan = GridPlan(
            squadron_id=squadron,
            version=version,
            name=f"方案{version}",
            status=status,
            k=k,
            method="copy",
            params={},
            created_by="test",
        )
        session.add(plan)
        await session.flush()
        grids = [
            PlanGrid(plan_id=plan.id, number=n, name=f"网格{n}", colour="#e6194b")
            for n in range(1, k + 1)
        ]
        session.add_all(grids)
        session.add_all(
            PlanUnit(plan_id=plan.id, unit_key=key, grid_number=number)
            for key, number in units.items()
        )
        await session.commit()
        return plan.id, [g.id for g in grids]


@pytest.fixture
async def duty(running: Running) -> AsyncIterator[Duty]:
    admin = await running.login("zhou", Role.commander)
    squadrons = []
    for name, code in (("城区中队", "SQA"), ("东部中队", "SQB")):
        r = await admin.post("/api/org/squadrons", json={"name": name, "code": code})
        assert r.status_code == 201, r.text
        squadrons.append(r.json()["id"])
    a, b = squadrons
    people: dict[str, int] = {}
    for n, (name, kind) in enumerate(PEOPLE_A, start=1):
        people[name] = await _person(admin, a, n, name, kind)
    people["停用警"] = await _person(admin, a, 90, "停用警", "police", active=False)
    people["东警"] = await _person(admin, b, 91, "东警", "police")
    people["东辅"] = await _person(admin, b, 92, "东辅", "auxiliary")
    units = [f"s:u{i}" for i in range(1, 10)]
    plans: dict[str, int] = {}
    grids: dict[str, list[int]] = {}
    plans["active"], grids["active"] = await _plan(
        running, a, 1, "active", {u: i // 3 + 1 for i, u in enumerate(units)}
    )
    plans["draft"], grids["draft"] = await _plan(
        running, a, 2, "draft", {u: 2 if i < 5 else 1 for i, u in enumerate(units)}
    )
    plans["retired"], grids["retired"] = await _plan(
        running, a, 3, "retired", dict.fromkeys(units, 1)
    )
    plans["b"], grids["b"] = await _plan(running, b, 1, "active", {"s:b1": 1})
    yield Duty(running, admin, a, b, people, plans, grids)
    await admin.aclose()
