"""Reading cameras from CSV or XLSX files (every row checked before anything is stored), and
writing them out again in the same columns.

Columns may be headed in Chinese or English: 编号/code, 名称/name, 经度/lon, 纬度/lat,
朝向/heading, 视频地址/stream_url, 视频类型/stream_kind, 中队/squadron, 备注/note, 启用/enabled.
Only code, name, lon and lat are required. The file's coordinates may be WGS-84 (default),
GCJ-02 (Amap, Tencent) or BD-09 (Baidu); they are stored as WGS-84. File reading (encodings,
size and row limits) is the organisation importer's.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openpyxl import Workbook

from patrolgrid.cameras.models import (
    KIND_LABELS,
    Camera,
    StreamKind,
    check_code,
    check_heading,
    check_lat,
    check_lon,
    check_name,
    check_stream_url,
    resolve_kind,
    stream_problem,
)
from patrolgrid.core.errors import AppError, LocalizedValueError
from patrolgrid.core.text import plain_text, spreadsheet_row
from patrolgrid.geo.coords import bd09_to_wgs84, gcj02_to_wgs84
from patrolgrid.org.files import MAX_BYTES, MAX_ROWS, RowError, read_rows
from patrolgrid.org.models import Squadron

__all__ = ["MAX_BYTES", "CoordSystem", "ImportedCamera", "export_cameras", "parse_cameras"]


class CoordSystem(StrEnum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"
    bd09 = "bd09"


COLUMNS: dict[str, str] = {
    "编号": "code",
    "点位编号": "code",
    "设备编号": "code",
    "code": "code",
    "名称": "name",
    "点位名称": "name",
    "name": "name",
    "经度": "lon",
    "lon": "lon",
    "lng": "lon",
    "longitude": "lon",
    "纬度": "lat",
    "lat": "lat",
    "latitude": "lat",
    "朝向": "heading",
    "方向角": "heading",
    "heading": "heading",
    "bearing": "heading",
    "视频地址": "stream_url",
    "流地址": "stream_url",
    "stream_url": "stream_url",
    "url": "stream_url",
    "视频类型": "stream_kind",
    "流类型": "stream_kind",
    "stream_kind": "stream_kind",
    "kind": "stream_kind",
    "中队": "squadron",
    "所属中队": "squadron",
    "squadron": "squadron",
    "备注": "note",
    "note": "note",
    "启用": "enabled",
    "enabled": "enabled",
}
REQUIRED = ("code", "name", "lon", "lat")
HEADER_ZH = {"code": "编号", "name": "名称", "lon": "经度", "lat": "纬度"}

KINDS: dict[str, StreamKind] = {"webrtc": StreamKind.whep}
for _kind, (_zh, _en) in KIND_LABELS.items():
    KINDS[_kind.value] = KINDS[_zh.lower()] = KINDS[_en.lower()] = _kind

_TRUE = {"是", "启用", "true", "yes", "y", "1"}
_FALSE = {"否", "停用", "禁用", "false", "no", "n", "0"}

_TO_WGS84: dict[CoordSystem, Callable[[float, float], tuple[float, float]]] = {
    CoordSystem.gcj02: gcj02_to_wgs84,
    CoordSystem.bd09: bd09_to_wgs84,
}


@dataclass(frozen=True)
class ImportedCamera:
    line: int
    code: str
    name: str
    lon: float
    lat: float
    heading: float | None
    stream_url: str
    stream_kind: StreamKind
    squadron_id: int | None
    note: str
    enabled: bool


def _number(text: str, code: str, zh: str, en: str) -> float:
    try:
        value = float(text.strip().rstrip("°"))
    except ValueError:
        raise LocalizedValueError(code, zh, en) from None
    if not math.isfinite(value):
        raise LocalizedValueError(code, zh, en)
    return value


def parse_cameras(
    filename: str,
    content: bytes,
    squadrons: dict[str, Squadron],
    taken_codes: set[str],
    coords: CoordSystem = CoordSystem.wgs84,
) -> tuple[list[ImportedCamera], list[RowError]]:
    """Check every row; returns the cameras and every error found (by line and column)."""
    rows = iter(read_rows(filename, content))
    _, header = next(rows, (0, []))
    columns = [COLUMNS.get(h.strip().lower(), COLUMNS.get(h.strip(), "")) for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if not header or missing:
        raise AppError(
            422,
            "cameras.import_missing_columns",
            "缺少必需的列: " + "、".join(HEADER_ZH[c] for c in missing),
            "Missing required columns: " + ", ".join(missing),
            {"missing": missing},
        )
    cameras: list[ImportedCamera] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for count, (line, cells) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise AppError(
                413,
                "cameras.import_too_many_rows",
                f"最多导入 {MAX_ROWS} 行",
                f"At most {MAX_ROWS} rows per import",
            )
        if not any(cells):
            continue
        record = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(columns) if col}
        camera, row_errors = _check_row(line, record, squadrons, coords)
        errors.extend(row_errors)
        if camera is None:
            continue
        if camera.code in seen:
            errors.append(
                RowError(
                    line,
                    "code",
                    "cameras.code_duplicate_in_file",
                    f"编号与第 {seen[camera.code]} 行重复",
                    f"Code repeats line {seen[camera.code]}",
                )
            )
            continue
        seen[camera.code] = line
        if camera.code in taken_codes:
            errors.append(
                RowError(line, "code", "cameras.code_taken", "编号已存在", "Code already exists")
            )
            continue
        cameras.append(camera)
    if not cameras and not errors:
        raise AppError(
            422, "cameras.import_empty", "文件中没有摄像头数据", "The file has no cameras in it"
        )
    return cameras, errors


def _check_row(
    line: int, record: dict[str, str], squadrons: dict[str, Squadron], coords: CoordSystem
) -> tuple[ImportedCamera | None, list[RowError]]:
    errors: list[RowError] = []

    def check(column: str, fn: Callable[[str], Any]) -> Any:
        try:
            return fn(record.get(column, ""))
        except LocalizedValueError as exc:
            errors.append(RowError(line, column, exc.code, exc.zh, exc.en))
            return None

    code = check("code", check_code)
    name = check("name", check_name)
    lon = check(
        "lon",
        lambda t: check_lon(
            _number(t, "cameras.bad_lon", "经度应为数字", "Longitude must be a number")
        ),
    )
    lat = check(
        "lat",
        lambda t: check_lat(
            _number(t, "cameras.bad_lat", "纬度应为数字", "Latitude must be a number")
        ),
    )
    heading = check(
        "heading",
        lambda t: (
            None
            if not t.strip()
            else check_heading(
                _number(t, "cameras.bad_heading", "朝向应为数字", "Heading must be a number")
            )
        ),
    )
    url = check("stream_url", check_stream_url)
    raw_kind = record.get("stream_kind", "").strip()
    kind: StreamKind | None = None
    if raw_kind:
        kind = KINDS.get(raw_kind.lower())
        if kind is None:
            errors.append(
                RowError(
                    line,
                    "stream_kind",
                    "cameras.bad_kind",
                    "视频类型应为 hls、mjpeg、mp4 或 whep",
                    "Stream kind must be hls, mjpeg, mp4 or whep",
                )
            )
    resolved = resolve_kind(url or "", kind)
    if url and (problem := stream_problem(url, resolved)):
        errors.append(RowError(line, "stream_kind", *problem))
    squadron_id: int | None = None
    squadron_text = record.get("squadron", "").strip()
    if squadron_text:
        squadron = squadrons.get(squadron_text)
        if squadron is None:
            errors.append(
                RowError(
                    line, "squadron", "cameras.unknown_squadron", "中队不存在", "No such squadron"
                )
            )
        else:
            squadron_id = squadron.id
    note = record.get("note", "").strip()
    try:
        plain_text(note, multiline=True)
    except LocalizedValueError as exc:
        errors.append(RowError(line, "note", exc.code, exc.zh, exc.en))
    if len(note) > 500:
        errors.append(
            RowError(
                line, "note", "cameras.note_too_long", "备注过长", "Note: at most 500 characters"
            )
        )
    enabled_text = record.get("enabled", "").strip().lower()
    enabled = True
    if enabled_text in _FALSE:
        enabled = False
    elif enabled_text and enabled_text not in _TRUE:
        errors.append(
            RowError(
                line,
                "enabled",
                "cameras.bad_enabled",
                "启用应为 是 或 否",
                "Enabled must be yes or no",
            )
        )
    if errors or code is None or name is None or lon is None or lat is None:
        return None, errors
    if coords in _TO_WGS84:
        lon, lat = _TO_WGS84[coords](lon, lat)
    return (
        ImportedCamera(
            line, code, name, lon, lat, heading, url or "", resolved, squadron_id, note, enabled
        ),
        [],
    )


EXPORT_HEADER = [
    "编号",
    "名称",
    "经度",
    "纬度",
    "朝向",
    "视频地址",
    "视频类型",
    "中队",
    "备注",
    "启用",
]


def _export_rows(cameras: list[Camera]) -> list[list[Any]]:
    return [
        [
            c.code,
            c.name,
            round(c.lon, 7),
            round(c.lat, 7),
            "" if c.heading is None else round(c.heading, 1),
            c.stream_url,
            c.stream_kind,
            c.squadron.name if c.squadron is not None else "",
            c.note,
            "是" if c.enabled else "否",
        ]
        for c in cameras
    ]


def export_cameras(cameras: list[Camera], fmt: str) -> bytes:
    """The columns the importer reads (WGS-84), so an export can be edited and imported again."""
    rows = _export_rows(cameras)
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_HEADER)
        writer.writerows(rows)
        # BOM so that Excel opens the UTF-8 file with the right encoding.
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "摄像头"
    sheet.append(spreadsheet_row(EXPORT_HEADER))
    for row in rows:
        sheet.append(spreadsheet_row(row))
    widths = (12, 22, 13, 12, 8, 48, 10, 14, 24, 6)
    for column, width in zip("ABCDEFGHIJ", widths, strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
