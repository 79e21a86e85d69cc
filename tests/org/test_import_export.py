from __future__ import annotations

import io

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from patrolgrid.core.auth import Role
from patrolgrid.org.models import Person
from tests.conftest import Running

HEADER = "姓名,警号,类别,岗位,手机,中队\n"
GOOD = HEADER + (
    "王伟,P01001,民警,网格路警,13800138000,城区一中队\n"
    "李娜,A01001,辅警,巡逻,+8613900139000,SQ01\n"
    "张敏,G01001,公益岗位,,139 0013 9001,城区一中队\n"
)


async def _setup(running: Running) -> httpx.AsyncClient:
    client = await running.login("zhou", Role.commander)
    r = await client.post("/api/org/squadrons", json={"name": "城区一中队", "code": "SQ01"})
    assert r.status_code == 201
    return client


async def _count(running: Running) -> int:
    async with running.db.sessions() as session:
        return int(await session.scalar(select(func.count(Person.id))) or 0)


def _upload(name: str, content: bytes) -> dict[str, tuple[str, bytes]]:
    return {"file": (name, content)}


async def test_csv_import_in_utf8_and_gb18030(running: Running) -> None:
    client = await _setup(running)
    r = await client.post("/api/org/people/import", files=_upload("people.csv", GOOD.encode()))
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 3}
    more = HEADER + "刘洋,P01002,民警,执法岗,13700137000,城区一中队\n"
    r = await client.post(
        "/api/org/people/import", files=_upload("excel.csv", more.encode("gb18030"))
    )
    assert r.json() == {"imported": 1}
    people = (await client.get("/api/org/people")).json()["items"]
    assert {p["name"] for p in people} == {"王伟", "李娜", "张敏", "刘洋"}
    assert next(p for p in people if p["name"] == "李娜")["mobile"] == "13900139000"
    audit = (await client.get("/api/admin/audit", params={"action": "person.imported"})).json()
    assert audit["total"] == 2 and audit["items"][1]["after"]["count"] == 3


async def test_xlsx_import_with_english_headers_and_numeric_phones(running: Running) -> None:
    client = await _setup(running)
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "badge_no", "kind", "post", "mobile", "squadron"])
    sheet.append(["Wang Wei", "P01001", "police", "grid officer", 13800138000, "SQ01"])
    sheet.append(["Li Na", "A01001", "auxiliary", None, 13900139000, "城区一中队"])
    out = io.BytesIO()
    book.save(out)
    r = await client.post("/api/org/people/import", files=_upload("p.xlsx", out.getvalue()))
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 2}


async def test_bad_rows_are_all_reported_by_line_and_nothing_is_imported(
    running: Running,
) -> None:
    client = await _setup(running)
    await client.post(
        "/api/org/people",
        json={
            "name": "老张",
            "badge_no": "P09999",
            "kind": "police",
            "mobile": "13600136000",
            "squadron_id": 1,
        },
    )
    before = await _count(running)
    bad = HEADER + (
        "王伟,P01001,民警,网格路警,13800138000,城区一中队\n"  # line 2: fine
        "李娜,A01001,协警,巡逻,13900139000,城区一中队\n"  # line 3: bad kind
        "张敏,G01001,公益岗位,,12345,城区二中队\n"  # line 4: bad phone, unknown squadron
        "\n"  # line 5: blank, ignored
        "刘洋,P01001,民警,,13700137000,城区一中队\n"  # line 6: repeats line 2's badge
        "陈静,P09999,民警,,13700137001,城区一中队\n"  # line 7: badge already stored
        ",P01003,民警,,13700137002,城区一中队\n"  # line 8: no name
    )
    r = await client.post("/api/org/people/import", files=_upload("bad.csv", bad.encode()))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "org.import_invalid"
    errors = [(e["line"], e["column"], e["code"]) for e in body["details"]["errors"]]
    assert errors == [
        (3, "kind", "org.bad_kind"),
        (4, "mobile", "org.bad_mobile"),
        (4, "squadron", "org.unknown_squadron"),
        (6, "badge_no", "org.badge_duplicate_in_file"),
        (7, "badge_no", "org.badge_taken"),
        (8, "name", "org.name_required"),
    ]
    assert all(e["message"]["zh"] and e["message"]["en"] for e in body["details"]["errors"])
    assert await _count(running) == before


async def test_unreadable_files_are_refused(running: Running) -> None:
    client = await _setup(running)
    cases = [
        ("people.txt", b"whatever", 422, "org.import_bad_format"),
        ("people.xlsx", b"PK\x03\x04 truncated", 422, "org.import_bad_format"),
        ("people.csv", b"", 422, "org.import_missing_columns"),
        ("people.csv", "姓名,警号\n王伟,P1\n".encode(), 422, "org.import_missing_columns"),
        ("people.csv", HEADER.encode(), 422, "org.import_empty"),
        ("people.csv", b"\x00" * 100, 422, "org.import_bad_format"),
        ("people.csv", b"a" * (5 * 1024 * 1024 + 10), 413, "org.import_too_large"),
    ]
    for name, content, status, code in cases:
        r = await client.post("/api/org/people/import", files=_upload(name, content))
        assert (r.status_code, r.json()["code"]) == (status, code), name
    r = await client.post("/api/org/people/import", data={"x": "1"})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert await _count(running) == 0


async def test_export_can_be_imported_again(running: Running) -> None:
    client = await _setup(running)
    await client.post("/api/org/people/import", files=_upload("people.csv", GOOD.encode()))
    csv_export = await client.get("/api/org/people/export", params={"format": "csv"})
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert csv_export.content.startswith("\ufeff姓名".encode())
    xlsx_export = await client.get("/api/org/people/export", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx_export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "警号", "类别", "岗位", "手机", "中队")
    assert ("王伟", "P01001", "民警", "网格路警", "13800138000", "城区一中队") in rows
    # Deleting everyone and importing the export restores them.
    for person in (await client.get("/api/org/people")).json()["items"]:
        await client.delete(f"/api/org/people/{person['id']}")
    r = await client.post("/api/org/people/import", files=_upload("back.xlsx", xlsx_export.content))
    assert r.json() == {"imported": 3}


def test_cli_imports_people_and_reports_bad_rows(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from patrolgrid import cli
    from patrolgrid.config import get_settings

    monkeypatch.setenv("PATROLGRID_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner(env={"COLUMNS": "200"})
        result = runner.invoke(
            cli.app,
            ["create-user", "chief", "--role", "commander", "--password", "long-password-1"],
        )
        assert result.exit_code == 0, result.output
        good = tmp_path / "good.csv"
        good.write_text(GOOD, encoding="utf-8")
        result = runner.invoke(cli.app, ["import-people", str(good)])
        assert result.exit_code == 1 and "org.unknown_squadron" in result.output  # no squadron

        from patrolgrid.demo.data import SQUADRONS

        assert SQUADRONS[0] == ("城区一中队", "SQ01")
        result = runner.invoke(cli.app, ["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
        assert "commander" in result.output and "demo12345" in result.output
        result = runner.invoke(cli.app, ["import-people", str(good)])
        assert result.exit_code == 1 and "org.badge_taken" in result.output  # demo has them
        fresh = tmp_path / "fresh.csv"
        fresh.write_text(HEADER + "新人,P01900,民警,,13800138999,SQ01\n", encoding="utf-8")
        result = runner.invoke(cli.app, ["import-people", str(fresh)])
        assert result.exit_code == 0, result.output
        assert "imported 1 people" in result.output
    finally:
        get_settings.cache_clear()
