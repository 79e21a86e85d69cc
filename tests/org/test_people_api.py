from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from patrolgrid.core.audit import AuditEntry
from patrolgrid.core.auth import Role
from patrolgrid.core.errors import LocalizedValueError
from patrolgrid.org.models import Person, normalise_mobile
from tests.conftest import Running


async def _commander(running: Running) -> tuple[httpx.AsyncClient, int]:
    client = await running.login("zhou", Role.commander)
    r = await client.post("/api/org/squadrons", json={"name": "城区一中队", "code": "SQ01"})
    assert r.status_code == 201, r.text
    return client, r.json()["id"]


def _person(squadron: int, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "王伟",
        "badge_no": "P01001",
        "kind": "police",
        "post": "网格路警",
        "mobile": "13800138000",
        "squadron_id": squadron,
    }
    body.update(changes)
    return body


async def _counts(running: Running) -> tuple[int, int]:
    async with running.db.sessions() as session:
        people = await session.scalar(select(func.count(Person.id)))
        audit = await session.scalar(select(func.count(AuditEntry.id)))
    return int(people or 0), int(audit or 0)


async def test_person_lifecycle_is_audited(running: Running) -> None:
    client, squadron = await _commander(running)
    r = await client.post("/api/org/people", json=_person(squadron, mobile="+86 138-0013-8000"))
    assert r.status_code == 201, r.text
    person = r.json()
    assert person["mobile"] == "13800138000"  # normalised
    assert person["squadron_name"] == "城区一中队"
    r = await client.patch(f"/api/org/people/{person['id']}", json={"post": "中队长"})
    assert r.status_code == 200 and r.json()["post"] == "中队长"
    page = (await client.get("/api/org/people", params={"q": "王"})).json()
    assert page["total"] == 1 and page["items"][0]["badge_no"] == "P01001"
    assert (await client.get("/api/org/people", params={"q": "138001"})).json()["total"] == 1
    assert (await client.get("/api/org/people", params={"kind": "auxiliary"})).json()["total"] == 0
    squadrons = (await client.get("/api/org/squadrons")).json()["items"]
    assert squadrons[0]["person_count"] == 1
    r = await client.delete(f"/api/org/squadrons/{squadron}")
    assert r.status_code == 409 and r.json()["code"] == "org.squadron_not_empty"
    assert (await client.delete(f"/api/org/people/{person['id']}")).status_code == 204
    assert (await client.get(f"/api/org/people/{person['id']}")).status_code == 404
    audit = (await client.get("/api/admin/audit", params={"entity_type": "person"})).json()
    actions = [e["action"] for e in audit["items"]]
    assert actions == ["person.deleted", "person.updated", "person.created"]
    updated = audit["items"][1]
    assert updated["actor_name"] == "zhou"
    assert updated["before"]["post"] == "网格路警" and updated["after"]["post"] == "中队长"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"mobile": "12345678901"}, "mobile", "org.bad_mobile"),
        ({"mobile": "1380013800"}, "mobile", "org.bad_mobile"),
        ({"mobile": "021-12345678"}, "mobile", "org.bad_mobile"),
        ({"badge_no": "警号1"}, "badge_no", "org.bad_badge"),
        ({"badge_no": ""}, "badge_no", "org.bad_badge"),
        ({"name": "   "}, "name", "org.name_required"),
        ({"name": "x" * 51}, "name", "string_too_long"),
        ({"kind": "sheriff"}, "kind", "enum"),
        ({"squadron_id": "one"}, "squadron_id", "int_parsing"),
        ({"extra": 1}, "extra", "extra_forbidden"),
        ({"post": "路警\x07"}, "post", "text.control_characters"),
        ({"post": "路警\n中队长"}, "post", "text.control_characters"),
    ],
)
async def test_bad_person_records_are_refused_and_change_nothing(
    running: Running, changes: dict[str, object], field: str, code: str
) -> None:
    client, squadron = await _commander(running)
    before = await _counts(running)
    r = await client.post("/api/org/people", json=_person(squadron, **changes))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "validation_error"
    detail = next(d for d in body["details"] if d["loc"][-1] == field)
    assert detail["code"] == code
    assert detail["message"]["zh"] and detail["message"]["en"]
    assert await _counts(running) == before


async def test_badge_numbers_are_unique(running: Running) -> None:
    client, squadron = await _commander(running)
    assert (await client.post("/api/org/people", json=_person(squadron))).status_code == 201
    before = await _counts(running)
    r = await client.post("/api/org/people", json=_person(squadron, name="李娜"))
    assert r.status_code == 409 and r.json()["code"] == "org.badge_taken"
    r2 = await client.post("/api/org/people", json=_person(squadron, badge_no="P01002"))
    assert r2.status_code == 201
    r = await client.patch(f"/api/org/people/{r2.json()['id']}", json={"badge_no": "P01001"})
    assert r.status_code == 409
    assert (await _counts(running))[0] == before[0] + 1


async def test_unknown_squadron_is_a_field_error(running: Running) -> None:
    client, _ = await _commander(running)
    r = await client.post("/api/org/people", json=_person(9999))
    assert r.status_code == 422 and r.json()["code"] == "org.unknown_squadron"
    assert r.json()["details"][0]["loc"] == ["body", "squadron_id"]


async def test_squadron_names_and_codes_are_unique(running: Running) -> None:
    client, squadron = await _commander(running)
    r = await client.post("/api/org/squadrons", json={"name": "城区一中队", "code": "SQ09"})
    assert r.status_code == 409 and r.json()["code"] == "org.squadron_taken"
    r = await client.patch(f"/api/org/squadrons/{squadron}", json={"name": "滨江\x1b中队"})
    assert r.status_code == 422 and r.json()["details"][0]["code"] == "text.control_characters"
    r = await client.patch(f"/api/org/squadrons/{squadron}", json={"name": "滨江中队"})
    assert r.status_code == 200 and r.json()["name"] == "滨江中队"
    assert (await client.delete(f"/api/org/squadrons/{squadron}")).status_code == 204


async def test_people_changes_reach_websocket_subscribers_after_commit(running: Running) -> None:
    client, squadron = await _commander(running)
    sub = await running.app.state.bus.subscribe(["org"])  # type: ignore[attr-defined]
    r = await client.post("/api/org/people", json=_person(squadron))
    event = await sub.get()
    assert event.name == "person.created" and event.data["id"] == r.json()["id"]
    assert event.key == f"person:{r.json()['id']}"
    # A refused change publishes nothing.
    await client.post("/api/org/people", json=_person(squadron))
    assert sub.queue.empty()  # type: ignore[attr-defined]


async def test_officer_sees_their_own_person_card(running: Running) -> None:
    client, squadron = await _commander(running)
    person = (await client.post("/api/org/people", json=_person(squadron))).json()
    officer_id = await running.add_user("wang", Role.officer)
    from patrolgrid.core.audit import SYSTEM
    from patrolgrid.org import flows

    async with running.db.sessions() as session:
        await flows.link_user(session, running.app.state.bus, person["id"], officer_id, SYSTEM)  # type: ignore[attr-defined]
    officer = await running.login("wang")
    me = (await officer.get("/api/auth/me")).json()["user"]
    assert me["person_id"] == person["id"]
    card = await officer.get("/api/org/people/me")
    assert card.status_code == 200 and card.json()["name"] == "王伟"
    assert (await officer.get(f"/api/org/people/{person['id']}")).status_code == 403


@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["", "+86", "86", "0086", "+86 "]),
)
def test_every_mainland_mobile_number_is_accepted_with_any_prefix(number: str, prefix: str) -> None:
    assert normalise_mobile(prefix + number) == number


@given(st.text(max_size=20))
def test_anything_else_is_refused_or_a_real_mobile_number(text: str) -> None:
    try:
        result = normalise_mobile(text)
    except LocalizedValueError as exc:
        assert exc.code == "org.bad_mobile"
    else:
        assert len(result) == 11 and result[0] == "1" and result[1] in "3456789"
        assert result.isdigit() and result.isascii()
