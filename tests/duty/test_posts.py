"""Posts (定岗) through the API, on both databases: one 路警 per grid and one post per person per
plan (refused with nothing stored, and held by the database too), the kinds each role needs, the
squadron, retired plans, the posts view with its flags, copying posts to a redesigned plan,
permissions, events and audit rows."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from patrolgrid.core.auth import Role
from patrolgrid.core.bus import Event
from patrolgrid.duty.models import DutyPost
from tests.duty.conftest import Duty, _plan


async def _post_count(duty: Duty) -> int:
    async with duty.running.db.sessions() as session:
        return int(await session.scalar(select(func.count(DutyPost.id))) or 0)


def _code(response: Any) -> str:
    code: str = response.json()["code"]
    return code


def _field_codes(response: Any) -> set[str]:
    return {d["code"] for d in response.json()["details"] or []}


async def test_posting_a_grid_officer_and_auxiliaries(duty: Duty) -> None:
    grid1, grid2, _ = duty.grids["active"]
    subscription = await duty.running.app.state.bus.subscribe(["duty"])  # type: ignore[attr-defined]
    events: list[Event] = []

    async def listen() -> None:
        async for event in subscription:
            events.append(event)

    listener = asyncio.create_task(listen())
    try:
        r = await duty.lead(grid1, "警一")
        assert r.status_code == 201, r.text
        lead = r.json()
        assert lead["role"] == "lead" and lead["duty"] is None
        assert lead["plan_id"] == duty.plans["active"] and lead["grid_id"] == grid1
        assert lead["person"]["name"] == "警一" and lead["person"]["kind"] == "police"
        assert set(lead["person"]) == {"id", "name", "badge_no", "kind", "post", "mobile"}
        for name, duty_type in (("辅一", "patrol"), ("辅二", "correct"), ("公一", "post")):
            r = await duty.member(grid1, name, duty_type)
            assert r.status_code == 201, r.text
            assert r.json()["duty"] == duty_type
        r = await duty.member(grid2, "辅三", "night")
        assert r.status_code == 201, r.text
        await asyncio.sleep(0.05)
    finally:
        listener.cancel()
    posted = [e for e in events if e.name == "duty.post"]
    assert len(posted) == 5
    assert all(e.data["squadron_id"] == duty.squadron for e in posted)
    assert posted[0].data["change"] == "created" and posted[0].data["post"]["id"] == lead["id"]

    r = await duty.admin.get(f"/api/duty/squadrons/{duty.squadron}/posts")
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["plan"] == {
        "id": duty.plans["active"],
        "name": "方案1",
        "status": "active",
        "version": 1,
    }
    first, second, third = view["grids"]
    assert first["grid_id"] == grid1 and first["number"] == 1 and first["name"] == "网格1"
    assert first["lead"]["name"] == "警一" and first["lead_post_id"] == lead["id"]
    assert [(m["person"]["name"], m["duty"]) for m in first["members"]] == [
        ("辅一", "patrol"),
        ("辅二", "correct"),
        ("公一", "post"),
    ]
    assert first["flags"] == []
    assert [f["code"] for f in second["flags"]] == ["duty.flag.no_lead"]
    assert [f["code"] for f in third["flags"]] == ["duty.flag.no_lead", "duty.flag.no_members"]
    assert third["flags"][0]["message"]["zh"] and third["flags"][0]["message"]["en"]
    assert [f["code"] for f in view["flags"]] == ["duty.flag.grids_without_lead"]
    unposted = {p["name"] for p in view["unposted"]}
    assert unposted == {"警二", "警三", "警四", "辅四", "辅五", "辅六", "公二"}  # active only

    created = await duty.audit("duty.post_created")
    assert len(created) == 5
    assert created[-1]["entity_type"] == "duty_post"
    assert created[-1]["after"] == {
        "plan_id": duty.plans["active"],
        "grid_id": grid1,
        "person_id": duty.people["警一"],
        "role": "lead",
        "duty": None,
    }
    assert created[-1]["actor_name"] == "zhou"


async def test_one_officer_per_grid_and_one_post_per_person(duty: Duty) -> None:
    grid1, grid2, _ = duty.grids["active"]
    assert (await duty.lead(grid1, "警一")).status_code == 201
    assert (await duty.member(grid1, "辅一")).status_code == 201
    before = await _post_count(duty)

    r = await duty.lead(grid1, "警二")  # 一路一警
    assert r.status_code == 409 and _code(r) == "duty.lead_taken"
    assert r.json()["message"]["zh"] and r.json()["message"]["en"]
    r = await duty.lead(grid2, "警一")  # already the 路警 of grid 1
    assert r.status_code == 409 and _code(r) == "duty.person_posted"
    r = await duty.member(grid2, "辅一", "correct")  # already a 路员 of grid 1
    assert r.status_code == 409 and _code(r) == "duty.person_posted"
    r = await duty.member(grid1, "辅一")  # the same post again
    assert r.status_code == 409 and _code(r) == "duty.person_posted"
    assert await _post_count(duty) == before
    assert len(await duty.audit("duty.post_created")) == before

    # A person may hold a post in each plan: the draft (a redesign) is separate.
    draft1, _ = duty.grids["draft"]
    assert (await duty.lead(draft1, "警一")).status_code == 201
    # Another grid's 路警 is fine.
    assert (await duty.lead(grid2, "警二")).status_code == 201


async def test_the_database_holds_both_rules(duty: Duty) -> None:
    grid1, grid2, _ = duty.grids["active"]
    assert (await duty.lead(grid1, "警一")).status_code == 201
    plan = duty.plans["active"]
    for grid, person, role in ((grid1, "警二", "lead"), (grid2, "警一", "member")):
        async with duty.running.db.sessions() as session:
            session.add(
                DutyPost(
                    plan_id=plan,
                    grid_id=grid,
                    person_id=duty.people[person],
                    role=role,
                    duty=None,
                    created_by="test",
                )
            )
            with pytest.raises(IntegrityError):
                await session.commit()


async def test_kinds_duties_squadron_and_activity(duty: Duty) -> None:
    grid1 = duty.grids["active"][0]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"person": "辅一", "role": "lead"}, 422, "duty.lead_kind"),
        ({"person": "公一", "role": "lead"}, 422, "duty.lead_kind"),
        ({"person": "警一", "role": "member", "duty": "patrol"}, 422, "duty.member_kind"),
        ({"person": "辅一", "role": "member"}, 422, "duty.duty_required"),
        ({"person": "辅一", "role": "member", "duty": None}, 422, "duty.duty_required"),
        ({"person": "警一", "role": "lead", "duty": "patrol"}, 422, "duty.duty_not_for_lead"),
        ({"person": "东警", "role": "lead"}, 422, "duty.wrong_squadron"),
        ({"person": "东辅", "role": "member", "duty": "patrol"}, 422, "duty.wrong_squadron"),
        ({"person": "停用警", "role": "lead"}, 422, "duty.person_inactive"),
    ]
    for case, status, code in cases:
        body = {"grid_id": grid1, "person_id": duty.people[case.pop("person")], **case}
        r = await duty.admin.post("/api/duty/posts", json=body)
        assert r.status_code == status, (body, r.text)
        assert _code(r) == code, (body, r.text)
        assert code in _field_codes(r)
    bad_bodies: list[dict[str, Any]] = [
        {"grid_id": grid1, "person_id": duty.people["辅一"], "role": "member", "duty": "sleep"},
        {"grid_id": grid1, "person_id": duty.people["辅一"], "role": "boss", "duty": "patrol"},
        {"grid_id": grid1, "person_id": duty.people["辅一"], "role": "member"} | {"x": 1},
        {"grid_id": 0, "person_id": duty.people["辅一"], "role": "lead"},
        {"grid_id": grid1, "person_id": 2**31, "role": "lead"},
        {"grid_id": "one", "person_id": duty.people["辅一"], "role": "lead"},
        {"person_id": duty.people["警一"], "role": "lead"},
    ]
    for body in bad_bodies:
        r = await duty.admin.post("/api/duty/posts", json=body)
        assert r.status_code == 422 and _code(r) == "validation_error", (body, r.text)
    r = await duty.admin.post(
        "/api/duty/posts",
        json={"grid_id": 999_999, "person_id": duty.people["警一"], "role": "lead"},
    )
    assert r.status_code == 404 and _code(r) == "duty.grid_not_found"
    r = await duty.admin.post(
        "/api/duty/posts", json={"grid_id": grid1, "person_id": 999_999, "role": "lead"}
    )
    assert r.status_code == 404 and _code(r) == "duty.person_not_found"
    # 公益岗位 are 路员 too.
    assert (await duty.member(grid1, "公一", "peak")).status_code == 201
    assert await _post_count(duty) == 1


async def test_changing_and_removing_posts(duty: Duty) -> None:
    grid1 = duty.grids["active"][0]
    lead = (await duty.lead(grid1, "警一")).json()
    member = (await duty.member(grid1, "辅一", "patrol")).json()

    r = await duty.admin.patch(f"/api/duty/posts/{member['id']}", json={"duty": "correct"})
    assert r.status_code == 200, r.text
    assert r.json()["duty"] == "correct"
    for post, body, code in (
        (member, {"duty": None}, "duty.duty_required"),
        (lead, {"duty": "patrol"}, "duty.duty_not_for_lead"),
    ):
        r = await duty.admin.patch(f"/api/duty/posts/{post['id']}", json=body)
        assert r.status_code == 422 and _code(r) == code, r.text
    for body in ({}, {"duty": "nap"}, {"duty": "patrol", "role": "lead"}):
        r = await duty.admin.patch(f"/api/duty/posts/{member['id']}", json=body)
        assert r.status_code == 422 and _code(r) == "validation_error", (body, r.text)
    assert (
        await duty.admin.patch("/api/duty/posts/999999", json={"duty": "post"})
    ).status_code == 404
    assert (
        await duty.admin.patch(f"/api/duty/posts/{lead['id']}", json={"duty": None})
    ).status_code == 200

    updated = await duty.audit("duty.post_updated")
    assert len(updated) == 2
    assert updated[-1]["before"]["duty"] == "patrol" and updated[-1]["after"]["duty"] == "correct"

    r = await duty.admin.delete(f"/api/duty/posts/{member['id']}")
    assert r.status_code == 204
    r = await duty.admin.delete(f"/api/duty/posts/{member['id']}")
    assert r.status_code == 404 and _code(r) == "duty.post_not_found"
    deleted = await duty.audit("duty.post_deleted")
    assert len(deleted) == 1 and deleted[0]["before"]["person_id"] == duty.people["辅一"]
    # The grid's lead can be replaced once removed.
    assert (await duty.admin.delete(f"/api/duty/posts/{lead['id']}")).status_code == 204
    assert (await duty.lead(grid1, "警二")).status_code == 201


async def test_a_retired_plan_is_a_record(duty: Duty) -> None:
    retired_grid = duty.grids["retired"][0]
    r = await duty.lead(retired_grid, "警一")
    assert r.status_code == 409 and _code(r) == "duty.plan_retired"
    # Posts made while it was in force stay, and cannot change.
    async with duty.running.db.sessions() as session:
        post = DutyPost(
            plan_id=duty.plans["retired"],
            grid_id=retired_grid,
            person_id=duty.people["辅一"],
            role="member",
            duty="patrol",
            created_by="test",
        )
        session.add(post)
        await session.commit()
        post_id = post.id
    r = await duty.admin.patch(f"/api/duty/posts/{post_id}", json={"duty": "night"})
    assert r.status_code == 409 and _code(r) == "duty.plan_retired"
    r = await duty.admin.delete(f"/api/duty/posts/{post_id}")
    assert r.status_code == 409 and _code(r) == "duty.plan_retired"
    r = await duty.admin.get(
        f"/api/duty/squadrons/{duty.squadron}/posts", params={"plan_id": duty.plans["retired"]}
    )
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["plan"]["status"] == "retired"
    assert view["flags"][0]["code"] == "duty.flag.plan_retired"
    assert view["grids"][0]["members"][0]["post_id"] == post_id
    assert await _post_count(duty) == 1


async def test_posts_view_errors_and_permissions(duty: Duty) -> None:
    r = await duty.admin.get(
        f"/api/duty/squadrons/{duty.squadron}/posts", params={"plan_id": duty.plans["b"]}
    )
    assert r.status_code == 404 and _code(r) == "duty.plan_not_found"
    r = await duty.admin.get(
        f"/api/duty/squadrons/{duty.squadron}/posts", params={"plan_id": duty.plans["draft"]}
    )
    assert r.status_code == 200 and r.json()["flags"][0]["code"] == "duty.flag.plan_draft"
    assert (await duty.admin.get("/api/duty/squadrons/999999/posts")).status_code == 404
    assert (await duty.admin.get("/api/duty/squadrons/0/posts")).status_code == 422
    r = await duty.admin.post("/api/org/squadrons", json={"name": "新中队", "code": "SQC"})
    r = await duty.admin.get(f"/api/duty/squadrons/{r.json()['id']}/posts")
    assert r.status_code == 404 and _code(r) == "duty.no_plan"

    operator = await duty.running.login("lin", Role.operator)
    officer = await duty.running.login("wang", Role.officer)
    try:
        assert (await operator.get(f"/api/duty/squadrons/{duty.squadron}/posts")).status_code == 200
        r = await operator.post(
            "/api/duty/posts",
            json={
                "grid_id": duty.grids["active"][0],
                "person_id": duty.people["警一"],
                "role": "lead",
            },
        )
        assert r.status_code == 403
        assert (await officer.get(f"/api/duty/squadrons/{duty.squadron}/posts")).status_code == 403
    finally:
        await operator.aclose()
        await officer.aclose()
    assert await _post_count(duty) == 0


async def test_copying_posts_to_a_redesigned_plan(duty: Duty) -> None:
    """Old grid 1 (u1-u3) lies in new grid 2; old grid 2 (u4-u6) mostly in new grid 2 (u4, u5)
    and a little in new grid 1 (u6); old grid 3 (u7-u9) in new grid 1."""
    old1, old2, old3 = duty.grids["active"]
    new1, new2 = duty.grids["draft"]
    for grid, lead, members in (
        (old1, "警一", [("辅一", "patrol")]),
        (old2, "警二", [("辅二", "correct"), ("公一", "post")]),
        (old3, "警三", [("辅三", "night")]),
    ):
        assert (await duty.lead(grid, lead)).status_code == 201
        for name, duty_type in members:
            assert (await duty.member(grid, name, duty_type)).status_code == 201
    assert (await duty.member(old3, "辅四", "peak")).status_code == 201
    # Already posted in the new plan: kept where they are.
    assert (await duty.member(new1, "辅四", "patrol")).status_code == 201

    url = f"/api/duty/plans/{duty.plans['draft']}/posts/copy-from/{duty.plans['active']}"
    r = await duty.admin.post(url)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["plan_id"] == duty.plans["draft"] and out["from_plan_id"] == duty.plans["active"]
    placed = {p["person"]["name"]: (p["grid_id"], p["role"], p["duty"]) for p in out["copied"]}
    assert placed == {
        "警三": (new1, "lead", None),  # 3 shared units, first by grid number among equals
        "警一": (new2, "lead", None),  # 3 shared units
        "辅一": (new2, "member", "patrol"),
        "辅二": (new2, "member", "correct"),  # 2 units in new grid 2 against 1 in new grid 1
        "公一": (new2, "member", "post"),
        "辅三": (new1, "member", "night"),
    }
    skipped = {s["person"]["name"]: s["code"] for s in out["skipped"]}
    assert skipped == {"警二": "duty.copy.lead_taken", "辅四": "duty.copy.already_posted"}
    assert all(s["message"]["zh"] and s["message"]["en"] for s in out["skipped"])

    view = (
        await duty.admin.get(
            f"/api/duty/squadrons/{duty.squadron}/posts", params={"plan_id": duty.plans["draft"]}
        )
    ).json()
    assert [g["lead"]["name"] for g in view["grids"]] == ["警三", "警一"]
    # The old plan keeps its posts.
    old = (await duty.admin.get(f"/api/duty/squadrons/{duty.squadron}/posts")).json()
    assert [g["lead"]["name"] for g in old["grids"]] == ["警一", "警二", "警三"]
    copied = await duty.audit("duty.posts_copied")
    assert len(copied) == 1 and copied[0]["entity_id"] == str(duty.plans["draft"])
    assert len(copied[0]["after"]["posts"]) == 6 and len(copied[0]["after"]["skipped"]) == 2

    # Copying again places nobody twice.
    again = (await duty.admin.post(url)).json()
    assert again["copied"] == []
    again_skipped = {s["person"]["name"]: s["code"] for s in again["skipped"]}
    assert again_skipped.pop("警二") == "duty.copy.lead_taken"
    assert set(again_skipped.values()) == {"duty.copy.already_posted"}

    before = await _post_count(duty)
    for path, status, code in (
        (
            f"/api/duty/plans/{duty.plans['retired']}/posts/copy-from/{duty.plans['active']}",
            409,
            "duty.plan_retired",
        ),
        (
            f"/api/duty/plans/{duty.plans['draft']}/posts/copy-from/{duty.plans['b']}",
            422,
            "duty.wrong_squadron",
        ),
        (
            f"/api/duty/plans/{duty.plans['draft']}/posts/copy-from/{duty.plans['draft']}",
            422,
            "duty.same_plan",
        ),
        (
            f"/api/duty/plans/999999/posts/copy-from/{duty.plans['active']}",
            404,
            "duty.plan_not_found",
        ),
        (
            f"/api/duty/plans/{duty.plans['draft']}/posts/copy-from/999999",
            404,
            "duty.plan_not_found",
        ),
    ):
        r = await duty.admin.post(path)
        assert r.status_code == status and _code(r) == code, (path, r.text)
    assert await _post_count(duty) == before


async def test_copy_skips_grids_without_overlap_and_people_no_longer_eligible(duty: Duty) -> None:
    old1, _, old3 = duty.grids["active"]
    assert (await duty.lead(old1, "警一")).status_code == 201
    assert (await duty.member(old3, "辅一")).status_code == 201
    assert (await duty.member(old3, "辅二")).status_code == 201
    r = await duty.admin.patch(f"/api/org/people/{duty.people['辅二']}", json={"active": False})
    assert r.status_code == 200, r.text
    # A plan sharing no unit with the old grid 3.
    plan_id, grids = await _plan(
        duty.running, duty.squadron, 4, "draft", {"s:u1": 1, "s:u2": 1, "s:new": 2}
    )
    r = await duty.admin.post(f"/api/duty/plans/{plan_id}/posts/copy-from/{duty.plans['active']}")
    assert r.status_code == 200, r.text
    out = r.json()
    assert [(p["person"]["name"], p["grid_id"]) for p in out["copied"]] == [("警一", grids[0])]
    assert {s["person"]["name"]: s["code"] for s in out["skipped"]} == {
        "辅一": "duty.copy.no_overlap",
        "辅二": "duty.copy.not_eligible",
    }
