"""Camera import (CSV/XLSX, all or nothing, every bad row reported by line) and export."""

from __future__ import annotations

import io

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from patrolgrid.cameras.models import Camera
from patrolgrid.core.auth import Role
from patrolgrid.geo.coords import wgs84_to_gcj02
from tests.conftest import Running

HEADER = "编号,名称,经度,纬度,朝向,视频地址,视频类型,中队,备注,启用\n"
GOOD = HEADER + (
    "CAM-01,群益广场,108.6998568,30.9264825,90,/media/cameras/CAM-01/index.m3u8,hls,城区一中队,,是\n"
    "CAM-02,长江大桥,108.70,30.921,180,https://cams.example/bridge.mp4,,SQ01,桥面,\n"
    "CAM-03,北城大道,108.6999,30.9394,,http://10.1.1.9:8889/north/whep,WebRTC (WHEP),,,否\n"
)


async def _setup(running: Running) -> httpx.AsyncClient:
    client = await running.login("zhou", Role.commander)
    r = await client.post("/api/org/squadrons", json={"name": "城区一中队", "code": "SQ01"})
    assert r.status_code == 201
    return client


async def _count(running: Running) -> int:
    async with running.db.sessions() as session:
        return int(await session.scalar(select(func.count(Camera.id))) or 0)


def _upload(name: str, content: bytes) -> dict[str, tuple[str, bytes]]:
    return {"file": (name, content)}


async def test_csv_import(running: Running) -> None:
    client = await _setup(running)
    sub = await running.app.state.bus.subscribe(["cameras"])  # type: ignore[attr-defined]
    r = await client.post("/api/cameras/import", files=_upload("cameras.csv", GOOD.encode()))
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 3}
    cameras = {c["code"]: c for c in (await client.get("/api/cameras")).json()["items"]}
    assert cameras["CAM-01"]["squadron_name"] == "城区一中队"
    assert cameras["CAM-02"]["stream_kind"] == "mp4"  # told by the URL
    assert cameras["CAM-02"]["note"] == "桥面" and cameras["CAM-02"]["enabled"] is True
    assert cameras["CAM-03"]["stream_kind"] == "whep" and cameras["CAM-03"]["heading"] is None
    assert cameras["CAM-03"]["enabled"] is False
    event = await sub.get()
    assert event.name == "cameras.imported" and event.data == {"count": 3}
    audit = (await client.get("/api/admin/audit", params={"action": "camera.imported"})).json()
    assert audit["total"] == 1
    assert audit["items"][0]["after"]["codes"] == ["CAM-01", "CAM-02", "CAM-03"]


async def test_gb18030_csv_and_gcj02_coordinates(running: Running) -> None:
    client = await _setup(running)
    lon, lat = 108.70, 30.93
    glon, glat = wgs84_to_gcj02(lon, lat)
    text = f"code,name,lng,lat\nA1,高德坐标,{glon},{glat}\n"
    r = await client.post(
        "/api/cameras/import",
        files=_upload("amap.csv", text.encode("gb18030")),
        params={"coords": "gcj02"},
    )
    assert r.status_code == 200, r.text
    camera = (await client.get("/api/cameras")).json()["items"][0]
    assert abs(camera["lon"] - lon) < 1e-6 and abs(camera["lat"] - lat) < 1e-6
    assert camera["stream_url"] == "" and camera["stream_kind"] == "hls"


async def test_xlsx_import_with_english_headers(running: Running) -> None:
    client = await _setup(running)
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "longitude", "latitude", "heading", "stream_url", "kind"])
    sheet.append([1001, "Bridge", 108.7, 30.921, 45.5, "https://cams.example/b.m3u8", "HLS"])
    sheet.append(["X2", "Tunnel", 108.7044, 30.9675, None, None, None])
    out = io.BytesIO()
    book.save(out)
    r = await client.post("/api/cameras/import", files=_upload("c.xlsx", out.getvalue()))
    assert r.status_code == 200, r.text
    codes = sorted(c["code"] for c in (await client.get("/api/cameras")).json()["items"])
    assert codes == ["1001", "X2"]


async def test_bad_rows_are_all_reported_by_line_and_nothing_is_imported(
    running: Running,
) -> None:
    client = await _setup(running)
    r = await client.post(
        "/api/cameras",
        json={"code": "TAKEN", "name": "已有", "lon": 108.7, "lat": 30.9},
    )
    assert r.status_code == 201
    before = await _count(running)
    bad = HEADER + (
        "CAM-01,群益广场,108.7,30.92,,,,,,\n"  # line 2: fine
        "CAM-02,长江大桥,200,30.92,,,,,,\n"  # line 3: longitude out of range
        "CAM-03,,108.7,北纬30,,,,,,\n"  # line 4: no name, latitude not a number
        "\n"  # line 5: blank, ignored
        "CAM-01,重复,108.7,30.92,,,,,,\n"  # line 6: repeats line 2's code
        "TAKEN,已存在,108.7,30.92,,,,,,\n"  # line 7: code already stored
        "CAM-07,坏朝向,108.7,30.92,400,,,,,\n"  # line 8: heading
        "CAM-08,坏地址,108.7,30.92,,rtsp://10.0.0.1/s,,,,\n"  # line 9: RTSP
        "CAM-09,类型不符,108.7,30.92,,https://c.example/a.m3u8,mp4,,,\n"  # line 10
        "CAM-10,未知类型,108.7,30.92,,,flv,,,\n"  # line 11: kind
        "CAM-11,未知中队,108.7,30.92,,,,城区九中队,,\n"  # line 12: squadron
        "CAM-12,启用?,108.7,30.92,,,,,,也许\n"  # line 13: enabled
        "CAM 13,坏编号,108.7,30.92,,,,,,\n"  # line 14: code
    )
    r = await client.post("/api/cameras/import", files=_upload("bad.csv", bad.encode()))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "cameras.import_invalid"
    errors = [(e["line"], e["column"], e["code"]) for e in body["details"]["errors"]]
    assert errors == [
        (3, "lon", "cameras.bad_lon"),
        (4, "name", "cameras.name_required"),
        (4, "lat", "cameras.bad_lat"),
        (6, "code", "cameras.code_duplicate_in_file"),
        (7, "code", "cameras.code_taken"),
        (8, "heading", "cameras.bad_heading"),
        (9, "stream_url", "cameras.unplayable_scheme"),
        (10, "stream_kind", "cameras.kind_mismatch"),
        (11, "stream_kind", "cameras.bad_kind"),
        (12, "squadron", "cameras.unknown_squadron"),
        (13, "enabled", "cameras.bad_enabled"),
        (14, "code", "cameras.bad_code"),
    ]
    assert all(e["message"]["zh"] and e["message"]["en"] for e in body["details"]["errors"])
    assert body["message"]["en"].startswith("12 problems")
    assert await _count(running) == before


async def test_unreadable_files_are_refused(running: Running) -> None:
    client = await _setup(running)
    cases = [
        ("cameras.txt", b"whatever", 422, "org.import_bad_format"),
        ("cameras.xlsx", b"PK\x03\x04 truncated", 422, "org.import_bad_format"),
        ("cameras.csv", b"", 422, "cameras.import_missing_columns"),
        ("cameras.csv", "编号,名称\nA,B\n".encode(), 422, "cameras.import_missing_columns"),
        ("cameras.csv", HEADER.encode(), 422, "cameras.import_empty"),
        ("cameras.csv", b"a" * (5 * 1024 * 1024 + 10), 413, "org.import_too_large"),
    ]
    for name, content, status, code in cases:
        r = await client.post("/api/cameras/import", files=_upload(name, content))
        assert (r.status_code, r.json()["code"]) == (status, code), name
    r = await client.post(
        "/api/cameras/import", files=_upload("c.csv", GOOD.encode()), params={"coords": "mars"}
    )
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert await _count(running) == 0


async def test_export_can_be_imported_again(running: Running) -> None:
    client = await _setup(running)
    await client.post("/api/cameras/import", files=_upload("cameras.csv", GOOD.encode()))
    csv_export = await client.get("/api/cameras/export")
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert 'filename="cameras.csv"' in csv_export.headers["content-disposition"]
    assert csv_export.content.startswith("\ufeff编号,名称,经度,纬度".encode())
    text = csv_export.content.decode("utf-8-sig")
    assert (
        "CAM-01,群益广场,108.6998568,30.9264825,90.0,/media/cameras/CAM-01/index.m3u8,hls" in text
    )
    xlsx_export = await client.get("/api/cameras/export", params={"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx_export.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "名称", "经度", "纬度")
    before = {c["code"]: c for c in (await client.get("/api/cameras")).json()["items"]}
    for camera in before.values():
        await client.delete(f"/api/cameras/{camera['id']}")
    r = await client.post("/api/cameras/import", files=_upload("back.csv", csv_export.content))
    assert r.json() == {"imported": 3}
    after = {c["code"]: c for c in (await client.get("/api/cameras")).json()["items"]}
    keys = ("name", "lon", "lat", "heading", "stream_url", "stream_kind", "squadron_id", "enabled")
    for code, camera in before.items():
        assert {k: after[code][k] for k in keys} == {k: camera[k] for k in keys}
